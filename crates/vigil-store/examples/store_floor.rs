//! What tantivy itself costs with Vigil's store settings: the floor any tantivy event store pays.
//!
//!   cargo run --release -p vigil-store --example store_floor -- /tmp/win100k.ndjson
//!
//! Reads NDJSON lines into memory first (nothing is parsed), then writes them into fresh indexes,
//! each cheaper than Vigil's store, with the store's settings: 128 KiB doc-store blocks, one
//! indexing thread, one commit per 100k documents.
//! - `raw zstd N`: the line as stored bytes plus a fast i64 time, zstd level N: no index at all,
//!   only compressed storage (Vigil uses level 9).
//! - `raw zstd 9 + words`: the same plus every word of the line in one text field (tantivy's
//!   default tokenizer, doc ids only): the least index that still answers a bare-word search.
//!
//! Prints CPU time and bytes on disk per document for each, beside which docs/PERFORMANCE.md
//! puts Vigil's own store (`examples/store_size`) and detection.

use std::io::{BufRead, BufReader};
use std::path::Path;

use tantivy::schema::{BytesOptions, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions};
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{Index, IndexSettings, IndexWriter, TantivyDocument};

mod measure;
use measure::cpu_seconds;

// The allocator of the vigil binary.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: store_floor FILE.ndjson");
        std::process::exit(2);
    };
    let lines: Vec<Vec<u8>> = BufReader::new(std::fs::File::open(&path)?)
        .split(b'\n')
        .collect::<Result<_, _>>()?;
    let raw: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    let n = lines.len() as f64;
    println!("{} lines, {:.0} B/line raw", lines.len(), raw as f64 / n);
    for (name, level, words) in [
        ("raw zstd 1", 1, false),
        ("raw zstd 3", 3, false),
        ("raw zstd 9", 9, false),
        ("raw zstd 9 + words", 9, true),
    ] {
        let tmp = tempfile::tempdir()?;
        let cpu0 = cpu_seconds();
        index(tmp.path(), &lines, level, words)?;
        let cpu = cpu_seconds() - cpu0;
        let bytes = dir_size(tmp.path());
        println!(
            "{name:>20}: {:>5.1} µs CPU/doc, {:>5.0} B/doc, {:.3}x raw",
            cpu * 1e6 / n,
            bytes as f64 / n,
            bytes as f64 / raw as f64
        );
    }
    Ok(())
}

fn index(dir: &Path, lines: &[Vec<u8>], level: i32, words: bool) -> tantivy::Result<()> {
    let mut b = Schema::builder();
    let ts = b.add_i64_field("_ts", NumericOptions::default().set_fast());
    let src = b.add_bytes_field("_src", BytesOptions::default().set_stored());
    let all = b.add_text_field(
        "_all",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        ),
    );
    let settings = IndexSettings {
        docstore_compression: Compressor::Zstd(ZstdCompressor {
            compression_level: Some(level),
        }),
        docstore_blocksize: 128 * 1024,
        docstore_compress_dedicated_thread: false,
        ..IndexSettings::default()
    };
    let index = Index::builder()
        .schema(b.build())
        .settings(settings)
        .create_in_dir(dir)?;
    let options = tantivy::indexer::IndexWriterOptions::builder()
        // What each of the store's two writers gets (`StoreConfig::writer_heap_bytes` / 2).
        .memory_budget_per_thread(32 * 1024 * 1024)
        .num_worker_threads(1)
        .num_merge_threads(1)
        .build();
    let mut writer: IndexWriter = index.writer_with_options(options)?;
    for (i, line) in lines.iter().enumerate() {
        let mut doc = TantivyDocument::new();
        doc.add_i64(ts, i as i64);
        doc.add_bytes(src, line.as_slice());
        if words {
            doc.add_text(all, String::from_utf8_lossy(line));
        }
        writer.add_document(doc)?;
        if (i + 1).is_multiple_of(100_000) {
            writer.commit()?;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
