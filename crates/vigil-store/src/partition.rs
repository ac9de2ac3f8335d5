//! One partition: a tantivy index over a fixed time span, in its own directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::IndexWriterOptions;
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy};

use crate::error::IndexContext;
use crate::schema::StoreSchema;
use crate::{StoreConfig, StoreError};

/// Records the span of a partition next to its index.
const META_FILE: &str = "vigil-partition.json";
/// Size of a doc-store block: larger blocks compress better; a hit reads one block. (256 KiB gave
/// larger, run-to-run varying stores in the `disk` test, so 128 KiB stays.)
const DOCSTORE_BLOCK: usize = 128 * 1024;
/// Decompressed doc-store blocks a segment reader caches.
const DOCSTORE_CACHE_BLOCKS: usize = 2;
/// zstd level of the doc store.
const ZSTD_LEVEL: i32 = 9;

#[derive(Serialize, Deserialize)]
struct PartitionMeta {
    start: Timestamp,
    end: Timestamp,
}

/// A partition and its reader.
pub(crate) struct Partition {
    /// Span `[start, end)` in ns since the epoch.
    pub start: i64,
    pub end: i64,
    pub dir: PathBuf,
    pub index: Index,
    pub reader: IndexReader,
    /// Spool sequence number of the last commit (the commit payload).
    pub committed_seq: AtomicU64,
    /// Highest sequence number added (committed or not): later adds at or below it are replays.
    pub high_seq: AtomicU64,
}

impl std::fmt::Debug for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partition")
            .field("dir", &self.dir)
            .field("start", &self.start)
            .field("end", &self.end)
            .finish()
    }
}

/// The directory name of a partition starting at `start` ns: `20261123T000000Z`.
pub(crate) fn dir_name(start: i64) -> String {
    match Timestamp::from_nanosecond(start.into()) {
        Ok(ts) => ts.strftime("%Y%m%dT%H%M%SZ").to_string(),
        Err(_) => format!("ns{start}"),
    }
}

fn parse_dir_name(name: &str) -> Option<i64> {
    let dt = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", name).ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    i64::try_from(ts.as_nanosecond()).ok()
}

fn nanos_to_ts(n: i64) -> Timestamp {
    Timestamp::from_nanosecond(n.into()).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Partition {
    /// Creates a partition covering `[start, end)` (or opens it if it is already there).
    pub fn create(root: &Path, schema: &StoreSchema, start: i64, end: i64) -> Result<Partition, StoreError> {
        let dir = root.join(dir_name(start));
        fs::create_dir_all(&dir).map_err(StoreError::io("cannot create partition directory", &dir))?;
        let meta = PartitionMeta {
            start: nanos_to_ts(start),
            end: nanos_to_ts(end),
        };
        let meta_path = dir.join(META_FILE);
        let json = serde_json::to_vec(&meta).unwrap_or_default();
        fs::write(&meta_path, json).map_err(StoreError::io("cannot write partition metadata", &meta_path))?;
        Self::open_dir(dir, schema, start, end)
    }

    /// Opens an existing partition directory; `default_len` is the span when its metadata is missing.
    /// Read-only, a directory without an index yet is skipped rather than initialised.
    pub fn open(
        dir: PathBuf,
        schema: &StoreSchema,
        default_len: i64,
        read_only: bool,
    ) -> Result<Option<Partition>, StoreError> {
        let Some(name_start) = dir.file_name().and_then(|n| n.to_str()).and_then(parse_dir_name) else {
            return Ok(None);
        };
        if read_only && !dir.join("meta.json").is_file() {
            return Ok(None);
        }
        let meta_path = dir.join(META_FILE);
        let (start, end) = match fs::read(&meta_path) {
            Ok(bytes) => {
                let meta: PartitionMeta = serde_json::from_slice(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("{}: {e}", meta_path.display())))?;
                let ns = |t: Timestamp| i64::try_from(t.as_nanosecond()).unwrap_or(name_start);
                (ns(meta.start), ns(meta.end))
            }
            Err(_) => (name_start, name_start.saturating_add(default_len)),
        };
        Self::open_dir(dir, schema, start, end).map(Some)
    }

    fn open_dir(dir: PathBuf, schema: &StoreSchema, start: i64, end: i64) -> Result<Partition, StoreError> {
        let what = || format!("cannot open partition {}", dir.display());
        let mmap = MmapDirectory::open(&dir).map_err(|e| StoreError::Index {
            context: what(),
            source: e.into(),
        })?;
        let settings = IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor {
                compression_level: Some(ZSTD_LEVEL),
            }),
            docstore_blocksize: DOCSTORE_BLOCK,
            docstore_compress_dedicated_thread: false,
            ..IndexSettings::default()
        };
        let mut index = Index::builder()
            .schema(schema.schema.clone())
            .settings(settings)
            .tokenizers(StoreSchema::tokenizers())
            .open_or_create(mmap)
            .ctx(what)?;
        // Tokenizers are not persisted: register ours on every open (open_or_create also checks the schema).
        index.set_tokenizers(StoreSchema::tokenizers());
        let committed = payload_seq(&index).ctx(what)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            // Decompressed 128 KiB doc-store blocks kept per segment: small, so memory stays flat
            // however many partitions are searched (tantivy's default is 100).
            .doc_store_cache_num_blocks(DOCSTORE_CACHE_BLOCKS)
            .try_into()
            .ctx(what)?;
        Ok(Partition {
            start,
            end,
            dir,
            index,
            reader,
            committed_seq: AtomicU64::new(committed),
            high_seq: AtomicU64::new(committed),
        })
    }

    pub fn committed(&self) -> u64 {
        self.committed_seq.load(Ordering::Acquire)
    }

    /// Opens a writer with one indexing thread and `heap` bytes.
    pub fn writer(&self, heap: usize) -> Result<IndexWriter, StoreError> {
        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(heap)
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build();
        self.index
            .writer_with_options(options)
            .ctx(|| format!("cannot open a writer on {}", self.dir.display()))
    }

    /// Commits `writer` durably with `seq` as payload and makes the result searchable.
    pub fn commit(&self, writer: &mut IndexWriter, seq: u64) -> Result<(), StoreError> {
        let what = || format!("cannot commit partition {}", self.dir.display());
        let mut prepared = writer.prepare_commit().ctx(what)?;
        prepared.set_payload(&seq.to_string());
        prepared.commit().ctx(what)?;
        self.committed_seq.store(seq, Ordering::Release);
        self.high_seq.fetch_max(seq, Ordering::AcqRel);
        self.reader.reload().ctx(what)
    }

    /// Committed events.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Bytes of the files in the partition directory.
    pub fn bytes_on_disk(&self) -> u64 {
        dir_size(&self.dir)
    }
}

fn payload_seq(index: &Index) -> tantivy::Result<u64> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0))
}

pub(crate) fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| if m.is_dir() { 0 } else { m.len() })
        .sum()
}

/// Moves the partitions of an older layout's `legacy` directory up into `root`, then removes
/// `legacy` when nothing else is left in it. A partition already present in `root` stays where it
/// is (and is reported), so nothing is overwritten.
pub(crate) fn move_up(legacy: &Path, root: &Path) -> Result<(), StoreError> {
    let entries = fs::read_dir(legacy).map_err(StoreError::io("cannot list partitions", legacy))?;
    for entry in entries {
        let entry = entry.map_err(StoreError::io("cannot list partitions", legacy))?;
        let name = entry.file_name();
        if parse_dir_name(&name.to_string_lossy()).is_none() {
            continue;
        }
        let target = root.join(&name);
        if target.exists() {
            tracing::warn!(partition = %entry.path().display(), "not moved: {} exists", target.display());
            continue;
        }
        fs::rename(entry.path(), &target).map_err(StoreError::io("cannot move a partition", &target))?;
        tracing::info!(partition = %target.display(), "moved up from the older layout");
    }
    // Fails (and is left) when something other than moved partitions remains.
    let _ = fs::remove_dir(legacy);
    Ok(())
}

/// Opens every partition under `root` (created when missing, unless `read_only`).
pub(crate) fn open_all(
    root: &Path,
    schema: &StoreSchema,
    cfg: &StoreConfig,
    read_only: bool,
) -> Result<Vec<Partition>, StoreError> {
    if read_only {
        if !root.is_dir() {
            return Ok(Vec::new());
        }
    } else {
        fs::create_dir_all(root).map_err(StoreError::io("cannot create the events directory", root))?;
    }
    let default_len = i64::try_from(cfg.partition.as_nanos()).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    let entries = fs::read_dir(root).map_err(StoreError::io("cannot list partitions", root))?;
    for entry in entries {
        let entry = entry.map_err(StoreError::io("cannot list partitions", root))?;
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if let Some(p) = Partition::open(entry.path(), schema, default_len, read_only)? {
            out.push(p);
        } else if !read_only {
            tracing::warn!(dir = %entry.path().display(), "ignoring a directory that is not a partition");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_names_round_trip() {
        let start = 1_795_392_000_000_000_000; // 2026-11-23T00:00:00Z
        assert_eq!(dir_name(start), "20261123T000000Z");
        assert_eq!(parse_dir_name("20261123T000000Z"), Some(start));
        assert_eq!(parse_dir_name("junk"), None);
        assert_eq!(
            parse_dir_name(&dir_name(-86_400_000_000_000)),
            Some(-86_400_000_000_000)
        );
    }
}
