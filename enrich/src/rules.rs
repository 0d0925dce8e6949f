//! The rules file: which plugin runs for which events, in what order, and hot reload.
//!
//! ```toml
//! [[plugin]]
//! name = "magic_write"          # shown in messages
//! wasm = "magic_write.wasm"     # relative to the rules file
//! events = ["magic_write"]      # event or signature names; empty or absent = every event
//! fuel = 20000000               # optional: a larger budget than the default
//! ```
//!
//! Plugins run in file order. Editing the rules file or replacing a `.wasm` takes effect at the next
//! check; a rules file or plugin that does not load leaves the last good set in place, and says why.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use crate::{engine, Limits, Output, Plugin, PluginError};

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
    fuel: Option<u64>,
}

/// One rule: a loaded plugin and the events it runs for.
pub struct Rule {
    pub plugin: Plugin,
    pub events: Vec<String>,
}

impl Rule {
    pub fn applies_to(&self, event_name: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event_name)
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

impl RuleSet {
    pub fn load(rules_path: &Path) -> Result<RuleSet, String> {
        let text = std::fs::read_to_string(rules_path).map_err(|e| format!("{}: {e}", rules_path.display()))?;
        let file: RulesFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", rules_path.display()))?;
        let dir = rules_path.parent().unwrap_or(Path::new("."));
        let engine = engine();
        let mut sources = vec![(rules_path.to_path_buf(), mtime(rules_path))];
        let mut rules = Vec::new();
        for entry in file.plugin {
            let wasm_path = dir.join(&entry.wasm);
            let bytes = std::fs::read(&wasm_path)
                .map_err(|e| format!("plugin {}: {}: {e}", entry.name, wasm_path.display()))?;
            let limits = Limits { fuel: entry.fuel.unwrap_or(Limits::default().fuel), ..Limits::default() };
            let plugin = Plugin::load(&engine, &entry.name, &bytes, limits)
                .map_err(|e| format!("plugin {}: {e}", entry.name))?;
            sources.push((wasm_path.clone(), mtime(&wasm_path)));
            rules.push(Rule { plugin, events: entry.events });
        }
        Ok(RuleSet { rules, sources })
    }

    /// Runs every rule that applies, in order; each result is (index of the rule, output or error).
    pub fn run(&mut self, event_name: &str, event: &[u8]) -> Vec<(usize, Result<Output, PluginError>)> {
        self.rules
            .iter_mut()
            .enumerate()
            .filter(|(_, r)| r.applies_to(event_name))
            .map(|(i, r)| (i, r.plugin.enrich(event)))
            .collect()
    }
}

/// The current rule set of a rules file, reloaded when the file or a plugin changes.
pub struct Registry {
    path: PathBuf,
    current: Option<RuleSet>,
    /// The files the last load attempt read, with their modification times.
    watched: Vec<(PathBuf, Option<SystemTime>)>,
    /// Why the last reload was refused (the previous set stays in use).
    pub last_error: Option<String>,
}

impl Registry {
    pub fn open(path: &Path) -> Registry {
        let mut r = Registry { path: path.to_path_buf(), current: None, watched: Vec::new(), last_error: None };
        r.reload();
        r
    }

    /// Loads the rules file again; on failure keeps the last good set and records why.
    pub fn reload(&mut self) {
        match RuleSet::load(&self.path) {
            Ok(set) => {
                self.watched = set.sources.clone();
                self.current = Some(set);
                self.last_error = None;
            }
            Err(why) => {
                // retry only when something changes again
                let mut watched = vec![(self.path.clone(), mtime(&self.path))];
                if let Some(set) = &self.current {
                    watched.extend(set.sources.iter().skip(1).map(|(p, _)| (p.clone(), mtime(p))));
                }
                self.watched = watched;
                self.last_error = Some(why);
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
}
