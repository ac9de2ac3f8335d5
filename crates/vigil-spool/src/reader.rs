//! A positioned consumer: reads committed records in order without rescanning segments.

use std::{
    fs::File,
    io::{BufReader, Read, Seek, SeekFrom},
    path::PathBuf,
    time::Duration,
};

use crate::{
    Record, SpoolError, io_err,
    segment::{self, HEADER, MAX_RECORD},
    writer::Spool,
};

/// Reads committed records from a [`Spool`] in sequence order, remembering its file position
/// between calls (a consumer such as the indexer keeps one for its whole life).
#[derive(Debug)]
pub struct SpoolReader {
    /// The next sequence number to hand out.
    next: u64,
    open: Option<OpenSegment>,
}

#[derive(Debug)]
struct OpenSegment {
    first: u64,
    path: PathBuf,
    file: BufReader<File>,
}

impl SpoolReader {
    pub(crate) fn new(from: u64) -> Self {
        SpoolReader {
            next: from.max(1),
            open: None,
        }
    }

    /// The sequence number the next record will have.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Visits up to `max` committed records from the current position, in order. Returns how
    /// many were visited (0 when the reader has caught up with the writer).
    pub fn read(&mut self, spool: &Spool, max: usize, visit: &mut dyn FnMut(Record)) -> Result<usize, SpoolError> {
        let (segments, committed) = spool.segment_ranges();
        let mut n = 0;
        while n < max && self.next <= committed {
            let Some(seg) = segments.iter().find(|s| s.0 <= self.next && self.next <= s.2) else {
                // Below the oldest segment (already checkpointed away): skip to the oldest.
                match segments.iter().find(|s| s.0 > self.next) {
                    Some(s) => {
                        self.next = s.0;
                        self.open = None;
                        continue;
                    }
                    None => break,
                }
            };
            if self.open.as_ref().is_none_or(|o| o.first != seg.0) {
                self.open = Some(open_at(seg.0, &seg.1, self.next)?);
            }
            let Some(open) = self.open.as_mut() else {
                break;
            };
            let last = seg.2.min(committed);
            while n < max && self.next <= last {
                let record = read_frame(open, self.next)?;
                self.next += 1;
                n += 1;
                visit(record);
            }
        }
        Ok(n)
    }

    /// Like [`read`](Self::read), but when nothing is available waits up to `timeout` for the
    /// writer to commit more.
    pub fn read_wait(
        &mut self,
        spool: &Spool,
        max: usize,
        timeout: Duration,
        visit: &mut dyn FnMut(Record),
    ) -> Result<usize, SpoolError> {
        let n = self.read(spool, max, visit)?;
        if n > 0 {
            return Ok(n);
        }
        spool.wait_for_commit(self.next, timeout);
        self.read(spool, max, visit)
    }
}

/// Opens a segment and skips to the frame of `seq`.
fn open_at(first: u64, path: &PathBuf, seq: u64) -> Result<OpenSegment, SpoolError> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let mut open = OpenSegment {
        first,
        path: path.clone(),
        file: BufReader::with_capacity(1 << 20, file),
    };
    let mut at = first;
    let mut head = [0u8; HEADER];
    while at < seq {
        open.file.read_exact(&mut head).map_err(|e| io_err(path, e))?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        open.file
            .seek(SeekFrom::Current(i64::from(len)))
            .map_err(|e| io_err(path, e))?;
        at += 1;
    }
    Ok(open)
}

fn read_frame(open: &mut OpenSegment, expect: u64) -> Result<Record, SpoolError> {
    let path = &open.path;
    let mut head = [0u8; HEADER];
    open.file.read_exact(&mut head).map_err(|e| io_err(path, e))?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let sum = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let mut seq_bytes = [0u8; 8];
    seq_bytes.copy_from_slice(&head[8..16]);
    let seq = u64::from_le_bytes(seq_bytes);
    let corrupt = |why: String| SpoolError::Corrupt(path.display().to_string(), why);
    if len > MAX_RECORD || seq != expect {
        return Err(corrupt(format!(
            "expected record {expect}, found header for {seq} ({len} bytes)"
        )));
    }
    let mut payload = vec![0u8; len];
    open.file.read_exact(&mut payload).map_err(|e| io_err(path, e))?;
    if segment::crc(seq, &payload) != sum {
        return Err(corrupt(format!("record {seq} fails its checksum")));
    }
    Ok(Record { seq, payload })
}
