//! An enrichment session: the rules of one Wireshark or CLI run, the fields their plugins declared
//! when it started (Wireshark registers fields once, before the first packet), and the step that
//! adds what plugins produce to a dissection.

use std::path::Path;
use std::time::{Duration, Instant};

use trackershark_engine::{Catalog, Dissection, Expert, ExpertKind, FieldId, Item, Value};

use crate::rules::Registry;

/// A field to register: `tracker.enrich.<abbrev>`, shown as `[<name>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDef {
    pub abbrev: String,
    pub name: String,
}

/// The generic field: what a plugin added after start declares is shown under it.
pub const GENERIC_FIELD: &str = "tracker.enrich";

pub struct Session {
    registry: Registry,
    /// The generic field first, then every field declared at start; ids follow from `first_id`.
    fields: Vec<FieldDef>,
    first_id: FieldId,
    /// For the rule set of `generation`: per rule, per declared field, the field id to use.
    ids: Vec<Vec<FieldId>>,
    generation: u64,
    /// Counts changes of the rules in force and of their load error (see `refresh`).
    state: u64,
    last_check: Instant,
    /// How often changed rules or plugins are looked for.
    pub check_interval: Duration,
}

impl Session {
    /// Opens a rules file; the session's fields get ids `first_id`, `first_id + 1`, ….
    pub fn open(rules: &Path, first_id: FieldId) -> Session {
        Session::with_registry(Registry::open(rules), first_id)
    }

    pub fn with_registry(registry: Registry, first_id: FieldId) -> Session {
        let mut fields = vec![FieldDef { abbrev: GENERIC_FIELD.into(), name: "Enrichment".into() }];
        for rule in registry.rules_ref().map(|s| s.rules.as_slice()).unwrap_or_default() {
            for f in rule.plugin.fields() {
                let abbrev = format!("{GENERIC_FIELD}.{}", f.abbrev);
                if !fields.iter().any(|d| d.abbrev == abbrev) {
                    fields.push(FieldDef { abbrev, name: format!("[{}]", f.name) });
                }
            }
        }
        let mut s = Session {
            registry,
            fields,
            first_id,
            ids: Vec::new(),
            generation: u64::MAX,
            state: 0,
            last_check: Instant::now(),
            check_interval: Duration::from_secs(1),
        };
        s.map_fields();
        s
    }

    /// The fields to register, in id order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// Why the rules (or their last change) could not be loaded.
    pub fn load_error(&self) -> Option<&str> {
        self.registry.last_error.as_deref()
    }

    /// Maps each rule's declared fields to registered ids (the generic one for fields that came
    /// after start), once per loaded rule set rather than per event.
    fn map_fields(&mut self) {
        if self.generation == self.registry.generation {
            return;
        }
        self.generation = self.registry.generation;
        let (fields, first_id) = (&self.fields, self.first_id);
        let id_of = |abbrev: &str| {
            let full = format!("{GENERIC_FIELD}.{abbrev}");
            fields.iter().position(|d| d.abbrev == full).map_or(first_id, |i| first_id + i as FieldId)
        };
        let rules = self.registry.rules_ref().map(|set| set.rules.as_slice()).unwrap_or_default();
        let ids = rules.iter().map(|r| r.plugin.fields().iter().map(|f| id_of(&f.abbrev)).collect()).collect();
        self.ids = ids;
    }

    /// Picks up changed rules or plugins (looked for at most once per `check_interval`) and returns
    /// the state they are in: it changes with the rule set in force and with a failed reload (whose
    /// note every event then carries), so a dissection made in another state is stale.
    pub fn refresh(&mut self) -> u64 {
        if self.last_check.elapsed() >= self.check_interval {
            let error_before = self.registry.last_error.clone();
            self.registry.check();
            self.last_check = Instant::now();
            if self.registry.last_error != error_before {
                self.state += 1;
            }
            if self.generation != self.registry.generation {
                self.state += 1;
            }
            self.map_fields();
        }
        self.state
    }

    /// Runs the plugins the rules select for a dissected event: their fields are added under the
    /// event, their Info text replaces the event's, and a fault becomes an expert note.
    pub fn apply(&mut self, d: &mut Dissection, line: &[u8]) {
        if !d.is_event() {
            return;
        }
        self.refresh();
        if let Some(why) = &self.registry.last_error {
            d.experts.push(Expert {
                kind: ExpertKind::PluginFault,
                text: format!("enricher rules: {why}"),
                item: Some(0),
            });
        }
        let span = d.items.first().map(|i| i.span).unwrap_or_default();
        let generic = self.first_id;
        let Some(set) = self.registry.rules() else { return };
        let mut added = Vec::new();
        for (i, result) in set.run(d, line) {
            let rule = &set.rules[i];
            match result {
                Ok(out) => {
                    for (index, value) in out.fields {
                        let Some(decl) = rule.plugin.fields().get(index) else { continue };
                        let field = self.ids.get(i).and_then(|ids| ids.get(index)).copied().unwrap_or(generic);
                        let label = Some(format!("[{}]: {}", decl.name, value));
                        added.push(Item { field, depth: 1, span, value: Value::Str(value.into()), label });
                    }
                    if let Some(info) = out.info {
                        d.info = info;
                    }
                    // warnings and errors are for the analyst; debug and info messages are not shown
                    for (_, text) in out.logs.into_iter().filter(|(level, _)| *level >= 2) {
                        d.experts.push(Expert {
                            kind: ExpertKind::PluginMessage,
                            text: format!("enricher {}: {text}", rule.plugin.name),
                            item: Some(0),
                        });
                    }
                }
                Err(e) => d.experts.push(Expert {
                    kind: ExpertKind::PluginFault,
                    text: format!("enricher {}: {e}", rule.plugin.name),
                    item: Some(0),
                }),
            }
        }
        // before the hidden mirrors of native fields, which stay last (the Lua plugin adds them)
        let cat = Catalog::get();
        let at = d.items.iter().position(|i| cat.is_native(i.field)).unwrap_or(d.items.len());
        d.items.splice(at..at, added);
    }
}
