//! Reading a request body field by field: every problem is collected, so
//! one answer tells the client everything to fix.

use crate::core::identity::Invalid;
use crate::core::problem::FieldError;
use serde_json::{Map, Value};

pub const PROFILE_MAX_BYTES: usize = 8 * 1024;

/// The shape of a group (role) or interface name, as the database's CHECK
/// has it: `^[a-z][a-z_]{1,63}$`. Anything else cannot name one.
pub(super) fn is_catalog_name(name: &str) -> bool {
    let len = name.len();
    (2..=64).contains(&len)
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// How long PostgreSQL's text of `value` as `jsonb` is, which its CHECK on
/// profiles measures: `", "` and `": "` separators, and numbers written out
/// in full (`1e300` is 301 digits there). For a float this is an upper
/// bound, since PostgreSQL may keep a trailing `.0`.
pub(super) fn jsonb_text_len(value: &Value) -> usize {
    let separators = |n: usize| 2 * n.saturating_sub(1);
    match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) if n.is_f64() => {
            let plain = n.as_f64().map(|f| format!("{f}").len() + 2).unwrap_or(0);
            plain.max(n.to_string().len())
        }
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => serde_json::to_string(s).map_or(usize::MAX / 2, |s| s.len()),
        Value::Array(items) => {
            2 + items.iter().map(jsonb_text_len).sum::<usize>() + separators(items.len())
        }
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| jsonb_text_len(&Value::String(k.clone())) + 2 + jsonb_text_len(v))
                .sum::<usize>()
                + separators(map.len())
        }
    }
}

/// Whether any key or string anywhere in `value` holds U+0000.
pub(super) fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// Collects field errors while the fields are read.
pub(super) struct Fields<'a> {
    pub(super) body: &'a Map<String, Value>,
    pub(super) errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub(super) fn of(body: &'a Value) -> Result<Self, Vec<FieldError>> {
        match body.as_object() {
            Some(body) => Ok(Fields {
                body,
                errors: vec![],
            }),
            None => Err(vec![FieldError::new("", "the body must be a JSON object")]),
        }
    }

    pub(super) fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A required string.
    pub(super) fn text(&mut self, field: &str) -> Option<&'a str> {
        match self.body.get(field) {
            None | Some(Value::Null) => {
                self.fail(field, "is required");
                None
            }
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    pub(super) fn optional_text(&mut self, field: &str) -> Option<&'a str> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(_) => self.text(field),
        }
    }

    /// Parses a present string, recording why it is invalid.
    pub(super) fn parsed<T>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        match parse(raw?) {
            Ok(v) => Some(v),
            Err(Invalid(message)) => {
                self.fail(field, message);
                None
            }
        }
    }

    pub(super) fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => Err(self.errors),
        }
    }
}

/// A list of role names (`group_names`, `add`, `remove`): each of the
/// catalog's shape, lower-cased, sorted, without repeats.
pub(super) fn role_names(f: &mut Fields<'_>, field: &str, required: bool) -> Option<Vec<String>> {
    match f.body.get(field) {
        None | Some(Value::Null) if !required => Some(vec![]),
        None | Some(Value::Null) => {
            f.fail(field, "is required");
            None
        }
        Some(Value::Array(items)) => {
            let mut names = Vec::new();
            for item in items {
                match item.as_str().map(|s| s.trim().to_lowercase()) {
                    Some(name) if is_catalog_name(&name) => names.push(name),
                    _ => {
                        f.fail(field, "must be a list of role names");
                        return None;
                    }
                }
            }
            names.sort();
            names.dedup();
            Some(names)
        }
        Some(_) => {
            f.fail(field, "must be a list of role names");
            None
        }
    }
}
