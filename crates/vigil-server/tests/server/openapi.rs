//! The API contract over a real server: `GET /api/v1/openapi.json` answers the document the code
//! generates (and `docs/openapi.json` holds), and the docs page `/api/v1/docs` is served by the
//! server itself, under a Content-Security-Policy that lets its own files load and nothing else.

use serde_json::Value;

use crate::harness::{TestServer, http_raw, http_text};

/// Head (lowercase) and body of a raw answer.
fn split(raw: &str) -> (String, &str) {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    (head.to_ascii_lowercase(), body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(':')))
        .map(str::trim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_generated_and_committed_one() {
    let s = TestServer::start(None).await;
    let (status, text) = http_text(s.http, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        text,
        vigil_api::openapi::json(),
        "the served document is not the generated one"
    );
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json"))
        .expect("docs/openapi.json");
    assert_eq!(
        text, committed,
        "docs/openapi.json is out of date (VIGIL_UPDATE_OPENAPI=1 cargo test -p vigil-api openapi)"
    );
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let raw = http_raw(s.http, "GET", "/api/v1/openapi.json", None, None).await;
    let (head, _) = split(&raw);
    assert_eq!(header(&head, "content-type"), Some("application/json"), "{head}");
    assert_eq!(
        header(&head, "content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'"),
        "{head}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_and_its_files_come_from_the_server_itself() {
    let s = TestServer::start(None).await;
    let raw = http_raw(s.http, "GET", "/api/v1/docs", None, None).await;
    let (head, _) = split(&raw);
    assert!(head.starts_with("http/1.1 303"), "{head}");
    let page = header(&head, "location").expect("a Location").to_string();
    assert_eq!(page, "/api/v1/docs/index.html");

    let raw = http_raw(s.http, "GET", &page, None, None).await;
    let (head, html) = split(&raw);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        header(&head, "content-type").is_some_and(|t| t.starts_with("text/html")),
        "{head}"
    );
    let csp = header(&head, "content-security-policy").expect("a CSP").to_string();
    check_policy(&csp);
    assert_eq!(header(&head, "x-frame-options"), Some("deny"), "{head}");

    // Every script, style and icon of the page is a file of the page, on this server.
    let mut files = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            let url = piece.split('"').next().unwrap_or_default();
            assert!(
                !url.contains("://") && !url.starts_with("//"),
                "the page loads {url} from another host"
            );
            files.push(url.trim_start_matches("./").to_string());
        }
    }
    assert!(!html.contains("http://") && !html.contains("https://"), "{html}");
    for needed in ["swagger-ui-bundle.js", "swagger-ui.css", "swagger-initializer.js"] {
        assert!(
            files.iter().any(|f| f == needed),
            "the page does not load {needed}: {files:?}"
        );
    }
    for file in &files {
        let raw = http_raw(s.http, "GET", &format!("/api/v1/docs/{file}"), None, None).await;
        let (head, body) = split(&raw);
        assert!(head.starts_with("http/1.1 200"), "{file}: {head}");
        let kind = header(&head, "content-type").unwrap_or_default();
        let expected = match file.rsplit('.').next() {
            Some("js") => "javascript",
            Some("css") => "text/css",
            Some("png") => "image/png",
            _ => "",
        };
        assert!(kind.contains(expected), "{file}: {kind}");
        assert_eq!(header(&head, "content-security-policy"), Some(csp.as_str()), "{file}");
        if file == "swagger-initializer.js" {
            // The UI shows this server's document and asks no online validator.
            assert!(body.contains("\"/api/v1/openapi.json\""), "{body}");
            assert!(body.contains("\"validatorUrl\": \"none\""), "{body}");
            assert!(!body.contains("petstore"), "{body}");
        }
    }

    // A file the page does not have is the API's JSON 404, under the API's strict policy.
    let raw = http_raw(s.http, "GET", "/api/v1/docs/nothing.js", None, None).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("http/1.1 404"), "{head}");
    assert!(body.contains("\"not_found\""), "{body}");
    assert_eq!(
        header(&head, "content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    s.stop().await;
}

/// The page's policy allows this server only: scripts and styles from it (no inline code, no
/// `eval`), images from it and `data:` URLs, fetches to it; no framing.
fn check_policy(csp: &str) {
    let directives: Vec<(&str, Vec<&str>)> = csp
        .split(';')
        .map(|d| {
            let mut words = d.split_whitespace();
            (words.next().unwrap_or_default(), words.collect())
        })
        .collect();
    let sources = |name: &str| {
        directives
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("{csp} has no {name}"))
    };
    assert_eq!(sources("default-src"), ["'none'"], "{csp}");
    assert_eq!(sources("script-src"), ["'self'"], "{csp}");
    assert_eq!(sources("style-src"), ["'self'"], "{csp}");
    assert_eq!(sources("connect-src"), ["'self'"], "{csp}");
    assert_eq!(sources("img-src"), ["'self'", "data:"], "{csp}");
    assert_eq!(sources("frame-ancestors"), ["'none'"], "{csp}");
    for (name, sources) in &directives {
        for source in sources {
            assert!(
                ["'self'", "'none'", "data:"].contains(source),
                "{name} allows {source}: {csp}"
            );
        }
    }
}
