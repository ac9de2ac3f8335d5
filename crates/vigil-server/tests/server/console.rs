//! The web console on the HTTP listener: a browser opening the server's address gets the page
//! (with its strict policy), the page's hashed files are served gzipped and cached, and clients
//! that probe `GET /` for Elasticsearch compatibility keep their JSON answer.

use vigil_api_types::access::Role;

use crate::harness::{TestServer, http_raw_with};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn head_of(raw: &str) -> String {
    raw.split_once("\r\n\r\n").map_or(raw, |(h, _)| h).to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_gets_the_console_and_probes_keep_their_json() {
    let server = TestServer::start(None).await;
    let page = http_raw_with(server.http, "GET", "/", &[("Accept", BROWSER_ACCEPT)], None).await;
    let head = head_of(&page);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(
        head.contains("script-src 'self'") && !head.contains("unsafe-inline"),
        "{head}"
    );
    assert!(
        head.contains("frame-ancestors 'none'") && head.contains("x-frame-options: deny"),
        "{head}"
    );
    assert!(page.contains("<html"), "{page}");

    // An Elasticsearch client's probe: JSON, behind its token as before.
    let ingest = server.key(Role::Ingest).to_string();
    let auth = format!("Bearer {ingest}");
    let probe = http_raw_with(
        server.http,
        "GET",
        "/",
        &[("Authorization", &auth), ("Accept", "application/json")],
        None,
    )
    .await;
    assert!(probe.starts_with("HTTP/1.1 200"), "{probe}");
    assert!(
        probe.contains("\"tagline\"") || probe.contains("\"version\""),
        "{probe}"
    );
    let anonymous = http_raw_with(server.http, "GET", "/", &[], None).await;
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");

    if !vigil_console::built() {
        eprintln!("the console is not built (cd console && npm run build): only the fallback page was checked");
        assert!(page.contains("npm run build"), "{page}");
        server.stop().await;
        return;
    }
    // The page's files: relative, embedded, gzipped when accepted, cached for good.
    let script = vigil_console::ASSETS
        .iter()
        .find(|a| a.path.ends_with(".js"))
        .expect("a script");
    assert!(page.contains(&format!("src=\"{}\"", script.path)), "{page}");
    let path = format!("/{}", script.path);
    let gz = http_raw_with(server.http, "GET", &path, &[("Accept-Encoding", "gzip, br")], None).await;
    let head = head_of(&gz);
    assert!(gz.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("content-encoding: gzip") && head.contains("immutable"),
        "{head}"
    );
    assert!(head.contains("content-type: text/javascript"), "{head}");
    let plain = http_raw_with(server.http, "GET", &path, &[], None).await;
    assert!(!head_of(&plain).contains("content-encoding"), "{}", head_of(&plain));
    let missing = http_raw_with(server.http, "GET", "/console/nope.js", &[], None).await;
    assert!(
        missing.starts_with("HTTP/1.1 404") && missing.contains("\"not_found\""),
        "{missing}"
    );
    server.stop().await;
}
