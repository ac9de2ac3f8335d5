//! Segment files: framing, scanning and torn-tail recovery.

use std::{
    fs::{File, OpenOptions},
    io::{BufReader, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use crate::{Record, SpoolError, io_err};

/// Bytes of framing before each payload: len, crc, seq.
pub const HEADER: usize = 4 + 4 + 8;
/// Largest payload accepted (16 MiB).
pub const MAX_RECORD: usize = 16 << 20;

pub fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}.seg"))
}

/// Segment files in the directory as (first seq, path), ascending.
pub fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>, SpoolError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".seg")) else {
            continue;
        };
        if let Ok(seq) = stem.parse::<u64>() {
            out.push((seq, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

pub fn crc(seq: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&seq.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Appends the framing and payload of one record to `buf`.
pub fn encode(buf: &mut Vec<u8>, seq: u64, payload: &[u8]) {
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc(seq, payload).to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// Result of scanning one segment.
pub struct Scan {
    /// Byte length of the valid prefix.
    pub valid_len: u64,
    /// Last valid sequence number, if any record is valid.
    pub last_seq: Option<u64>,
    /// Whether bytes after the valid prefix were found (a torn or corrupt tail).
    pub torn: bool,
}

/// Reads records from a segment, calling `visit` for each valid one with `seq >= from`.
/// Stops at the first invalid frame (torn tail) or a sequence gap.
pub fn scan(path: &Path, first_seq: u64, from: u64, visit: &mut dyn FnMut(Record)) -> Result<Scan, SpoolError> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let total = file.metadata().map_err(|e| io_err(path, e))?.len();
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut pos = 0u64;
    let mut expect = first_seq;
    let mut last = None;
    let mut head = [0u8; HEADER];
    loop {
        if total - pos < HEADER as u64 {
            break;
        }
        r.read_exact(&mut head).map_err(|e| io_err(path, e))?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let sum = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let mut seq_bytes = [0u8; 8];
        seq_bytes.copy_from_slice(&head[8..16]);
        let seq = u64::from_le_bytes(seq_bytes);
        if len > MAX_RECORD || total - pos - (HEADER as u64) < len as u64 || seq != expect {
            break;
        }
        let mut payload = vec![0u8; len];
        r.read_exact(&mut payload).map_err(|e| io_err(path, e))?;
        if crc(seq, &payload) != sum {
            break;
        }
        pos += (HEADER + len) as u64;
        last = Some(seq);
        expect = seq + 1;
        if seq >= from {
            visit(Record { seq, payload });
        }
    }
    Ok(Scan {
        valid_len: pos,
        last_seq: last,
        torn: pos < total,
    })
}

/// Cuts a torn tail off a segment and syncs it.
pub fn truncate(path: &Path, len: u64) -> Result<(), SpoolError> {
    let f = OpenOptions::new().write(true).open(path).map_err(|e| io_err(path, e))?;
    f.set_len(len).map_err(|e| io_err(path, e))?;
    f.sync_all().map_err(|e| io_err(path, e))
}

/// Opens a segment for appending at its end.
pub fn open_append(path: &Path) -> Result<(File, u64), SpoolError> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    let len = f.seek(SeekFrom::End(0)).map_err(|e| io_err(path, e))?;
    Ok((f, len))
}

/// Makes a directory entry change (new or removed file) durable.
pub fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err(dir, e))
}

/// Writes `bytes` to `path` atomically and durably (temp file, fsync, rename, fsync dir).
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SpoolError> {
    let tmp = dir.join(format!("{name}.tmp"));
    let dst = dir.join(name);
    let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, &dst).map_err(|e| io_err(&dst, e))?;
    sync_dir(dir)
}
