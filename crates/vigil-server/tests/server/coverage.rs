//! ATT&CK coverage end to end, on SQLite and on PostgreSQL, with the hand-built bundle of
//! vigil-coverage's tests: the harness rule (T1059, linux/syslog) covers T1059; once its source
//! reports the technique is healthy, and computed a day later (`at`, the driven clock) the source
//! is silent and coverage falls; Navigator layers name only the bundle's techniques; another
//! tenant's sources do not count; a server without a bundle answers `coverage_unconfigured`.

use std::{path::Path, sync::Arc, time::Duration};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use vigil_server::config::CoverageConfig;
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http};

const RULE_ID: &str = "6f1c1f7e-6c7e-4c9a-9d7e-111111111111";

fn bundle() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-coverage/tests/fixtures/mini-attack.json")
}

fn configured(c: &mut vigil_server::ServerConfig) {
    let path = bundle();
    let attack = vigil_coverage::Attack::load(&path).expect("fixture bundle");
    c.coverage = Some(CoverageConfig {
        attack_bundle: path,
        attack: Arc::new(attack),
        scope: vigil_coverage::Scope::default(),
        window: Duration::from_secs(3600),
    });
}

async fn get(s: &TestServer, key: &str, path: &str) -> (u16, Value) {
    http(s.http, "GET", path, Some(key), None).await
}

fn technique<'a>(c: &'a Value, id: &str) -> &'a Value {
    c["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {c}"))
}

fn layer_score(layer: &Value, id: &str) -> f64 {
    let t = layer["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .find(|t| t["techniqueID"] == id);
    t.and_then(|t| t["score"].as_f64())
        .unwrap_or_else(|| panic!("{id} in {layer}"))
}

async fn coverage_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, configured).await;
    let viewer = s.key(Role::Viewer).to_owned();
    let (status, c) = get(&s, &viewer, "/api/v1/coverage").await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["window"], "1h");
    assert_eq!(c["health_available"], true);
    assert_eq!(c["validation_available"], false, "{c}");
    assert_eq!(c["summary"]["rules"]["covered"], 1, "T1059 only: {c}");
    assert_eq!(c["summary"]["rules"]["total"], 6);
    assert_eq!(c["summary"]["healthy"]["covered"], 0, "nothing reported yet: {c}");
    assert_eq!(technique(&c, "T1059")["rules"][0]["id"], RULE_ID);

    let now = Timestamp::now();
    s.syslog_tcp(&[format!("<13>1 {now} web01 app 42 - - vigil-test-evil coverage")])
        .await;
    s.alerts_until(1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let healthy = loop {
        let (status, c) = get(&s, &viewer, "/api/v1/coverage").await;
        assert_eq!(status, 200, "{c}");
        if c["summary"]["healthy"]["covered"] == 1 {
            break c;
        }
        assert!(std::time::Instant::now() < deadline, "the source never reported: {c}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(technique(&healthy, "T1059")["healthy"], true);
    let execution = healthy["tactics"]
        .as_array()
        .expect("tactics")
        .iter()
        .find(|t| t["id"] == "TA0002");
    assert_eq!(execution.expect("TA0002")["healthy"]["covered"], 1, "{healthy}");

    // A day later with nothing sent since, the source is silent: coverage falls.
    let later = now.checked_add(SignedDuration::from_hours(24)).expect("later");
    let (status, silent) = get(&s, &viewer, &format!("/api/v1/coverage?at={later}")).await;
    assert_eq!(status, 200, "{silent}");
    assert_eq!(silent["summary"]["healthy"]["covered"], 0, "{silent}");
    assert_eq!(silent["summary"]["rules"]["covered"], 1, "the rule is still enabled");
    let (_, wide) = get(&s, &viewer, &format!("/api/v1/coverage?at={later}&window=2d")).await;
    assert_eq!(
        wide["summary"]["healthy"]["covered"], 1,
        "a wider window still sees it: {wide}"
    );

    let attack = vigil_coverage::Attack::load(&bundle()).expect("bundle");
    for layer in ["rules", "healthy", "validated", "detections"] {
        let (status, l) = get(&s, &viewer, &format!("/api/v1/coverage/navigator?layer={layer}")).await;
        assert_eq!(status, 200, "{layer}: {l}");
        assert_eq!(l["versions"]["layer"], "4.5");
        assert_eq!(l["domain"], "enterprise-attack");
        for t in l["techniques"].as_array().expect("techniques") {
            let id = t["techniqueID"].as_str().expect("techniqueID");
            assert!(attack.technique(id).is_some(), "{id} not in the bundle");
        }
    }
    let (_, l) = get(&s, &viewer, "/api/v1/coverage/navigator?layer=detections&from=1h").await;
    assert!(layer_score(&l, "T1059") >= 1.0, "{l}");
    assert!(l["techniques"].to_string().contains("Vigil test keyword"), "{l}");
    let (_, l) = get(&s, &viewer, "/api/v1/coverage/navigator?layer=healthy").await;
    assert_eq!(layer_score(&l, "T1059"), 100.0, "{l}");
    assert_eq!(layer_score(&l, "T1053"), 0.0, "{l}");

    // Another tenant: the same rules, but none of its sources reported and it has no alerts.
    let state = s.state().await;
    let other = NewApiKey::new(Role::Viewer, "globex viewer").in_tenant("globex");
    let other = state.create_api_key(&other).await.expect("key").1;
    let (status, c) = get(&s, &other, "/api/v1/coverage").await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["summary"]["rules"]["covered"], 1);
    assert_eq!(c["summary"]["healthy"]["covered"], 0, "{c}");
    let (_, l) = get(&s, &other, "/api/v1/coverage/navigator?layer=detections&from=1h").await;
    assert_eq!(layer_score(&l, "T1059"), 0.0, "{l}");

    for (path, needle) in [
        ("/api/v1/coverage/navigator?layer=heat", "layer"),
        ("/api/v1/coverage/navigator", "layer"),
        ("/api/v1/coverage?tenant=x", "unknown parameter"),
        ("/api/v1/coverage?window=0s", "window"),
        ("/api/v1/coverage/navigator?layer=detections&from=now&to=1h", "from"),
    ] {
        let (status, e) = get(&s, &viewer, path).await;
        assert_eq!(status, 400, "{path}: {e}");
        assert_eq!(e["error"]["code"], "bad_request");
        assert!(
            e["error"]["message"].as_str().unwrap_or("").contains(needle),
            "{path}: {e}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_falls_when_a_source_goes_silent_sqlite() {
    coverage_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_falls_when_a_source_goes_silent_postgres() {
    coverage_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_without_a_bundle_is_unconfigured() {
    let s = TestServer::start_on(false, |_| {}).await;
    for path in ["/api/v1/coverage", "/api/v1/coverage/navigator?layer=rules"] {
        let (status, e) = get(&s, s.key(Role::Viewer), path).await;
        assert_eq!(status, 409, "{path}: {e}");
        assert_eq!(e["error"]["code"], "coverage_unconfigured", "{e}");
    }
    s.stop().await;
}
