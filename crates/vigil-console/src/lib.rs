//! The web console's files, embedded in the binary at build time from `console/dist` (built by
//! `cd console && npm ci && npm run build`; `scripts/run` and `scripts/test` do it). The HTTP
//! layer (`vigil-api`'s `console` module) serves them: `index.html` at `/` for browsers and the
//! rest under `/console/`.
//!
//! A build without the built console still compiles: [`index`] is then a page saying how to
//! build it, and [`built`] is false.

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its path under `console/dist`, e.g. `console/app-3F2A.js`.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub media_type: &'static str,
    /// The file as built.
    pub body: &'static [u8],
    /// The same, gzipped (best compression, done once at build time).
    pub gzip: &'static [u8],
}

/// Every file of the built console (none when it was not built).
pub static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The page's Content-Security-Policy: scripts, styles, images and fetches from this server only,
/// no inline script or style, never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
                       frame-ancestors 'none'";

/// The page shown when the binary was built without the console.
static NOT_BUILT: Asset = Asset {
    path: "index.html",
    media_type: "text/html; charset=utf-8",
    body: NOT_BUILT_HTML.as_bytes(),
    gzip: &[],
};

const NOT_BUILT_HTML: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Vigil: the console is not built</title></head><body>\n<h1>Vigil</h1>\n\
<p>This <code>vigil</code> binary was built without its web console. Build the console, then the \
binary:</p>\n<pre>cd console &amp;&amp; npm ci &amp;&amp; npm run build\ncargo build --release -p vigil</pre>\n\
<p><code>scripts/run</code> does both. The API works without the console: see \
<a href=\"api/v1/docs\">the API docs</a>.</p>\n</body></html>\n";

/// Whether the console was built into this binary.
pub fn built() -> bool {
    ASSETS.iter().any(|a| a.path == "index.html")
}

/// The console's page (or the page saying how to build it).
pub fn index() -> &'static Asset {
    find("index.html").unwrap_or(&NOT_BUILT)
}

/// A file by its path under `console/dist` (`console/app-3F2A.js`); never `index.html` through
/// here, which is served at `/`.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_a_page_either_way() {
        let index = index();
        assert_eq!(index.media_type, "text/html; charset=utf-8");
        let text = std::str::from_utf8(index.body).expect("utf-8");
        assert!(text.contains("<html"), "{text}");
        if built() {
            // Built: the page references its hashed files relatively, and each one is embedded.
            for asset in ASSETS.iter().filter(|a| a.path != "index.html") {
                assert!(
                    text.contains(asset.path) || !asset.path.starts_with("console/app-"),
                    "{}",
                    asset.path
                );
                assert!(!asset.gzip.is_empty() && asset.gzip.len() < asset.body.len() + 64);
            }
            assert!(
                !text.contains("src=\"/") && !text.contains("href=\"/"),
                "absolute paths break a proxy prefix: {text}"
            );
            assert!(
                !text.contains("<script>") && !text.contains("<style"),
                "inline code breaks the CSP: {text}"
            );
        } else {
            assert!(text.contains("npm run build"), "{text}");
        }
    }
}
