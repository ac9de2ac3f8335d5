//! Embeds the built console (`console/dist`, or `VIGIL_CONSOLE_DIST`): every file with its media
//! type, whole and gzipped. Without a built console the crate still compiles and serves a page
//! that says how to build it.

use std::{
    env, fs,
    io::Write,
    path::{Path, PathBuf},
};

use flate2::{Compression, write::GzEncoder};

fn main() {
    println!("cargo:rerun-if-env-changed=VIGIL_CONSOLE_DIST");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = env::var_os("VIGIL_CONSOLE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../console/dist"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // Rebuild when the console is (re)built: its index.html names the new hashed files. A path
    // that does not exist would rerun this script at every build, so without a built console
    // only the directory it would appear in is watched.
    if dist.is_dir() {
        println!("cargo:rerun-if-changed={}", dist.join("index.html").display());
        println!("cargo:rerun-if-changed={}", dist.display());
    } else if let Some(parent) = dist.parent().filter(|p| p.is_dir()) {
        println!("cargo:rerun-if-changed={}", parent.display());
    }
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let mut code = String::from("&[\n");
    for (i, rel) in files.iter().enumerate() {
        let bytes = fs::read(dist.join(rel)).expect("reading a console file");
        let gz = out.join(format!("console-{i}.gz"));
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&bytes).expect("gzip in memory");
        fs::write(&gz, encoder.finish().expect("gzip in memory")).expect("writing the gzipped file");
        code.push_str(&format!(
            "    Asset {{ path: {rel:?}, media_type: {:?}, body: include_bytes!({:?}), gzip: include_bytes!({:?}) }},\n",
            media_type(rel),
            dist.join(rel).display().to_string(),
            gz.display().to_string(),
        ));
    }
    code.push(']');
    fs::write(out.join("assets.rs"), code).expect("writing assets.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
