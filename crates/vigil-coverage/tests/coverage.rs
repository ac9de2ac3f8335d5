//! Bundle loading, coverage figures on a hand-built bundle, Navigator layer format 4.5.

use std::{collections::HashMap, path::Path};

use serde_json::Value;
use vigil_coverage::{
    Attack, BundleError, Coverage, CoverageInputs, CoverageRule, LayerContext, LayerKind, LogSource, Ratio, Scope,
    compute, layer,
};

fn mini() -> Attack {
    Attack::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini-attack.json")).expect("fixture loads")
}

fn src(product: Option<&str>, service: Option<&str>, category: Option<&str>) -> LogSource {
    LogSource {
        product: product.map(str::to_string),
        service: service.map(str::to_string),
        category: category.map(str::to_string),
    }
}

fn rule(id: &str, techniques: &[&str], logsource: LogSource) -> CoverageRule {
    CoverageRule {
        id: id.to_string(),
        title: format!("Rule {id}"),
        techniques: techniques.iter().map(|t| t.to_string()).collect(),
        logsource,
    }
}

fn rules() -> Vec<CoverageRule> {
    vec![
        rule(
            "r1",
            &["T1059.001"],
            src(Some("windows"), None, Some("process_creation")),
        ),
        rule("r2", &["T1053"], src(Some("linux"), Some("cron"), None)),
        rule("r3", &["T1070.001"], src(Some("windows"), Some("security"), None)),
        rule("r4", &[], src(None, None, None)),
        rule("r5", &["T9999", "T1099"], src(None, None, None)),
    ]
}

fn reporting() -> Vec<LogSource> {
    vec![
        src(Some("Windows"), None, Some("process_creation")),
        src(Some("windows"), Some("security"), None),
    ]
}

fn validated() -> HashMap<String, bool> {
    HashMap::from([("T1059.001".to_string(), true), ("T1070.001".to_string(), false)])
}

fn run(scope: &Scope, reporting: Option<&[LogSource]>, validated: Option<&HashMap<String, bool>>) -> Coverage {
    let rules = rules();
    compute(
        &mini(),
        &CoverageInputs {
            scope,
            rules: &rules,
            reporting,
            validated,
        },
    )
}

fn ratio(covered: usize, total: usize) -> Ratio {
    Ratio {
        covered,
        total,
        ratio: covered as f64 / total as f64,
    }
}

#[test]
fn the_fixture_loads_active_techniques_in_matrix_order() {
    let a = mini();
    assert_eq!(a.version.as_deref(), Some("18.1"));
    assert_eq!(a.major_version(), Some("18"));
    let tactics: Vec<&str> = a.tactics.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(tactics, ["TA0002", "TA0003", "TA0005"]);
    let ids: Vec<&str> = a.techniques.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["T1053", "T1059", "T1059.001", "T1059.004", "T1070", "T1070.001"]);
    let t1053 = a.technique("T1053").expect("T1053");
    assert_eq!(
        t1053.tactics,
        ["execution", "persistence"],
        "matrix order, not the bundle's"
    );
    let ps = a.technique("T1059.001").expect("T1059.001");
    assert_eq!(ps.parent.as_deref(), Some("T1059"));
    let dcs: Vec<&str> = ps.data_components.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        dcs,
        ["DC0001", "DC0002"],
        "deprecated DC0003 and the missing analytic are left out"
    );
    assert!(a.technique("T1053").expect("T1053").data_components.is_empty());
    assert_eq!(a.platforms(), ["Linux", "Windows"]);
}

#[test]
fn coverage_figures_by_hand() {
    let v = validated();
    let c = run(&Scope::default(), Some(&reporting()), Some(&v));
    assert_eq!(c.summary.rules, ratio(5, 6));
    assert_eq!(c.summary.healthy, ratio(4, 6));
    assert_eq!(c.summary.validated, ratio(2, 6));
    assert_eq!(c.unknown_techniques, ["T1099", "T9999"]);
    assert_eq!(c.untagged_rules, 1);
    let by = |id: &str| c.techniques.iter().find(|t| t.id == id).expect(id);
    // A sub-technique's rule counts for the parent, marked `via`; not the other way round.
    let parent = by("T1059");
    assert_eq!(parent.rules.len(), 1);
    assert_eq!(parent.rules[0].via.as_deref(), Some("T1059.001"));
    assert!(by("T1059.004").rules.is_empty());
    assert_eq!(by("T1053").rules[0].reporting, Some(false));
    assert_eq!(by("T1070.001").validated, Some(false));
    assert_eq!(
        by("T1059").validated,
        Some(true),
        "a sub-technique's pass counts for the parent"
    );
    assert_eq!(by("T1059.004").validated, None);
    let tactic = |id: &str| c.tactics.iter().find(|t| t.id == id).expect(id).summary;
    assert_eq!(tactic("TA0002").rules, ratio(3, 4));
    assert_eq!(tactic("TA0002").healthy, ratio(2, 4));
    assert_eq!(tactic("TA0002").validated, ratio(2, 4));
    assert_eq!(tactic("TA0003").rules, ratio(1, 1));
    assert_eq!(tactic("TA0003").healthy, ratio(0, 1));
    assert_eq!(tactic("TA0005").healthy, ratio(2, 2));
    assert_eq!(tactic("TA0005").validated, ratio(0, 2));
}

#[test]
fn scope_by_platform_and_tactic() {
    let linux = Scope {
        tactics: vec![],
        platforms: vec!["linux".to_string()],
    };
    let c = run(&linux, Some(&reporting()), None);
    let ids: Vec<&str> = c.techniques.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["T1053", "T1059", "T1059.004", "T1070"]);
    assert_eq!(c.summary.rules, ratio(3, 4));
    assert_eq!(c.summary.healthy, ratio(2, 4));
    assert_eq!(c.summary.validated, ratio(0, 4));
    assert!(!c.validation_available);

    let persistence = Scope {
        tactics: vec!["TA0003".to_string()],
        platforms: vec![],
    };
    let c = run(&persistence, Some(&reporting()), None);
    assert_eq!(c.tactics.len(), 1);
    assert_eq!(c.techniques.len(), 1);
    assert_eq!(c.techniques[0].tactics, ["persistence"]);
    assert_eq!(c.summary.rules, ratio(1, 1));
}

#[test]
fn coverage_falls_when_a_source_goes_silent_and_health_can_be_unavailable() {
    let before = run(&Scope::default(), Some(&reporting()), None);
    let only_process = [src(Some("windows"), None, Some("process_creation"))];
    let after = run(&Scope::default(), Some(&only_process), None);
    assert_eq!(before.summary.healthy, ratio(4, 6));
    assert_eq!(after.summary.healthy, ratio(2, 6));
    assert_eq!(after.summary.rules, before.summary.rules);
    let unknown = run(&Scope::default(), None, None);
    assert!(!unknown.health_available);
    assert_eq!(unknown.summary.healthy, ratio(0, 6));
    assert_eq!(unknown.techniques[1].rules[0].reporting, None);
}

#[test]
fn logsource_match_needs_every_dimension_the_rule_names() {
    let rule = src(Some("windows"), None, Some("process_creation"));
    assert!(rule.matched_by(&src(Some("windows"), Some("sysmon"), Some("process_creation"))));
    assert!(!rule.matched_by(&src(Some("windows"), None, None)));
    assert!(!rule.matched_by(&src(None, None, Some("process_creation"))));
    assert!(src(None, None, None).matched_by(&src(None, None, None)));
}

/// The layer's JSON against the Navigator's layer format 4.5: required fields and their types.
fn check_layer_format(v: &Value, attack: &Attack) {
    assert!(v["name"].is_string());
    assert_eq!(v["domain"], "enterprise-attack");
    assert_eq!(v["versions"]["layer"], "4.5");
    assert!(v["versions"]["navigator"].as_str().is_some_and(|s| s >= "4.9.0"));
    assert!(v["versions"]["attack"].is_string());
    assert!(v["description"].is_string());
    assert!(v["sorting"].as_u64().is_some_and(|s| s <= 3));
    assert!(v["hideDisabled"].is_boolean());
    assert!(
        v["filters"]["platforms"]
            .as_array()
            .is_some_and(|p| p.iter().all(Value::is_string))
    );
    let layout = &v["layout"];
    assert!(["side", "flat", "mini"].contains(&layout["layout"].as_str().unwrap_or("")));
    assert!(layout["showID"].is_boolean() && layout["showName"].is_boolean());
    assert!(["average", "min", "max", "sum"].contains(&layout["aggregateFunction"].as_str().unwrap_or("")));
    assert!(["none", "all", "annotated"].contains(&layout["expandedSubtechniques"].as_str().unwrap_or("")));
    let g = &v["gradient"];
    let colors = g["colors"].as_array().expect("gradient.colors");
    assert!(colors.len() >= 2 && colors.iter().all(|c| c.as_str().is_some_and(is_color)));
    assert!(g["minValue"].as_f64().expect("minValue") < g["maxValue"].as_f64().expect("maxValue"));
    for item in v["legendItems"].as_array().expect("legendItems") {
        assert!(item["label"].is_string() && item["color"].as_str().is_some_and(is_color));
    }
    for m in v["metadata"].as_array().expect("metadata") {
        assert!(m["name"].is_string() && m["value"].is_string());
    }
    let techniques = v["techniques"].as_array().expect("techniques");
    assert!(!techniques.is_empty());
    for t in techniques {
        let id = t["techniqueID"].as_str().expect("techniqueID");
        assert!(attack.technique(id).is_some(), "{id} is not in the bundle");
        assert!(t["score"].is_number() && t["comment"].is_string() && t["enabled"].is_boolean());
        if let Some(tactic) = t.get("tactic") {
            assert!(
                attack
                    .tactics
                    .iter()
                    .any(|x| Some(x.shortname.as_str()) == tactic.as_str())
            );
        }
        assert!(t.get("color").is_none_or(|c| c.as_str().is_some_and(is_color)));
    }
}

fn is_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn layers_follow_format_4_5() {
    let attack = mini();
    let v = validated();
    let c = run(&Scope::default(), Some(&reporting()), Some(&v));
    let ctx = LayerContext {
        title: "acme".to_string(),
        alerts_by_rule: HashMap::from([("r1".to_string(), 7), ("r3".to_string(), 2)]),
        period: Some("November 2026".to_string()),
        window: Some("24h".to_string()),
    };
    for kind in LayerKind::ALL {
        let l = layer(kind, &attack, &c, &ctx);
        let json = serde_json::to_value(&l).expect("serializes");
        check_layer_format(&json, &attack);
        assert_eq!(l.techniques.len(), 6, "{kind:?}: every technique in scope");
    }
    let score = |kind, id: &str| {
        let l = layer(kind, &attack, &c, &ctx);
        let t = l.techniques.into_iter().find(|t| t.technique_id == id).expect(id);
        (t.score, t.comment)
    };
    assert_eq!(
        score(LayerKind::Rules, "T1059.001"),
        (1.0, "rules: Rule r1 (r1)".to_string())
    );
    assert_eq!(score(LayerKind::Rules, "T1059.004").0, 0.0);
    assert_eq!(score(LayerKind::Healthy, "T1053").0, 50.0);
    assert_eq!(score(LayerKind::Healthy, "T1070").0, 100.0);
    assert_eq!(score(LayerKind::Validated, "T1059").0, 100.0);
    assert_eq!(score(LayerKind::Validated, "T1070.001").0, 50.0);
    assert_eq!(
        score(LayerKind::Detections, "T1059"),
        (7.0, "alerts: Rule r1: 7".to_string())
    );
    assert_eq!(score(LayerKind::Detections, "T1053"), (0.0, "no alerts".to_string()));
    let linux = Scope {
        tactics: vec![],
        platforms: vec!["LINUX".to_string()],
    };
    let c = run(&linux, None, None);
    let l = layer(LayerKind::Healthy, &attack, &c, &ctx);
    assert_eq!(l.filters.platforms, ["Linux"]);
    assert!(l.description.contains("unavailable"));
}

#[test]
fn bad_bundles_are_clear_errors() {
    let err = |text: &str| Attack::from_slice(text.as_bytes()).expect_err(text).to_string();
    assert!(err("").contains("not a STIX 2.1 bundle"));
    assert!(err(r#"{"type":"indicator","objects":[]}"#).contains("`indicator`, not `bundle`"));
    assert!(err(r#"{"type":"bundle","objects":[]}"#).contains("no enterprise-attack x-mitre-matrix"));
    assert!(
        err(r#"{"type":"bundle","objects":[{"type":"attack-pattern","id":"a","name":3}]}"#).contains("line 1 column")
    );
    let missing =
        r#"{"type":"bundle","objects":[{"type":"x-mitre-matrix","id":"m","tactic_refs":["x-mitre-tactic--gone"]}]}"#;
    assert!(err(missing).contains("x-mitre-tactic--gone"));
    let empty = r#"{"type":"bundle","objects":[{"type":"x-mitre-matrix","id":"m","tactic_refs":[]}]}"#;
    assert!(matches!(
        Attack::from_slice(empty.as_bytes()),
        Err(BundleError::NoTechniques)
    ));
    let e = Attack::load(Path::new("/nonexistent/attack.json")).expect_err("missing file");
    assert!(e.to_string().contains("/nonexistent/attack.json"));
}

/// Fuzz-style: every truncation of the fixture, and bytes flipped through it, load or fail cleanly.
#[test]
fn truncated_and_garbled_bundles_never_panic() {
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini-attack.json")).expect("fixture");
    for cut in (0..bytes.len()).step_by(7) {
        assert!(
            Attack::from_slice(&bytes[..cut]).is_err(),
            "a truncated bundle at {cut} loaded"
        );
    }
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        let mut garbled = bytes.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % garbled.len() as u64) as usize;
            garbled[at] = (seed >> 32) as u8;
        }
        if let Ok(attack) = Attack::from_slice(&garbled) {
            let rules = rules();
            let c = compute(
                &attack,
                &CoverageInputs {
                    scope: &Scope::default(),
                    rules: &rules,
                    reporting: Some(&reporting()),
                    validated: None,
                },
            );
            let _ = layer(LayerKind::Rules, &attack, &c, &LayerContext::default());
        }
    }
}

/// The real ATT&CK v18.1 bundle from ../shared (skipped with a message when it is absent).
#[test]
fn the_real_bundle_loads_691_active_techniques() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/attack/enterprise-attack-18.1-core.json");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let attack = Attack::load(&path).expect("the real bundle loads");
    assert_eq!(attack.techniques.len(), 691);
    assert_eq!(attack.tactics.len(), 14);
    assert_eq!(
        attack.tactics[0].id, "TA0043",
        "matrix order starts with Reconnaissance"
    );
    assert_eq!(attack.major_version(), Some("18"));
    let ps = attack.technique("T1059.001").expect("PowerShell");
    assert_eq!(ps.tactics, ["execution"]);
    assert!(
        ps.data_components.iter().any(|d| d.name == "Process Creation"),
        "{:?}",
        ps.data_components
    );
    let with_dc = attack
        .techniques
        .iter()
        .filter(|t| !t.data_components.is_empty())
        .count();
    assert!(with_dc > 600, "{with_dc} techniques name data components");
    let rules = vec![rule(
        "ps",
        &["T1059.001"],
        src(Some("windows"), None, Some("process_creation")),
    )];
    let c = compute(
        &attack,
        &CoverageInputs {
            scope: &Scope::default(),
            rules: &rules,
            reporting: Some(&reporting()),
            validated: None,
        },
    );
    assert_eq!(c.summary.rules, ratio(2, 691));
    let json = serde_json::to_value(layer(LayerKind::Rules, &attack, &c, &LayerContext::default())).expect("json");
    check_layer_format(&json, &attack);
}
