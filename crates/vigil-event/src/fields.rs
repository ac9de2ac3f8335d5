//! The flat field map of an event.

use std::borrow::Cow;

use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Deepest nesting walked when searching nested values; deeper values are ignored, not a panic.
pub const MAX_NESTING: usize = 64;

type Map = IndexMap<Box<str>, Value, foldhash::fast::RandomState>;

/// Fields that name the host an event is about, in order: Windows' `Computer`, then the usual
/// names of syslog, JSON and ECS records. Alerts, hunt output and the server's event source use
/// this one list.
pub const HOST_FIELDS: [&str; 5] = ["Computer", "host", "host.name", "hostname", "node"];

/// The host named by a JSON object of fields (as [`Fields::host`] finds it).
pub fn host_of_json(fields: &Value) -> Option<&str> {
    HOST_FIELDS.iter().find_map(|name| {
        let direct = fields.get(name);
        let nested = || {
            let (head, rest) = name.split_once('.')?;
            fields.get(head)?.get(rest)
        };
        direct
            .or_else(nested)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    })
}

/// An event's fields, by Sigma field name, in insertion order.
///
/// Keys are usually flat (`CommandLine`, `EventID`); a value may still be an object or array, and a
/// dotted path (`winlog.event_data.User`) reaches into it when no flat key of that name exists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Map);

impl Fields {
    pub fn new() -> Self {
        Fields(Map::default())
    }

    pub fn with_capacity(n: usize) -> Self {
        Fields(Map::with_capacity_and_hasher(n, Default::default()))
    }

    /// Sets a field, replacing any value it had.
    pub fn insert(&mut self, name: impl Into<Box<str>>, value: impl Into<Value>) {
        self.0.insert(name.into(), value.into());
    }

    /// Sets a field only if it has no value yet; returns whether it was set.
    pub fn insert_if_absent(&mut self, name: &str, value: impl Into<Value>) -> bool {
        if self.0.contains_key(name) {
            return false;
        }
        self.0.insert(name.into(), value.into());
        true
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.0.shift_remove(name)
    }

    /// The value of a flat field.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The string value of a flat field.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// Looks a field up by flat name first, then by dotted path into nested objects and arrays.
    pub fn lookup(&self, path: &str) -> Option<Cow<'_, Value>> {
        if let Some(v) = self.0.get(path) {
            return Some(Cow::Borrowed(v));
        }
        if !path.contains('.') {
            return None;
        }
        // Try every split point, longest flat prefix first: `a.b.c` may be key `a.b` + path `c`.
        let bytes = path.as_bytes();
        for split in (0..bytes.len()).rev().filter(|&i| bytes[i] == b'.') {
            let (head, rest) = (&path[..split], &path[split + 1..]);
            if let Some(root) = self.0.get(head) {
                let mut found = Vec::new();
                walk_path(root, rest, &mut found, MAX_NESTING);
                return match found.len() {
                    0 => None,
                    1 => found.pop().map(Cow::Borrowed),
                    _ => Some(Cow::Owned(Value::Array(found.into_iter().cloned().collect()))),
                };
            }
        }
        None
    }

    /// The host the event is about, from the first of [`HOST_FIELDS`] that holds non-empty text.
    pub fn host(&self) -> Option<String> {
        HOST_FIELDS.iter().find_map(|name| match self.lookup(name)?.as_ref() {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        })
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(AsRef::as_ref)
    }

    /// The fields as one JSON object.
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    /// Fields from a JSON object's members (other values give an empty map).
    pub fn from_json_object(value: Value) -> Self {
        match value {
            Value::Object(map) => {
                let mut f = Fields::with_capacity(map.len());
                for (k, v) in map {
                    f.0.insert(k.into_boxed_str(), v);
                }
                f
            }
            _ => Fields::new(),
        }
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter())
    }
}

impl<K: Into<Box<str>>, V: Into<Value>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut f = Fields::new();
        for (k, v) in iter {
            f.insert(k, v);
        }
        f
    }
}

fn walk_path<'a>(value: &'a Value, path: &str, out: &mut Vec<&'a Value>, depth: usize) {
    if depth == 0 {
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                walk_path(item, path, out, depth - 1);
            }
        }
        Value::Object(map) => {
            if let Some(v) = map.get(path) {
                out.push(v);
                return;
            }
            let (head, rest) = path.split_once('.').unwrap_or((path, ""));
            if let Some(child) = map.get(head) {
                if rest.is_empty() {
                    out.push(child);
                } else {
                    walk_path(child, rest, out, depth - 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn flat_then_dotted_lookup() {
        let mut f = Fields::new();
        f.insert("CommandLine", "cmd /c whoami");
        f.insert(
            "winlog",
            json!({"event_data": {"User": "bob"}, "list": [{"a": 1}, {"a": 2}]}),
        );
        f.insert("a.b", json!({"c": "flat-prefix"}));
        assert_eq!(f.lookup("CommandLine").as_deref(), Some(&json!("cmd /c whoami")));
        assert_eq!(f.lookup("winlog.event_data.User").as_deref(), Some(&json!("bob")));
        assert_eq!(f.lookup("winlog.list.a").as_deref(), Some(&json!([1, 2])));
        assert_eq!(f.lookup("a.b.c").as_deref(), Some(&json!("flat-prefix")));
        assert_eq!(f.lookup("winlog.nope"), None);
        assert_eq!(f.lookup("nope"), None);
    }

    #[test]
    fn insert_if_absent_keeps_first_value() {
        let mut f = Fields::new();
        assert!(f.insert_if_absent("x", 1));
        assert!(!f.insert_if_absent("x", 2));
        assert_eq!(f.get("x"), Some(&json!(1)));
    }
}
