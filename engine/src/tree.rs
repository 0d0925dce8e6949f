//! The dissection output: an ordered, nested list of typed field items that any front end can walk,
//! plus expert notes. Every value is checked against its field's registered type here, in one place.

use crate::fields::{Catalog, FieldId, FieldType, F};
use crate::json::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn from_nanos(ns: i128) -> Timestamp {
        Timestamp { secs: ns.div_euclid(1_000_000_000) as i64, nanos: ns.rem_euclid(1_000_000_000) as u32 }
    }

    pub fn as_nanos(self) -> i128 {
        self.secs as i128 * 1_000_000_000 + self.nanos as i128
    }
}

/// Text of a value: short text (most of an event's) is kept inline, without an allocation.
pub type Text = compact_str::CompactString;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Str(Text),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Time(Timestamp),
    Bytes(Vec<u8>),
}

impl Value {
    /// Text as shown in the Info column and in fallback labels.
    pub fn text(&self) -> Text {
        match self {
            Value::Str(s) => s.clone(),
            _ => {
                let mut text = Text::default();
                self.write_text(&mut text);
                text
            }
        }
    }

    /// Appends [`Value::text`] to `out`.
    pub fn write_text(&self, out: &mut impl std::fmt::Write) {
        let _ = match self {
            Value::None => Ok(()),
            Value::Str(s) => out.write_str(s),
            Value::Int(v) => out.write_str(itoa::Buffer::new().format(*v)),
            Value::UInt(v) => out.write_str(itoa::Buffer::new().format(*v)),
            Value::Bool(v) => out.write_str(if *v { "true" } else { "false" }),
            Value::Time(t) => write!(out, "{}.{:09}", t.secs, t.nanos),
            Value::Bytes(b) => b.iter().try_for_each(|x| write!(out, "{x:02x}")),
        };
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(v) => Some(v),
            Value::UInt(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the value is what `ftype` holds, as it is.
    #[inline]
    fn is(&self, ftype: FieldType) -> bool {
        match (ftype, self) {
            (FieldType::None | FieldType::Protocol, Value::None)
            | (FieldType::Str, Value::Str(_))
            | (FieldType::Bool, Value::Bool(_))
            | (FieldType::Time, Value::Time(_))
            | (FieldType::Bytes, Value::Bytes(_))
            | (FieldType::Int, Value::Int(_))
            | (FieldType::UInt | FieldType::Hex, Value::UInt(_)) => true,
            (FieldType::Oct, Value::UInt(u)) => *u <= u32::MAX as u64,
            _ => false,
        }
    }

    /// The same integer as the other integer type, when that is what `ftype` holds and it fits:
    /// numbers are read as signed, and many fields are unsigned.
    #[inline]
    fn retyped_int(&self, ftype: FieldType) -> Option<Value> {
        match (ftype, self) {
            (FieldType::Int, &Value::UInt(u)) => i64::try_from(u).ok().map(Value::Int),
            (FieldType::UInt | FieldType::Hex, &Value::Int(i)) => u64::try_from(i).ok().map(Value::UInt),
            (FieldType::Oct, &Value::Int(i)) => u32::try_from(i).ok().map(|u| Value::UInt(u.into())),
            _ => None,
        }
    }

    /// Converts to what `ftype` holds without losing anything, if possible.
    fn fit(self, ftype: FieldType) -> Result<Value, Value> {
        if let Some(v) = self.retyped_int(ftype) {
            return Ok(v);
        }
        match (ftype, self) {
            (FieldType::None | FieldType::Protocol, v @ Value::None) => Ok(v),
            (FieldType::Str, v @ Value::Str(_)) => Ok(v),
            (FieldType::Bool, v @ Value::Bool(_)) => Ok(v),
            (FieldType::Time, v @ Value::Time(_)) => Ok(v),
            (FieldType::Bytes, v @ Value::Bytes(_)) => Ok(v),
            (FieldType::Oct, Value::UInt(u)) if u > u32::MAX as u64 => Err(Value::UInt(u)),
            (FieldType::Str, v) if !matches!(v, Value::None | Value::Bytes(_)) => Ok(Value::Str(v.text())),
            (FieldType::Int, Value::Time(t)) => i64::try_from(t.as_nanos()).map(Value::Int).map_err(|_| Value::Time(t)),
            (FieldType::UInt, Value::Time(t)) => {
                u64::try_from(t.as_nanos()).map(Value::UInt).map_err(|_| Value::Time(t))
            }
            (FieldType::Int, v @ Value::Int(_)) => Ok(v),
            (FieldType::UInt | FieldType::Hex | FieldType::Oct, v @ Value::UInt(_)) => Ok(v),
            (_, v) => Err(v),
        }
    }
}

/// One tree item.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub field: FieldId,
    /// Nesting level below the event item (0 = directly under it).
    pub depth: u8,
    /// Bytes of the line the item stands for.
    pub span: Span,
    pub value: Value,
    /// Full item text, where the front end's default ("Name: value") is not enough.
    pub label: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpertKind {
    /// The line is not valid JSON or not a Tracker event.
    Malformed,
    /// An argument type the engine does not know; the raw value is shown.
    UnsupportedType,
    /// A value that does not fit its field's type; shown as text instead.
    TypeMismatch,
    /// Something the engine itself got wrong (a caught panic); the event is shown as far as possible.
    InternalError,
    /// An enricher plugin failed on this event (or was disabled); the event is shown without it.
    PluginFault,
    /// A warning or error message an enricher plugin logged for the analyst.
    PluginMessage,
}

impl ExpertKind {
    pub const ALL: [ExpertKind; 6] = [
        ExpertKind::Malformed,
        ExpertKind::UnsupportedType,
        ExpertKind::TypeMismatch,
        ExpertKind::InternalError,
        ExpertKind::PluginFault,
        ExpertKind::PluginMessage,
    ];

    /// The kind's place in [`ExpertKind::ALL`] (the order front ends register experts in).
    pub fn index(self) -> usize {
        ExpertKind::ALL.iter().position(|k| *k == self).expect("every kind is in ALL")
    }

    pub fn abbrev(self) -> &'static str {
        match self {
            ExpertKind::Malformed => "tracker.malformed",
            ExpertKind::UnsupportedType => "tracker.unsupported_type",
            ExpertKind::TypeMismatch => "tracker.type_mismatch",
            ExpertKind::InternalError => "tracker.internal_error",
            ExpertKind::PluginFault => "tracker.plugin_fault",
            ExpertKind::PluginMessage => "tracker.plugin_message",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ExpertKind::Malformed => "Malformed Tracker event",
            ExpertKind::UnsupportedType => "Unsupported argument type",
            ExpertKind::TypeMismatch => "Value does not fit its field type",
            ExpertKind::InternalError => "Trackershark internal error",
            ExpertKind::PluginFault => "Enricher plugin fault",
            ExpertKind::PluginMessage => "Enricher plugin message",
        }
    }

    /// Wireshark-style severity name: "error", "warn", "note", "chat".
    pub fn severity(self) -> &'static str {
        match self {
            ExpertKind::Malformed | ExpertKind::InternalError => "error",
            ExpertKind::PluginFault => "warn",
            ExpertKind::PluginMessage => "note",
            ExpertKind::UnsupportedType => "note",
            ExpertKind::TypeMismatch => "warn",
        }
    }

    /// Wireshark expert group name.
    pub fn group(self) -> &'static str {
        match self {
            ExpertKind::Malformed => "malformed",
            ExpertKind::UnsupportedType => "undecoded",
            ExpertKind::TypeMismatch => "protocol",
            ExpertKind::InternalError => "malformed",
            ExpertKind::PluginFault | ExpertKind::PluginMessage => "protocol",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expert {
    pub kind: ExpertKind,
    pub text: String,
    /// Index of the item the note belongs to; `None` for the event item.
    pub item: Option<usize>,
}

/// Builds the item list. Depth follows `open`/`close`.
#[derive(Default)]
pub struct Tree {
    pub items: Vec<Item>,
    pub experts: Vec<Expert>,
    /// Where each argument's value is in the line, for plugins (see `plugin_input`).
    pub arg_values: Vec<ArgValue>,
    /// Arguments rendered now belong to the event that triggered a signature.
    pub in_trigger: bool,
    depth: u8,
}

/// An argument's value as written in the line (protobuf wrappers removed).
#[derive(Clone, Debug, PartialEq)]
pub struct ArgValue {
    pub name: Text,
    pub value: Span,
    /// An argument of the triggering event, not of the event itself.
    pub trigger: bool,
}

impl Tree {
    pub fn new() -> Tree {
        // an event has some dozens of items and a few arguments: room for them from the start
        Tree { items: Vec::with_capacity(64), arg_values: Vec::with_capacity(8), ..Tree::default() }
    }

    /// Adds an item; a value that does not fit the field's type is shown as text in the matching
    /// generic field, with an expert note, so it is never dropped.
    #[inline]
    pub fn push(&mut self, field: impl Into<FieldId>, span: Span, value: Value, label: Option<String>) -> usize {
        let field = field.into();
        let ftype = Catalog::get().ftype(field);
        if value.is(ftype) {
            self.push_raw(field, span, value, label)
        } else if let Some(value) = value.retyped_int(ftype) {
            self.push_raw(field, span, value, label)
        } else {
            self.push_converted(field, span, value, label)
        }
    }

    /// `push` of a value of another type than its field's (and not an integer of the other sign):
    /// converted, or shown as text.
    #[cold]
    fn push_converted(&mut self, field: FieldId, span: Span, value: Value, label: Option<String>) -> usize {
        let def = Catalog::get().def(field);
        match value.fit(def.ftype) {
            Ok(value) => self.push_raw(field, span, value, label),
            Err(value) => {
                let text = value.text();
                let fallback = fallback_for(&def.abbrev);
                let label = Some(format!("{}: {}", def.name, text));
                let idx = self.push_raw(fallback, span, Value::Str(text), label);
                self.expert(
                    ExpertKind::TypeMismatch,
                    format!("value does not fit {} ({}); shown as text", def.abbrev, def.ftype.name()),
                    Some(idx),
                );
                idx
            }
        }
    }

    #[inline]
    fn push_raw(&mut self, field: FieldId, span: Span, value: Value, label: Option<String>) -> usize {
        self.items.push(Item { field, depth: self.depth, span, value, label });
        self.items.len() - 1
    }

    /// Adds a subtree head and descends into it.
    pub fn open(&mut self, field: impl Into<FieldId>, span: Span, value: Value, label: Option<String>) -> usize {
        let idx = self.push(field, span, value, label);
        self.depth = self.depth.saturating_add(1);
        idx
    }

    pub fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub fn depth(&self) -> u8 {
        self.depth
    }

    pub fn expert(&mut self, kind: ExpertKind, text: impl Into<String>, item: Option<usize>) {
        self.experts.push(Expert { kind, text: text.into(), item });
    }

    /// Drops an opened subtree that got no children (e.g. an empty Context).
    pub fn close_or_drop_empty(&mut self, head: usize) {
        self.close();
        if head == self.items.len() - 1 {
            self.items.pop();
        }
    }
}

fn fallback_for(abbrev: &str) -> FieldId {
    let f = if abbrev.starts_with("tracker.args.") {
        F::UncataloguedArg
    } else if abbrev.starts_with("tracker.") && abbrev.matches('.').count() >= 2 && !is_static(abbrev) {
        F::Member
    } else {
        F::Other
    };
    f.into()
}

fn is_static(abbrev: &str) -> bool {
    ["tracker.process.", "tracker.container.", "tracker.kubernetes.", "tracker.sig.", "tracker.triggered_by."]
        .iter()
        .any(|p| abbrev.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatched_values_fall_back_to_text_with_a_note() {
        let mut t = Tree::new();
        t.push(F::Pid, Span::default(), Value::Str("abc".into()), None);
        assert_eq!(t.items[0].field, F::Other as FieldId);
        assert_eq!(t.items[0].label.as_deref(), Some("PID: abc"));
        assert_eq!(t.experts[0].kind, ExpertKind::TypeMismatch);
    }

    #[test]
    fn lossless_integer_conversions_are_accepted() {
        let mut t = Tree::new();
        t.push(F::Pid, Span::default(), Value::UInt(5), None);
        t.push(F::CgroupId, Span::default(), Value::Int(7), None);
        assert_eq!(t.items[0].value, Value::Int(5));
        assert_eq!(t.items[1].value, Value::UInt(7));
        assert!(t.experts.is_empty());
        t.push(F::CgroupId, Span::default(), Value::Int(-1), None);
        assert_eq!(t.experts.len(), 1);
        t.push(F::Pid, Span::default(), Value::UInt(u64::MAX), None);
        assert_eq!(t.experts.len(), 2);
        let mode = Catalog::get().id("tracker.args.inode_mode").expect("an octal field");
        assert_eq!(Catalog::get().ftype(mode), FieldType::Oct);
        t.push(mode, Span::default(), Value::Int(0o755), None);
        assert_eq!(t.items[4].value, Value::UInt(0o755));
        t.push(mode, Span::default(), Value::Int(1 << 40), None);
        assert_eq!(t.experts.len(), 3, "no octal field holds more than 32 bits");
    }

    #[test]
    fn timestamps_split_into_seconds_and_nanos() {
        let t = Timestamp::from_nanos(1_657_291_777_566_819_000);
        assert_eq!((t.secs, t.nanos), (1_657_291_777, 566_819_000));
        assert_eq!(t.as_nanos(), 1_657_291_777_566_819_000);
        let neg = Timestamp::from_nanos(-1);
        assert_eq!((neg.secs, neg.nanos), (-1, 999_999_999));
    }
}
