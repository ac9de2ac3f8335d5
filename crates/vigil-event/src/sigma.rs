//! rsigma-eval's `Event` trait over [`crate::Event`]: fields are read in place.

use std::borrow::Cow;

use rsigma_eval::event::EventValue;
use serde_json::Value;

use crate::{Event, Raw, fields::MAX_NESTING};

impl rsigma_eval::Event for Event {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        match self.fields.lookup(path)? {
            Cow::Borrowed(v) => Some(EventValue::from(v)),
            Cow::Owned(v) => Some(owned_value(v)),
        }
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut hit = false;
        self.visit_string_values(&mut |s| hit = hit || pred(s));
        hit
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::new();
        for (_, v) in self.fields.iter() {
            collect_strings(v, &mut out, MAX_NESTING);
        }
        if let Raw::Text(t) = &self.raw {
            out.push(Cow::Borrowed(t.as_ref()));
        }
        out
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        for (_, v) in self.fields.iter() {
            visit_strings(v, visit, MAX_NESTING);
        }
        // Keyword rules match the original line too (e.g. a syslog message's header).
        if let Raw::Text(t) = &self.raw {
            visit(t);
        }
    }

    fn to_json(&self) -> Value {
        self.fields.to_json()
    }

    fn top_level_keys(&self) -> Option<Vec<Cow<'_, str>>> {
        Some(self.fields.keys().map(Cow::Borrowed).collect())
    }

    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        for k in self.fields.keys() {
            visit(k);
        }
        true
    }
}

fn owned_value(v: Value) -> EventValue<'static> {
    match v {
        Value::String(s) => EventValue::Str(Cow::Owned(s)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => EventValue::Int(i),
            None => EventValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Bool(b) => EventValue::Bool(b),
        Value::Null => EventValue::Null,
        Value::Array(a) => EventValue::Array(a.into_iter().map(owned_value).collect()),
        Value::Object(m) => EventValue::Map(m.into_iter().map(|(k, v)| (Cow::Owned(k), owned_value(v))).collect()),
    }
}

fn visit_strings(v: &Value, visit: &mut dyn FnMut(&str), depth: usize) {
    if depth == 0 {
        return;
    }
    match v {
        Value::String(s) => visit(s),
        Value::Array(a) => a.iter().for_each(|x| visit_strings(x, visit, depth - 1)),
        Value::Object(m) => m.values().for_each(|x| visit_strings(x, visit, depth - 1)),
        _ => {}
    }
}

fn collect_strings<'a>(v: &'a Value, out: &mut Vec<Cow<'a, str>>, depth: usize) {
    if depth == 0 {
        return;
    }
    match v {
        Value::String(s) => out.push(Cow::Borrowed(s)),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out, depth - 1)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out, depth - 1)),
        _ => {}
    }
}
