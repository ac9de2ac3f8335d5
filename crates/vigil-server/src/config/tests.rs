//! Tests of reading configuration files.

use super::*;

#[test]
fn example_file_is_valid() {
    parse(EXAMPLE).expect("the shipped example parses");
}

#[test]
fn alert_and_dead_letter_retention() {
    let c = parse("version = 1\n[alerts]\nmax_age = \"400d\"\nmax_count = 5\n[dead_letters]\nmax_age = \"forever\"\nmax_count = 0\nmax_size = \"off\"\n")
        .expect("valid");
    assert_eq!(c.alerts.max_age, Some(Duration::from_secs(400 * 86_400)));
    assert_eq!(c.alerts.max_rows, Some(5));
    assert!(c.dead_letters.is_keep_all());
    let d = ServerConfig::default();
    assert!(d.alerts.is_keep_all());
    assert_eq!(
        (d.dead_letters.max_rows, d.dead_letters.max_bytes),
        (Some(1_000_000), Some(1 << 30))
    );
    let sized = parse("version = 1\n[dead_letters]\nmax_size = \"200MiB\"\n").expect("valid");
    assert_eq!(sized.dead_letters.max_bytes, Some(200 << 20));
    let problems =
        parse("version = 1\n[alerts]\nmax_age = \"soon\"\nmax_size = \"1GiB\"\n[dead_letters]\nmax_rows = 3\n")
            .expect_err("invalid");
    let keys: Vec<_> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert!(keys.contains(&("alerts.max_age", Some(3))), "{problems:?}");
    assert!(keys.contains(&("alerts.max_size", Some(4))), "{problems:?}");
    assert!(keys.contains(&("dead_letters.max_rows", Some(6))), "{problems:?}");
    let problems = parse("version = 1\n[dead_letters]\nmax_size = \"lots\"\n").expect_err("invalid");
    assert_eq!(
        (problems[0].key.as_str(), problems[0].line),
        ("dead_letters.max_size", Some(3))
    );
}

#[test]
fn every_problem_is_reported_at_once_with_lines() {
    let text = "version = 1\nlisten = 3\n[http]\nlisten = \"nonsense\"\n[syslog]\ntcp = \"127.0.0.1:1\"\ncolour = \"red\"\n[store]\nmax_age = \"ten days\"\n[pipeline]\nbatch = 0\n";
    let problems = parse(text).expect_err("invalid");
    let lines: Vec<_> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert!(lines.contains(&("listen", Some(2))), "{problems:?}");
    assert!(lines.contains(&("http.listen", Some(4))), "{problems:?}");
    assert!(lines.contains(&("syslog.colour", Some(7))), "{problems:?}");
    assert!(lines.contains(&("store.max_age", Some(9))), "{problems:?}");
    assert!(lines.contains(&("pipeline.batch", Some(11))), "{problems:?}");
}

#[test]
fn api_rate_limits() {
    let c = parse("version = 1\n[http]\napi_rate_limit = 0\napi_burst = 7\n").expect("valid");
    assert_eq!((c.http.api_rate_limit, c.http.api_burst), (0, 7));
    let problems = parse("version = 1\n[http]\napi_rate_limit = 2000000\napi_burst = 0\n").expect_err("invalid");
    let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["http.api_rate_limit", "http.api_burst"], "{problems:?}");
}

#[test]
fn login_limits_per_address_are_settable_and_checked() {
    let c = parse("version = 1\n").expect("valid");
    assert_eq!((c.http.login_per_minute, c.http.login_burst), (10, 10), "the defaults");
    let c = parse("version = 1\n[http]\nlogin_per_minute = 120\nlogin_burst = 60\n").expect("valid");
    assert_eq!((c.http.login_per_minute, c.http.login_burst), (120, 60));
    let problems = parse("version = 1\n[http]\nlogin_per_minute = 0\nlogin_burst = 1000000\n").expect_err("invalid");
    let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["http.login_per_minute", "http.login_burst"], "{problems:?}");
}

#[test]
fn version_is_required_and_checked() {
    assert!(parse("").expect_err("no version")[0].message.contains("missing"));
    assert!(parse("version = 2").expect_err("v2")[0].message.contains("unsupported"));
}

#[test]
fn overrides_win_and_off_disables() {
    let o = Overrides {
        http: Some("127.0.0.1:0".into()),
        syslog_udp: Some("off".into()),
        data_dir: Some("/tmp/x".into()),
        ..Overrides::default()
    };
    let c = load(None, &o).expect("valid");
    assert_eq!(c.http.listen, Some("127.0.0.1:0".parse().expect("addr")));
    assert_eq!(c.syslog.udp, None);
    assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    let bad = Overrides {
        http: Some("x".into()),
        syslog_tcp: Some("y".into()),
        ..Overrides::default()
    };
    assert_eq!(load(None, &bad).expect_err("bad").problems.len(), 2);
}

#[test]
fn tls_settings_are_checked_together_and_files_must_exist() {
    let text = "version = 1\n[http]\ntls_cert = \"/a.crt\"\ntls_client_ca = \"/ca.crt\"\n[syslog]\ntls_key = \"/k\"\n";
    let keys: Vec<String> = parse(text).expect_err("invalid").into_iter().map(|p| p.key).collect();
    assert!(keys.contains(&"http.tls_cert".to_string()), "{keys:?}");
    assert!(keys.contains(&"syslog.tls_cert".to_string()), "{keys:?}");
    let only_ca = "version = 1\n[http]\ntls_client_ca = \"/ca.crt\"\n";
    let keys: Vec<String> = parse(only_ca)
        .expect_err("invalid")
        .into_iter()
        .map(|p| p.key)
        .collect();
    assert_eq!(keys, vec!["http.tls_client_ca".to_string()]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vigil.toml");
    std::fs::write(
        &file,
        "version = 1\n[http]\ntls_cert = \"/nonexistent/h.crt\"\ntls_key = \"/nonexistent/h.key\"\n",
    )
    .expect("write");
    let e = load(Some(&file), &Overrides::default()).expect_err("missing files");
    let missing: Vec<_> = e
        .problems
        .iter()
        .filter(|p| p.key == "http")
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(missing.len(), 2, "{:?}", e.problems);
    assert!(missing[0].contains("/nonexistent/h.crt"), "{missing:?}");
}

#[test]
fn syntax_error_has_a_line() {
    let e = parse("version = 1\n[http\n").expect_err("syntax");
    assert_eq!(e[0].line, Some(2));
}

/// `vigil config check` lists every problem of a file with its key and line: unknown sections and
/// keys (several in one section), values of the wrong type (in TOML's words), bad durations, and
/// what the store would refuse at start-up (a partition that is not whole seconds or over 366 days).
#[test]
fn config_check_lists_every_problem_with_key_and_line() {
    let text = "\
version = 1
[colour]
shade = \"red\"
[http]
listen = \"127.0.0.1:9200\"
listn = \"x\"
max_conections = 5
max_connections = \"many\"
idle_timeout = \"2 fortnights\"
[store]
partition = \"1500ms\"
retention_interval = \"1y\"
[pipeline]
commit_interval = \"soon\"
[rules]
min_level = \"hihg\"
[http.extra]
x = 1
";
    let problems = parse(text).expect_err("invalid");
    let found: Vec<(&str, Option<usize>)> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    for want in [
        ("colour", Some(2)),
        ("http.listn", Some(6)),
        ("http.max_conections", Some(7)),
        ("http.max_connections", Some(8)),
        ("http.idle_timeout", Some(9)),
        ("store.partition", Some(11)),
        ("store.retention_interval", Some(12)),
        ("pipeline.commit_interval", Some(14)),
        ("rules.min_level", Some(16)),
        ("http.extra", Some(17)),
    ] {
        assert!(found.contains(&want), "{want:?} missing from {problems:#?}");
    }
    assert_eq!(problems.len(), 10, "{problems:#?}");
    let message = |key: &str| &problems.iter().find(|p| p.key == key).expect(key).message;
    assert!(message("colour").starts_with("unknown section"), "{problems:#?}");
    assert!(message("store.partition").contains("whole seconds"), "{problems:#?}");
    assert!(
        message("store.retention_interval").contains("no fixed length"),
        "{problems:#?}"
    );
    assert!(!message("http.max_connections").contains("usize"), "{problems:#?}");
    assert!(
        message("rules.min_level").contains("informational, low"),
        "{problems:#?}"
    );
    // A partition past the store's limit is refused here too, not only when the server starts.
    let long = parse("version = 1\n[store]\npartition = \"400d\"\n").expect_err("too long");
    assert_eq!((long[0].key.as_str(), long[0].line), ("store.partition", Some(3)));
}

#[test]
fn metrics_auth_is_read_and_defaults_by_listener() {
    let c = parse("version = 1\n[http]\nmetrics_auth = true\n").expect("valid");
    assert_eq!(c.http.metrics_auth, Some(true));
    assert!(c.http.metrics_need_token());
    let open = parse("version = 1\n[http]\nlisten = \"0.0.0.0:9200\"\nmetrics_auth = false\n").expect("valid");
    assert!(!open.http.metrics_need_token());
    let default = parse("version = 1\n[http]\nlisten = \"0.0.0.0:9200\"\n").expect("valid");
    assert!(default.http.metrics_need_token());
    let bad = parse("version = 1\n[http]\nmetrics_auth = \"yes\"\n").expect_err("not a boolean");
    assert_eq!((bad[0].key.as_str(), bad[0].line), ("http.metrics_auth", Some(3)));
}

/// A syslog message over the record limit would be read, then refused by the parser.
#[test]
fn syslog_messages_stay_within_the_record_limit() {
    let c = parse("version = 1\n[syslog]\nmax_message = \"1MiB\"\n").expect("valid");
    assert_eq!(c.syslog.max_message_bytes, vigil_ingest::MAX_RECORD_BYTES);
    let problems = parse("version = 1\n[syslog]\nmax_message = \"2MiB\"\n").expect_err("over the limit");
    assert_eq!(problems[0].key, "syslog.max_message");
}

#[test]
fn the_syslog_tenant_defaults_and_is_checked() {
    assert_eq!(parse("version = 1\n").expect("valid").syslog.tenant, "default");
    let c = parse("version = 1\n[syslog]\ntenant = \"acme\"\n").expect("valid");
    assert_eq!(c.syslog.tenant, "acme");
    let problems = parse("version = 1\n[syslog]\ntenant = \"Acme Corp\"\n").expect_err("invalid");
    assert_eq!(
        (problems[0].key.as_str(), problems[0].line),
        ("syslog.tenant", Some(3)),
        "{problems:?}"
    );
}

#[test]
fn oidc_is_read_whole_and_every_problem_has_its_line() {
    assert_eq!(
        parse("version = 1\n").expect("valid").oidc,
        None,
        "off unless configured"
    );
    let text = r#"version = 1
[oidc]
issuer = "https://login.example.org/realms/soc"
audience = "vigil-api"
algorithms = ["RS256", "ES256"]
leeway = "10s"
role_claims = ["realm_access.roles"]
tenant_claim = "tenant"
[oidc.role_map]
soc-analysts = "analyst"
soc-leads = "lead"
[oidc.console]
client_id = "vigil-console"
redirect_uri = "https://vigil.example.org/api/v1/auth/oidc/callback"
"#;
    let c = parse(text).expect("valid").oidc.expect("oidc");
    assert_eq!(c.issuer, "https://login.example.org/realms/soc");
    assert_eq!(
        c.algorithms,
        [jsonwebtoken::Algorithm::RS256, jsonwebtoken::Algorithm::ES256]
    );
    assert_eq!(c.leeway, Duration::from_secs(10));
    assert_eq!(c.claims.role_claims, ["realm_access.roles"]);
    assert_eq!(c.claims.tenant, vigil_oidc::TenantFrom::Claim("tenant".into()));
    assert_eq!(c.claims.role_map.len(), 2);
    let console = c.console.expect("console");
    assert_eq!(console.scopes, ["openid", "profile", "email"]);

    let bad = r#"version = 1
[oidc]
issuer = "http://login.example.org"
audience = "vigil-api"
algorithms = ["HS256", "none"]
tenant_claim = "tenant"
tenant = "acme"
surprise = 1
[oidc.role_map]
soc-analysts = "superuser"
[oidc.console]
client_id = "vigil-api"
redirect_uri = "callback"
scopes = ["profile"]
"#;
    let problems = parse(bad).expect_err("invalid");
    let found: Vec<(&str, Option<usize>)> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    for expected in [
        ("oidc.issuer", Some(3)),
        ("oidc.algorithms", Some(5)),
        ("oidc.tenant", Some(7)),
        ("oidc.surprise", Some(8)),
        ("oidc.role_map.soc-analysts", Some(10)),
        ("oidc.console.client_id", Some(12)),
        ("oidc.console.redirect_uri", Some(13)),
        ("oidc.console.scopes", Some(14)),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    assert_eq!(found.len(), 8, "each problem once: {found:?}");
    let missing = parse(
        "version = 1
[oidc]
issuer = \"https://idp.example\"\n",
    )
    .expect_err("invalid");
    let found: Vec<&str> = missing.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(found, ["oidc.audience", "oidc.role_map"], "{missing:?}");
}

#[test]
fn lines_come_from_the_parser_for_dotted_keys_and_inline_tables() {
    let text = "version = 1\n# [http] listen = \"1.2.3.4:5\"\nhttp.listen = \"nonsense\"\nsyslog = { tcp = \"bad\", \"max_message\" = \"huge\" }\n";
    let problems = parse(text).expect_err("invalid");
    let found: Vec<(&str, Option<usize>)> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert_eq!(
        found,
        [
            ("http.listen", Some(3)),
            ("syslog.tcp", Some(4)),
            ("syslog.max_message", Some(4))
        ],
        "{problems:?}"
    );
}

#[test]
fn state_is_sqlite_by_default_and_postgres_with_a_url() {
    assert_eq!(parse("version = 1\n").expect("valid").state, StateStore::Sqlite);
    let c = parse("version = 1\n[state]\nurl = \"postgres://vigil:s3cret@db:5432/vigil\"\nmax_connections = 4\n")
        .expect("valid");
    let StateStore::Postgres { url, max_connections } = &c.state else {
        panic!("postgres: {:?}", c.state)
    };
    assert_eq!(
        (url.as_str(), *max_connections),
        ("postgres://vigil:s3cret@db:5432/vigil", 4)
    );
    // The password never shows in logs of the configuration.
    assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");

    let problems = parse("version = 1\n[state]\nurl = \"mysql://u:pw@h/db\"\nmax_connections = 0\nschema = \"x\"\n")
        .expect_err("invalid");
    let keys: Vec<_> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert!(keys.contains(&("state.url", Some(3))), "{problems:?}");
    assert!(keys.contains(&("state.max_connections", Some(4))), "{problems:?}");
    assert!(keys.contains(&("state.schema", Some(5))), "{problems:?}");
    assert!(problems.iter().all(|p| !p.message.contains("pw@")), "{problems:?}");
    let alone = parse("version = 1\n[state]\nmax_connections = 3\n").expect_err("no url");
    assert_eq!(alone[0].key, "state.max_connections");
}

#[test]
fn a_state_url_on_the_command_line_replaces_the_file() {
    let mut c = parse("version = 1\n").expect("valid");
    let o = Overrides {
        state_url: Some("postgres://vigil@db/vigil".into()),
        ..Overrides::default()
    };
    apply(&mut c, &o).expect("valid url");
    assert!(
        matches!(
            c.state,
            StateStore::Postgres {
                max_connections: 10,
                ..
            }
        ),
        "{:?}",
        c.state
    );
    let bad = Overrides {
        state_url: Some("/var/lib/vigil/state.db".into()),
        ..Overrides::default()
    };
    let problems = apply(&mut c, &bad).expect_err("not a url");
    assert_eq!(problems[0].key, "--state-url");
}

#[test]
fn respond_policies_calendars_and_matrix_with_every_problem_on_its_line() {
    let c = parse(
        "version = 1\n[respond]\npriority_matrix = { high = [1, 1, 2], medium = [2, 3, 4], low = [3, 4, 5] }\n\
         [respond.calendars.office]\ntime_zone = \"Europe/Brussels\"\nhours = { monday = \"09:00-17:00\" }\n\
         [respond.sla.P3]\nacknowledge = \"2h\"\ncalendar = \"office\"\nwarn_at = 0.5\n",
    )
    .expect("valid");
    let p3 = &c.respond.sla.by_priority()[2];
    assert_eq!(p3.acknowledge, Some(jiff::SignedDuration::from_hours(2)));
    assert_eq!((p3.calendar.as_str(), p3.warn_share), ("office", 0.5));
    assert_eq!(
        c.respond.sla.by_priority()[2].resolve,
        Some(jiff::SignedDuration::from_hours(24 * 7)),
        "default kept"
    );
    assert!(c.respond.sla.calendar("office").is_some());
    let urgent = c
        .respond
        .matrix
        .priority(vigil_respond::Impact::High, vigil_respond::Urgency::Medium);
    assert_eq!(urgent.get(), 1);
    assert_eq!(ServerConfig::default().respond, RespondConfig::default());

    let problems = parse(
        "version = 1\n[respond.calendars.office]\ntime_zone = \"Mars/Olympus\"\nhours = { monday = \"9-5\" }\n\
         [respond.sla.P9]\nacknowledge = \"1h\"\n[respond.sla.P1]\nacknowledge = \"soon\"\ncalendar = \"night\"\n",
    )
    .expect_err("invalid");
    let text = format!("{problems:?}");
    assert!(problems.len() >= 4, "{text}");
    assert!(text.contains("Mars/Olympus"), "{text}");
    assert!(
        problems.iter().any(|p| p.key == "respond.sla.P9" && p.line == Some(5)),
        "{text}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.key == "respond.sla.P1.acknowledge" && p.line == Some(8)),
        "{text}"
    );
    assert!(text.contains("night"), "{text}");
}

#[test]
fn grouping_defaults_and_per_rule_overrides() {
    let d = ServerConfig::default().pipeline.grouping;
    let by: Vec<String> = ["host", "user", "src_ip"].map(String::from).to_vec();
    assert_eq!((d.window, d.by.clone()), (Duration::from_secs(3600), by));
    let c = parse(
        "version = 1\n[grouping]\nwindow = \"30m\"\nby = [\"host\"]\n[grouping.rules.\"r-1\"]\nwindow = \"off\"\n",
    )
    .expect("valid");
    let g = &c.pipeline.grouping;
    assert_eq!(
        (g.window, g.by.clone()),
        (Duration::from_secs(1800), vec!["host".to_string()])
    );
    assert_eq!(g.rules["r-1"].window, Some(Duration::ZERO));
    let problems = parse("version = 1\n[grouping]\nwindow = \"soon\"\nby = [\"\"]\ncolour = 1\n").expect_err("invalid");
    let keys: Vec<_> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert!(keys.contains(&("grouping.window", Some(3))), "{problems:?}");
    assert!(keys.contains(&("grouping.by", Some(4))), "{problems:?}");
    assert!(keys.contains(&("grouping.colour", Some(5))), "{problems:?}");
}

#[test]
fn notification_channels_and_escalation_are_read_and_checked() {
    let c = parse(
        "version = 1\n[respond]\ncheck_interval = \"30s\"\n[respond.channels.soc]\ntype = \"webhook\"\n\
         url = \"https://hooks.example.org/vigil\"\nsecret = \"s\"\n[respond.notify]\nsla_breach = [\"soc\"]\n\
         [[respond.escalation]]\nname = \"p1\"\npriorities = [1]\n[[respond.escalation.levels]]\nafter = \"15m\"\n\
         notify = [\"soc\"]\nrepeat = \"30m\"\n",
    )
    .expect("valid");
    let n = &c.respond.notify;
    assert_eq!(n.check_interval, Duration::from_secs(30));
    assert_eq!(n.on_sla_breach, ["soc"]);
    assert_eq!(n.escalation[0].levels[0].repeat, Some(Duration::from_secs(1800)));
    assert!(
        !format!("{:?}", n.channels["soc"]).contains("\"s\""),
        "the secret is not shown"
    );

    let problems = parse(
        "version = 1\n[respond.channels.soc]\ntype = \"webhook\"\nurl = \"http://10.0.0.5/hook\"\n\
         [respond.notify]\nsla_warning = [\"pager\"]\n[[respond.escalation]]\nname = \"p1\"\nuntil = \"closed\"\n",
    )
    .expect_err("invalid");
    let text = format!("{problems:?}");
    assert!(text.contains("10.0.0.5"), "a private address is refused: {text}");
    assert!(text.contains("pager"), "{text}");
    assert!(text.contains("closed"), "{text}");
    assert!(text.contains("levels"), "{text}");
}

#[test]
fn the_attachment_limit_is_a_size_with_a_default_and_a_ceiling() {
    let default = parse("version = 1\n").expect("valid");
    assert_eq!(
        default.respond.attachment_max_bytes,
        vigil_api::AttachmentLimit(10 << 20)
    );
    let set = parse("version = 1\n[respond]\nattachment_max_bytes = \"64MiB\"\n").expect("valid");
    assert_eq!(set.respond.attachment_max_bytes, vigil_api::AttachmentLimit(64 << 20));
    for bad in ["0", "2GiB", "lots"] {
        let problems =
            parse(&format!("version = 1\n[respond]\nattachment_max_bytes = \"{bad}\"\n")).expect_err("invalid");
        assert!(
            format!("{problems:?}").contains("attachment_max_bytes"),
            "{bad}: {problems:?}"
        );
    }
}
