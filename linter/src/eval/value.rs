//! Small helpers over [`Tracked`] values shared by expressions and functions.
use crate::model::AttrMap;

use crate::model::{Provenance, Tracked, Unknown, Value};

/// A value not known yet (see [`Unknown`]).
pub(crate) fn unknown(reason: impl Into<String>) -> Tracked {
    Tracked::new(Value::Unknown(Unknown::new(reason)), None)
}

/// An expression that fails to evaluate, where Terraform reports an error: unresolved for the
/// rules, a failure for `try()`/`can()`.
pub(crate) fn error(reason: impl Into<String>) -> Tracked {
    Tracked::new(Value::Unknown(Unknown::error(reason)), None)
}

pub(crate) fn string(s: impl Into<crate::model::Key>) -> Tracked {
    Tracked::new(Value::String(s.into()), None)
}

pub(crate) fn number(n: f64) -> Tracked {
    Tracked::new(Value::Number(n), None)
}

pub(crate) fn boolean(b: bool) -> Tracked {
    Tracked::new(Value::Bool(b), None)
}

pub(crate) fn list(items: Vec<Tracked>) -> Tracked {
    Tracked::new(Value::List(items), None)
}

pub(crate) fn map(entries: AttrMap) -> Tracked {
    Tracked::new(Value::Map(entries), None)
}

pub(crate) fn null() -> Tracked {
    Tracked::new(Value::Null, None)
}

/// Formats a number the way Terraform prints it in strings (`3`, not `3.0`).
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A primitive as a string (numbers and bools convert, like Terraform's automatic conversion).
pub(crate) fn as_string(t: &Tracked) -> Option<String> {
    match &t.value {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The first unknown reason inside a value (shallow-first).
pub(crate) fn first_unknown(t: &Tracked) -> Option<&Tracked> {
    match &t.value {
        Value::Unknown(_) => Some(t),
        _ => None,
    }
}

/// Appends `from`'s provenance steps to `into` (skipping ones already there).
pub(crate) fn merge_provenance(into: &mut Provenance, from: &Provenance) {
    into.merge(from);
}

/// `t` with the provenance of all `inputs` (for values computed from them).
pub(crate) fn derived(mut t: Tracked, inputs: &[&Tracked]) -> Tracked {
    let mut steps = Provenance::new();
    for input in inputs {
        merge_provenance(&mut steps, &input.provenance);
    }
    merge_provenance(&mut steps, &t.provenance);
    t.provenance = steps;
    t
}

/// An unknown carrying the reason and provenance of the unknown input it came from.
pub(crate) fn propagate_unknown(source: &Tracked) -> Tracked {
    Tracked {
        value: source.value.clone(),
        location: None,
        provenance: source.provenance.clone(),
    }
}

/// Structural equality ignoring locations and provenance.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| values_equal(&p.value, &q.value))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(&v.value, &w.value)))
        }
        _ => false,
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Unknown(_) => "unknown",
    }
}

/// The entries of a map in Terraform's iteration order (lexical by key).
pub(crate) fn sorted_entries(m: &AttrMap) -> Vec<(&crate::model::Key, &Tracked)> {
    let mut entries: Vec<(&crate::model::Key, &Tracked)> = m.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// The parts joined, allocated once at the exact size (`format!` grows its buffer as it goes:
/// measurable for the addresses and reasons built per instance).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}
