//! Observables from the command line against a running server: `vigil incidents observable add`
//! (checked and normalised by the server), `vigil incidents observables` (the table, with the
//! related incidents and hostile values shown escaped), `update`, `find` and `remove`; a viewer
//! cannot add.

use crate::cli_run::{api_key, fails, ok};
use crate::harness::{BASE_CONFIG, Env, Server};

fn create(server: &Server, key: &str, title: &str) -> String {
    let args = [
        "incidents",
        "create",
        "--title",
        title,
        "--severity",
        "high",
        "--classification",
        "intrusions:system-compromise",
    ];
    ok(server, key, &args).stdout.trim().to_owned()
}

#[test]
fn observables_are_added_listed_with_related_incidents_and_found() {
    let env = Env::new(BASE_CONFIG);
    let analyst = api_key(&env, "analyst");
    let viewer = api_key(&env, "viewer");
    let server = env.start(false);
    let first = create(&server, &analyst, "Beaconing from ws07");
    let second = create(&server, &analyst, "Beaconing from ws09");
    let add = |id: &str, kind: &str, value: &str, extra: &[&str]| {
        let mut args = vec!["incidents", "observable", "add", id, "--kind", kind, "--value", value];
        args.extend_from_slice(extra);
        ok(&server, &analyst, &args).stdout.trim().to_owned()
    };
    let oid = add(&first, "ip", "::ffff:203.0.113.7", &["--ioc", "--tlp", "red"]);
    assert!(oid.starts_with("obs-"), "{oid}");
    add(&second, "ip", "203.0.113.7", &[]);
    add(&first, "user", "evil\u{202e}gpj.exe", &[]);

    let listed = ok(&server, &viewer, &["incidents", "observables", &first]);
    for expected in [oid.as_str(), "203.0.113.7", "IOC", "red", "by hand", second.as_str()] {
        assert!(listed.stdout.contains(expected), "{expected}: {}", listed.all());
    }
    assert!(!listed.stdout.contains('\u{202e}'), "escaped: {}", listed.all());
    assert!(listed.stderr.contains("2 of 2 observables"), "{}", listed.all());

    let bad = fails(
        &server,
        &analyst,
        &[
            "incidents",
            "observable",
            "add",
            &first,
            "--kind",
            "ip",
            "--value",
            "10.1.2",
        ],
    );
    assert!(bad.stderr.contains("not a valid ip value"), "{}", bad.all());
    let denied = fails(
        &server,
        &viewer,
        &[
            "incidents",
            "observable",
            "add",
            &first,
            "--kind",
            "ip",
            "--value",
            "10.0.0.1",
        ],
    );
    assert!(denied.stderr.contains("forbidden"), "{}", denied.all());

    let changed = ok(
        &server,
        &analyst,
        &["incidents", "observable", "update", &first, &oid, "--ioc", "false"],
    );
    assert!(changed.stdout.contains("not an IOC"), "{}", changed.all());
    let found = ok(&server, &viewer, &["incidents", "observable", "find", "203.0.113.7"]);
    for expected in [first.as_str(), second.as_str(), "Beaconing from ws07"] {
        assert!(found.stdout.contains(expected), "{expected}: {}", found.all());
    }
    assert!(found.stderr.contains("seen in 2 incidents"), "{}", found.all());

    ok(&server, &analyst, &["incidents", "observable", "remove", &first, &oid]);
    let listed = ok(&server, &viewer, &["incidents", "observables", &first, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&listed.stdout).expect("json");
    assert_eq!(list["total"], 1, "{list}");
}
