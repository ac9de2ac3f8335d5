//! Property and robustness tests for the JSON, Windows, EVTX and field-map parsers.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vigil_parse::{Format, Origin, evtx::read_evtx_bytes, json, normalize::FieldMap, parse_line, windows};

fn origin() -> Origin {
    Origin::file("ndjson", "p.ndjson")
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[ -~]{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z#_ ]{1,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn ndjson_never_panics_and_errors_keep_their_offset(bytes in prop::collection::vec(any::<u8>(), 0..300), offset in any::<u64>()) {
        match parse_line(Format::Ndjson, &bytes, &origin(), offset) {
            Ok(ev) => prop_assert_eq!(ev.source.offset, offset),
            Err(e) => {
                prop_assert_eq!(e.offset, offset);
                prop_assert_eq!(e.path.as_deref(), Some("p.ndjson"));
            }
        }
    }

    #[test]
    fn plain_objects_keep_every_member(members in prop::collection::btree_map("[a-z]{1,8}", "[ -~]{0,20}", 1..8)) {
        // Plain objects (no Windows/Winlogbeat/ECS shape) keep every member under its own name.
        let mut obj = Map::new();
        for (k, v) in &members {
            obj.insert(format!("x_{k}"), Value::String(v.clone()));
        }
        let line = serde_json::to_vec(&Value::Object(obj)).expect("serializes");
        let ev = json::parse(&line, &origin(), 0).expect("valid JSON object");
        for (k, v) in &members {
            prop_assert_eq!(ev.fields.get_str(&format!("x_{k}")), Some(v.as_str()));
        }
    }

    #[test]
    fn windows_flatten_never_panics(v in json_value()) {
        let wrapped = json!({"Event": {"System": v.clone(), "EventData": v.clone(), "UserData": v}});
        let _ = windows::flatten(&wrapped);
    }

    #[test]
    fn evtx_reader_never_panics_on_garbage(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let mut n = 0;
        let mut data = b"ElfFile\0".to_vec();
        data.extend(bytes);
        read_evtx_bytes(data, &Origin::file("evtx", "g.evtx"), &mut |_| n += 1);
    }

    #[test]
    fn field_map_yaml_never_panics(text in "[ -~\n]{0,200}") {
        let _ = FieldMap::from_yaml(&text);
    }
}

/// A real EVTX file with bytes flipped: every record is either an event or an error with an
/// offset; the reader never panics and keeps going after a bad record.
#[test]
fn corrupted_real_evtx_is_read_without_panic() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/evtx/EVTX-to-MITRE-Attack/TA0006-Credential Access/T1003-Credential dumping/ID10-Mimikatz LSASS process dump.evtx");
    let Ok(original) = std::fs::read(&sample) else {
        eprintln!("skipped: {} is absent", sample.display());
        return;
    };
    let origin = Origin::file("evtx", "corrupt.evtx");
    let mut clean = 0;
    read_evtx_bytes(original.clone(), &origin, &mut |r| clean += usize::from(r.is_ok()));
    assert!(clean > 0, "the clean sample has records");
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..64 {
        let mut data = original.clone();
        for _ in 0..(1 + round % 16) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let at = 4096 + (rng as usize) % (data.len() - 4096);
            data[at] ^= (rng >> 32) as u8 | 1;
        }
        let (mut ok, mut err) = (0, 0);
        read_evtx_bytes(data, &origin, &mut |r| match r {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(e.path.as_deref(), Some("corrupt.evtx"));
                err += 1;
            }
        });
        assert!(ok + err > 0, "round {round}: every record is accounted for");
    }
}

#[test]
fn sigmahq_regression_json_matches_evtx_flattening() {
    // The same record as EVTX and as SigmaHQ's JSON rendering flattens to the same fields.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/sigma/regression_data/rules/windows/registry/registry_set/registry_set_disable_administrative_share",
    );
    let evtx = dir.join("c7dcacd0-cc59-4004-b0a4-1d6cdebe6f3e.evtx");
    let Ok(bytes) = std::fs::read(&evtx) else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let mut from_evtx = Vec::new();
    read_evtx_bytes(bytes, &Origin::file("evtx", "x.evtx"), &mut |r| {
        from_evtx.push(r.expect("valid record"))
    });
    let text = std::fs::read_to_string(evtx.with_extension("json")).expect("json sibling");
    let from_json: Vec<_> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|v| json::from_value(v.expect("valid JSON"), vigil_event::Raw::None, &origin(), 0))
        .collect();
    assert_eq!(from_evtx.len(), from_json.len());
    // SigmaHQ rendered its JSON with another tool: GUIDs upper-case without braces, times cut to
    // microseconds. Everything else must be identical.
    let canon = |name: &str, v: &Value| -> Value {
        match v {
            Value::String(s) if name.to_ascii_lowercase().ends_with("guid") => {
                json!(s.trim_matches(|c| c == '{' || c == '}').to_ascii_uppercase())
            }
            Value::String(s) if name == "TimeCreated" => json!(s.get(..26).unwrap_or(s)),
            other => other.clone(),
        }
    };
    for (a, b) in from_evtx.iter().zip(&from_json) {
        let keys_a: Vec<&str> = a.fields.keys().collect();
        let keys_b: Vec<&str> = b.fields.keys().collect();
        assert_eq!(keys_a, keys_b);
        for (k, v) in a.fields.iter() {
            assert_eq!(canon(k, v), canon(k, b.fields.get(k).expect("same keys")), "field {k}");
        }
        assert_eq!(a.logsource, b.logsource);
        let micros = |t: Option<jiff::Timestamp>| t.map(|t| t.as_microsecond());
        assert_eq!(micros(a.time), micros(b.time));
    }
}

/// A sink that breaks stops the reading there: nothing more is parsed or handed over.
#[test]
fn reading_an_evtx_file_stops_when_the_sink_breaks() {
    use std::ops::ControlFlow;
    use vigil_parse::evtx::{EvtxOptions, read_evtx_file, read_evtx_file_until};
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/evtx/EVTX-to-MITRE-Attack/TA0007-Discovery/T1069-Permission Groups Discovery/ID4662-Domain group enumeration CME.evtx");
    if !sample.exists() {
        eprintln!("skipped: {} is absent", sample.display());
        return;
    }
    let origin = Origin::file("evtx", "sample.evtx");
    let all = read_evtx_file(&sample, &origin, EvtxOptions::default(), &mut |_| {}).expect("readable");
    assert!(all.records > 10, "{all:?}");
    let mut seen = 0u64;
    let part = read_evtx_file_until(&sample, &origin, EvtxOptions::default(), &mut |_| {
        seen += 1;
        if seen == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .expect("readable");
    assert_eq!(seen, 3);
    assert_eq!(part.records, 3, "{part:?}");
}
