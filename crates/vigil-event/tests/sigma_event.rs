//! The event model under the real Sigma engine: fields are found, keywords see strings and raw text.

use proptest::prelude::*;
use rsigma_eval::{Engine, Event as _};
use serde_json::json;
use vigil_event::{Event, Fields, LogSourceTags, Raw, Source};

fn event(fields: Fields, raw: Raw) -> Event {
    Event::new(
        Source {
            input: "test".into(),
            ..Source::default()
        },
        None,
        LogSourceTags::product("windows"),
        fields,
        raw,
    )
}

fn engine(yaml: &str) -> Engine {
    let collection = rsigma_parser::parse_sigma_yaml(yaml).expect("rule parses");
    let mut engine = Engine::new();
    engine.add_collection(&collection).expect("rule compiles");
    engine
}

#[test]
fn field_rule_fires_on_flat_and_nested_fields() {
    let e = engine(
        "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource: {product: windows}\n\
         detection:\n  sel:\n    CommandLine|contains: whoami\n    winlog.event_data.User: bob\n  condition: sel\n",
    );
    let mut f = Fields::new();
    f.insert("CommandLine", "cmd.exe /c WHOAMI /all");
    f.insert("winlog", json!({"event_data": {"User": "bob"}}));
    assert_eq!(e.evaluate(&event(f.clone(), Raw::None)).len(), 1);
    f.insert("winlog", json!({"event_data": {"User": "alice"}}));
    assert_eq!(e.evaluate(&event(f, Raw::None)).len(), 0);
}

#[test]
fn keyword_rule_sees_raw_text_and_numbers_compare() {
    let e = engine(
        "title: t\nlogsource: {product: linux}\ndetection:\n  kw:\n    - 'session opened for user root'\n  condition: kw\n",
    );
    let raw = Raw::Text("Jan 1 host sshd[1]: session opened for user root".into());
    assert_eq!(e.evaluate(&event(Fields::new(), raw)).len(), 1);
    let e = engine("title: t\nlogsource: {product: windows}\ndetection:\n  s:\n    EventID: 4688\n  condition: s\n");
    let f: Fields = [("EventID", json!(4688))].into_iter().collect();
    assert_eq!(e.evaluate(&event(f, Raw::None)).len(), 1);
}

proptest! {
    #[test]
    fn any_flat_field_is_found_with_its_value(name in "[A-Za-z_][A-Za-z0-9_]{0,20}", value in ".{0,40}") {
        let f: Fields = [(name.clone(), json!(value.clone()))].into_iter().collect();
        let ev = event(f, Raw::None);
        let got = ev.get_field(&name).and_then(|v| v.as_str().map(|s| s.into_owned()));
        prop_assert_eq!(got, Some(value.clone()));
        prop_assert!(ev.any_string_value(&|s| s == value));
    }

    #[test]
    fn lookup_never_panics(path in ".{0,60}") {
        let f: Fields = [("a.b", json!({"c": [1, {"d": "x"}]})), ("a", json!({"b": null}))].into_iter().collect();
        let _ = event(f, Raw::None).get_field(&path);
    }
}
