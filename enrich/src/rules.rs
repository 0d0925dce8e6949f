//! The rules file: which plugin runs for which events, with what parameters, in what order; and
//! hot reload. Documented for users in `enrichers-wasm/README.md`.
//!
//! ```toml
//! [[plugin]]
//! name = "etc_watch"                  # shown in messages
//! wasm = "etc_watch.wasm"             # relative to the rules file (.wasm or .wat)
//! events = ["security_file_open"]     # event names, signature IDs or names; absent = every event
//! kind = "event"                      # "event", "signature" or "any" (default)
//! when = [{ field = "args.pathname", prefix = "/etc/" }]   # all must hold
//! params = { style = "short" }        # given to the plugin as the input's "params"
//! fuel = 20000000                     # optional: a larger instruction budget than the default
//! ```
//!
//! Plugins run in file order. Editing the rules file or replacing a `.wasm` takes effect at the next
//! check; a rules file or plugin that does not load leaves the last good set in place, and says why.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::Value as Json;
use trackershark_engine::plugin_input::{plugin_input, with_params};
use trackershark_engine::Dissection;

use crate::{engine, Limits, ModuleCache, Output, Plugin, PluginError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    plugin: Vec<RuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    name: String,
    wasm: PathBuf,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    kind: Kind,
    #[serde(default)]
    when: Vec<Condition>,
    params: Option<toml::Table>,
    fuel: Option<u64>,
}

/// Which events a rule considers at all.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Any,
    Event,
    Signature,
}

/// A test on one value of the plugin input, named by a dotted path (`args.pathname`,
/// `processName`, `signature.severity`). Exactly one test per condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    equals: Option<toml::Value>,
    not_equals: Option<toml::Value>,
    one_of: Option<Vec<toml::Value>>,
    prefix: Option<String>,
    suffix: Option<String>,
    contains: Option<String>,
    exists: Option<bool>,
}

impl Condition {
    fn check(&self) -> Result<(), String> {
        let set = [
            self.equals.is_some(),
            self.not_equals.is_some(),
            self.one_of.is_some(),
            self.prefix.is_some(),
            self.suffix.is_some(),
            self.contains.is_some(),
            self.exists.is_some(),
        ];
        match set.iter().filter(|s| **s).count() {
            1 => Ok(()),
            n => Err(format!(
                "condition on `{}` must have exactly one of equals, not_equals, one_of, prefix, suffix, contains, exists (has {n})",
                self.field
            )),
        }
    }

    /// Whether the input satisfies the condition.
    pub fn holds(&self, input: &Json) -> bool {
        let value = self.field.split('.').try_fold(input, |v, key| v.get(key));
        if let Some(want) = self.exists {
            return value.is_some_and(|v| !v.is_null()) == want;
        }
        let Some(text) = value.and_then(scalar_text) else {
            // a missing value equals nothing, and so is "not equal" to anything
            return self.not_equals.is_some();
        };
        if let Some(v) = &self.equals {
            return toml_text(v) == text;
        }
        if let Some(v) = &self.not_equals {
            return toml_text(v) != text;
        }
        if let Some(vs) = &self.one_of {
            return vs.iter().any(|v| toml_text(v) == text);
        }
        if let Some(p) = &self.prefix {
            return text.starts_with(p.as_str());
        }
        if let Some(s) = &self.suffix {
            return text.ends_with(s.as_str());
        }
        if let Some(c) = &self.contains {
            return text.contains(c.as_str());
        }
        false
    }
}

fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// One rule: a loaded plugin and the events it runs for.
pub struct Rule {
    pub plugin: Plugin,
    /// The plugin's file.
    pub wasm: PathBuf,
    pub events: Vec<String>,
    pub kind: Kind,
    pub when: Vec<Condition>,
    /// The rule's `params` as a JSON object, when it has any.
    pub params: Option<String>,
}

/// What the rules match an event on.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventKey<'a> {
    pub name: &'a str,
    pub signature_id: Option<&'a str>,
    pub signature_name: Option<&'a str>,
    pub is_signature: bool,
}

impl EventKey<'_> {
    pub fn of(d: &Dissection) -> Option<EventKey<'_>> {
        let e = d.event()?;
        let sig = e.signature.as_ref();
        Some(EventKey {
            name: e.name.as_deref().unwrap_or(""),
            signature_id: sig.and_then(|s| s.id.as_deref()),
            signature_name: sig.and_then(|s| s.name.as_deref()),
            is_signature: sig.is_some(),
        })
    }
}

impl Rule {
    /// Whether the rule's kind and names select the event (conditions are checked separately).
    pub fn selects(&self, key: &EventKey) -> bool {
        let kind_ok = match self.kind {
            Kind::Any => true,
            Kind::Event => !key.is_signature,
            Kind::Signature => key.is_signature,
        };
        kind_ok
            && (self.events.is_empty()
                || self.events.iter().any(|e| {
                    e == key.name || Some(e.as_str()) == key.signature_id || Some(e.as_str()) == key.signature_name
                }))
    }
}

/// A loaded rules file.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// The files the set was loaded from, with their modification times.
    sources: Vec<(PathBuf, Option<SystemTime>)>,
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A rules file that loaded, and what in it did not.
pub struct Loaded {
    pub set: RuleSet,
    /// One message per rule whose plugin did not load (that rule kept its previous plugin, or was
    /// left out).
    pub errors: Vec<String>,
}

impl RuleSet {
    /// Loads a rules file. A file that cannot be read or parsed is an error, and `previous` is left
    /// as it was; otherwise its plugins are reused where a rule's plugin does not load (same name and
    /// file), or the rule is left out, and either is reported in `errors`.
    pub fn load(rules_path: &Path, cache: &ModuleCache, previous: &mut Option<RuleSet>) -> Result<Loaded, String> {
        let text = std::fs::read_to_string(rules_path).map_err(|e| format!("{}: {e}", rules_path.display()))?;
        let file: RulesFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", rules_path.display()))?;
        let dir = rules_path.parent().unwrap_or(Path::new("."));
        let engine = engine();
        let mut previous: Vec<Rule> = previous.take().map(|set| set.rules).unwrap_or_default();
        let mut sources = vec![(rules_path.to_path_buf(), mtime(rules_path))];
        let (mut rules, mut errors) = (Vec::new(), Vec::new());
        for entry in file.plugin {
            let wasm_path = dir.join(&entry.wasm);
            // watched whether it loads or not, so a fix is noticed too
            sources.push((wasm_path.clone(), mtime(&wasm_path)));
            let loaded = (|| {
                for c in &entry.when {
                    c.check()?;
                }
                let params = match &entry.params {
                    Some(p) => Some(serde_json::to_string(p).map_err(|e| format!("params: {e}"))?),
                    None => None,
                };
                let bytes = std::fs::read(&wasm_path).map_err(|e| format!("{}: {e}", wasm_path.display()))?;
                let limits = Limits { fuel: entry.fuel.unwrap_or(Limits::default().fuel), ..Limits::default() };
                let plugin =
                    Plugin::load_cached(&engine, &entry.name, &bytes, limits, cache).map_err(|e| e.to_string())?;
                Ok::<_, String>((plugin, params))
            })();
            let (plugin, params) = match loaded {
                Ok(loaded) => loaded,
                Err(why) => {
                    let kept = previous.iter().position(|r| r.wasm == wasm_path && r.plugin.name == entry.name);
                    match kept.map(|i| previous.swap_remove(i)) {
                        Some(old) => {
                            errors.push(format!("plugin {}: {why} (its previous version still runs)", entry.name));
                            rules.push(old);
                        }
                        None => errors.push(format!("plugin {}: {why} (not running)", entry.name)),
                    }
                    continue;
                }
            };
            rules.push(Rule {
                plugin,
                wasm: wasm_path,
                events: entry.events,
                kind: entry.kind,
                when: entry.when,
                params,
            });
        }
        Ok(Loaded { set: RuleSet { rules, sources }, errors })
    }

    /// Runs every rule that applies to a dissected event, in order; each result is (index of the
    /// rule, its output or fault). The plugin input is built once, and only if some rule selects
    /// the event.
    pub fn run(&mut self, d: &Dissection, line: &[u8]) -> Vec<(usize, Result<Output, PluginError>)> {
        let Some(key) = EventKey::of(d) else { return Vec::new() };
        let mut input: Option<String> = None;
        let mut parsed: Option<Json> = None;
        let mut results = Vec::new();
        for (i, rule) in self.rules.iter_mut().enumerate() {
            if !rule.selects(&key) {
                continue;
            }
            let text: &str = input.get_or_insert_with(|| plugin_input(d, line).unwrap_or_default());
            if !rule.when.is_empty() {
                let json = parsed.get_or_insert_with(|| serde_json::from_str(text).unwrap_or(Json::Null));
                if !rule.when.iter().all(|c| c.holds(json)) {
                    continue;
                }
            }
            let result = match &rule.params {
                Some(p) => rule.plugin.enrich(with_params(text, p).as_bytes()),
                None => rule.plugin.enrich(text.as_bytes()),
            };
            results.push((i, result));
        }
        results
    }
}

/// The current rule set of a rules file, reloaded when the file or a plugin changes.
pub struct Registry {
    path: PathBuf,
    cache: ModuleCache,
    current: Option<RuleSet>,
    /// The files the last load attempt read, with their modification times.
    watched: Vec<(PathBuf, Option<SystemTime>)>,
    /// Why the last reload was refused (the previous set stays in use).
    pub last_error: Option<String>,
    /// Counts successful loads, so users of the set can tell it changed.
    pub generation: u64,
}

impl Registry {
    pub fn open(path: &Path) -> Registry {
        Registry::open_with_cache(path, ModuleCache::default_location())
    }

    pub fn open_with_cache(path: &Path, cache: ModuleCache) -> Registry {
        let mut r = Registry {
            path: path.to_path_buf(),
            cache,
            current: None,
            watched: Vec::new(),
            last_error: None,
            generation: 0,
        };
        r.reload();
        r
    }

    /// Loads the rules file again. A file that does not load keeps the last good set; a plugin
    /// that does not load keeps its last good version. Either way `last_error` says why.
    pub fn reload(&mut self) {
        match RuleSet::load(&self.path, &self.cache, &mut self.current) {
            Ok(Loaded { set, errors }) => {
                self.watched = set.sources.clone();
                self.current = Some(set);
                self.last_error = (!errors.is_empty()).then(|| errors.join("; "));
                self.generation += 1;
            }
            Err(why) => {
                // retry only when something changes again
                let mut watched = vec![(self.path.clone(), mtime(&self.path))];
                if let Some(set) = &self.current {
                    watched.extend(set.sources.iter().skip(1).map(|(p, _)| (p.clone(), mtime(p))));
                }
                self.watched = watched;
                let state = if self.current.is_some() { "the previous rules still apply" } else { "no enrichers run" };
                self.last_error = Some(format!("{why} ({state})"));
            }
        }
    }

    /// Reloads if the rules file or one of its plugins changed since the last attempt.
    pub fn check(&mut self) {
        if self.watched.iter().any(|(path, when)| mtime(path) != *when) {
            self.reload();
        }
    }

    pub fn rules(&mut self) -> Option<&mut RuleSet> {
        self.current.as_mut()
    }

    pub fn rules_ref(&self) -> Option<&RuleSet> {
        self.current.as_ref()
    }
}
