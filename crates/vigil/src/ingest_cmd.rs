//! `vigil ingest`: send log files to a running server, with a progress bar and backpressure.
//!
//! Each file is a keyed stream of the native ingest API (`stream=KEY&first=N`): its key hashes
//! the file's format, canonical path and head (its first line, or an EVTX file's first record),
//! and its records are numbered in file order. The server stores each numbered record once, so
//! running the same ingest again, or resending a request whose answer was lost, duplicates
//! nothing. With `--resume FILE` the acknowledged position of every file is written to FILE
//! after each request and read at start, so an interrupted ingest goes on where the server's
//! acknowledgments stopped instead of sending everything again. Whatever stops it (an error,
//! Ctrl-C, a refusal), it reports how many records the server acknowledged.

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Read, Seek, SeekFrom},
    ops::ControlFlow,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anyhow::Context;
use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use vigil_api_types::ingest::IngestAnswer;
use vigil_event::Raw;
use vigil_parse::{
    Format, Origin,
    evtx::{EvtxOptions, read_evtx_file_until},
};

use crate::{
    cli::IngestArgs,
    client::{Client, encode},
    hunt::{format_of, input, input::InputFile},
    progress,
    term_safe::{Esc, errln},
};

/// Records per request, and the byte size at which a request is sent early.
const BATCH_LINES: usize = 5000;
const BATCH_BYTES: usize = 4 << 20;
/// Refused records reported one by one; past this only counted.
const MAX_REPORTED: u64 = 20;

/// Lines gathered into one request body.
#[derive(Default)]
struct Batch {
    body: Vec<u8>,
    lines: u64,
    /// Ordinal of the first line in the file's stream.
    first: u64,
    /// Byte offset in the file after the last line (line files).
    end_offset: u64,
}

impl Batch {
    fn starting_at(first: u64) -> Batch {
        Batch {
            first,
            ..Batch::default()
        }
    }

    /// Appends the line `write` puts into the body (nothing if it fails) and its newline; gives
    /// the batch back once it is request-sized.
    fn push(&mut self, write: impl FnOnce(&mut Vec<u8>) -> bool) -> Option<Batch> {
        let start = self.body.len();
        if !write(&mut self.body) {
            self.body.truncate(start);
            return None;
        }
        self.body.push(b'\n');
        self.lines += 1;
        let full = self.lines as usize >= BATCH_LINES || self.body.len() >= BATCH_BYTES;
        full.then(|| {
            let next = Batch::starting_at(self.first + self.lines);
            std::mem::replace(self, next)
        })
    }

    /// What is left, if anything.
    fn rest(self) -> Option<Batch> {
        (self.lines > 0).then_some(self)
    }
}

/// Why an ingest stopped before the end.
enum Stop {
    Interrupted,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Stop {
    fn from(e: anyhow::Error) -> Stop {
        Stop::Failed(e)
    }
}

/// Where each file's stream stands: written after every acknowledged request (`--resume`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProgressFile {
    /// Per stream key: the file, the next ordinal to send and the byte offset of that record.
    files: BTreeMap<String, Position>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Position {
    next: u64,
    offset: u64,
}

struct Progress {
    path: Option<PathBuf>,
    state: ProgressFile,
}

impl Progress {
    fn load(path: Option<&Path>) -> anyhow::Result<Progress> {
        let state = match path {
            Some(p) if p.exists() => {
                let text = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                serde_json::from_slice(&text)
                    .with_context(|| format!("{} is not a vigil ingest progress file", p.display()))?
            }
            _ => ProgressFile::default(),
        };
        Ok(Progress {
            path: path.map(Path::to_path_buf),
            state,
        })
    }

    fn get(&self, key: &str) -> Position {
        self.state.files.get(key).copied().unwrap_or_default()
    }

    /// Records `key`'s position and writes the file (replacing it whole).
    fn set(&mut self, key: &str, position: Position) -> anyhow::Result<()> {
        self.state.files.insert(key.to_owned(), position);
        let Some(path) = &self.path else {
            return Ok(());
        };
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&self.state)?)
            .and_then(|()| std::fs::rename(&tmp, path))
            .with_context(|| format!("writing {}", path.display()))
    }
}

/// A file's stream key: its format, canonical path and head, hashed.
fn stream_key(file: &InputFile) -> anyhow::Result<String> {
    let open = || std::fs::File::open(&file.path).with_context(|| format!("opening {}", file.path.display()));
    let mut head = Vec::new();
    if file.format == Format::Evtx {
        // The first record of the first chunk: fixed once written (the file header is not).
        let mut f = open()?;
        f.seek(SeekFrom::Start(4096 + 512))?;
        f.take(256).read_to_end(&mut head)?;
    } else {
        open()?.take(4096).read_to_end(&mut head)?;
        if let Some(end) = head.iter().position(|&b| b == b'\n') {
            head.truncate(end + 1);
        }
    }
    let path = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(file.format.name().as_bytes());
    h.update(&[0]);
    h.update(path.as_os_str().as_encoded_bytes());
    h.update(&[0]);
    h.update(&head);
    Ok(format!("f-{:032x}", h.digest128()))
}

/// Waits for Ctrl-C (SIGINT); registered at once, so a signal between requests is not lost.
struct Interrupt(std::pin::Pin<Box<dyn Future<Output = ()>>>);

impl Interrupt {
    fn new() -> anyhow::Result<Interrupt> {
        #[cfg(unix)]
        {
            let mut signal =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).context("SIGINT handler")?;
            Ok(Interrupt(Box::pin(async move {
                signal.recv().await;
            })))
        }
        #[cfg(not(unix))]
        Ok(Interrupt(Box::pin(async {
            let _ = tokio::signal::ctrl_c().await;
        })))
    }
}

struct Sender {
    client: Client,
    interrupt: Interrupt,
    interrupted: bool,
    acknowledged: u64,
    refused: u64,
    bar: indicatif::ProgressBar,
}

/// One file's stream as it is sent.
struct Stream<'a> {
    file: &'a InputFile,
    key: String,
    format: Format,
}

impl Sender {
    /// Posts one batch (on 429 waits as told and retries); records the file's new position.
    async fn post(&mut self, stream: &Stream<'_>, batch: Batch, progress: &mut Progress) -> Result<(), Stop> {
        if self.interrupted {
            return Err(Stop::Interrupted);
        }
        let answer = tokio::select! {
            biased;
            () = &mut self.interrupt.0 => {
                self.interrupted = true;
                return Err(Stop::Interrupted);
            }
            answer = send(&mut self.client, &self.bar, stream, &batch) => answer?,
        };
        self.acknowledged += answer.accepted;
        for refused in &answer.rejected {
            self.refused += 1;
            if self.refused <= MAX_REPORTED {
                self.bar.suspend(|| {
                    errln!(
                        "warning: {} record {}: refused: {}: {}",
                        Esc(&stream.file.path.display().to_string()),
                        refused
                            .ordinal
                            .unwrap_or(batch.first.saturating_add(refused.line.saturating_sub(1))),
                        Esc(&refused.code),
                        Esc(&refused.message)
                    );
                });
            }
        }
        self.bar
            .set_message(format!("{} records acknowledged", self.acknowledged));
        let position = Position {
            next: batch.first + batch.lines,
            offset: batch.end_offset,
        };
        progress.set(&stream.key, position)?;
        Ok(())
    }
}

/// Posts a batch until it is answered other than 429 (waiting as told in between).
async fn send(
    client: &mut Client,
    bar: &indicatif::ProgressBar,
    stream: &Stream<'_>,
    batch: &Batch,
) -> anyhow::Result<IngestAnswer> {
    let path = format!(
        "/api/v1/ingest?format={}&path={}&stream={}&first={}",
        stream.format.name(),
        encode(&stream.file.path.display().to_string()),
        stream.key,
        batch.first
    );
    let body = Bytes::from(batch.body.clone());
    loop {
        let answer = client
            .send(Method::POST, &path, Some(("application/x-ndjson", body.clone())))
            .await?;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            let wait = answer.retry_after.unwrap_or(1).clamp(1, 30);
            bar.set_message(format!("server busy, retrying in {wait}s"));
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        return answer.parse();
    }
}

/// Counts of a run, for the summary.
#[derive(Default)]
struct Tally {
    files: usize,
    evtx_errors: u64,
}

pub fn run(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let (files, skipped) = input::collect(&args.inputs, format_of(args.format))?;
    for (path, why) in &skipped.files {
        errln!("note: skipped {}: {}", Esc(&path.display().to_string()), Esc(why));
    }
    let total: u64 = files.iter().map(|f| f.size).sum();
    let bar = progress::bytes_bar(total, args.quiet);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let _entered = runtime.enter();
    let mut progress = Progress::load(args.resume.as_deref())?;
    let mut sender = Sender {
        client: args.server.client()?,
        interrupt: Interrupt::new()?,
        interrupted: false,
        acknowledged: 0,
        refused: 0,
        bar: bar.clone(),
    };
    let mut tally = Tally::default();
    let mut outcome = Ok(());
    for file in &files {
        outcome = ingest_file(&runtime, &mut sender, &mut progress, file, &mut tally.evtx_errors);
        if outcome.is_err() {
            break;
        }
        tally.files += 1;
    }
    bar.finish_and_clear();
    report(&sender, &tally, files.len(), outcome, args.resume.as_deref())
}

/// The summary line (always: how many records the server acknowledged), then the outcome.
fn report(
    sender: &Sender,
    tally: &Tally,
    files: usize,
    outcome: Result<(), Stop>,
    resume: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let mut notes = String::new();
    if sender.refused > 0 {
        notes.push_str(&format!(", {} refused (listed by vigil dead-letters)", sender.refused));
    }
    if tally.evtx_errors > 0 {
        notes.push_str(&format!(", {} EVTX records unreadable", tally.evtx_errors));
    }
    let done = match &outcome {
        Ok(()) => format!("from {files} files"),
        Err(_) => format!("from {} of {files} files (stopped)", tally.files),
    };
    errln!(
        "ingest: {} records {done} acknowledged by the server{notes}",
        sender.acknowledged
    );
    let again = match resume {
        Some(p) => format!("run the same command again to go on from {}", p.display()),
        None => "run it again (with --resume FILE to skip what was acknowledged); nothing is stored twice".into(),
    };
    match outcome {
        Ok(()) if sender.refused > 0 || tally.evtx_errors > 0 => Ok(ExitCode::from(1)),
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Stop::Interrupted) => {
            errln!("ingest: interrupted; {}", Esc(&again));
            Ok(ExitCode::from(130))
        }
        Err(Stop::Failed(e)) => {
            errln!("ingest: stopped; {}", Esc(&again));
            Err(e)
        }
    }
}

fn ingest_file(
    runtime: &tokio::runtime::Runtime,
    sender: &mut Sender,
    progress: &mut Progress,
    file: &InputFile,
    evtx_errors: &mut u64,
) -> Result<(), Stop> {
    let stream = Stream {
        file,
        key: stream_key(file)?,
        // Binary EVTX goes as each record's JSON rendering; the server's JSON parser maps it.
        format: if file.format == Format::Evtx {
            Format::Ndjson
        } else {
            file.format
        },
    };
    let from = progress.get(&stream.key);
    if file.format == Format::Evtx {
        ingest_evtx(runtime, sender, progress, &stream, from.next, evtx_errors)?;
        sender.bar.inc(file.size);
        return Ok(());
    }
    ingest_lines(runtime, sender, progress, &stream, from)
}

/// Sends an EVTX file's records from ordinal `from` on; requests go out as the file is read, so
/// memory holds one request, not the file.
fn ingest_evtx(
    runtime: &tokio::runtime::Runtime,
    sender: &mut Sender,
    progress: &mut Progress,
    stream: &Stream<'_>,
    from: u64,
    evtx_errors: &mut u64,
) -> Result<(), Stop> {
    let path = &stream.file.path;
    let origin = Origin::file("evtx", &path.display().to_string());
    let mut batch = Batch::starting_at(from);
    let mut ordinal = 0u64;
    let mut stopped = None;
    let summary = read_evtx_file_until(path, &origin, EvtxOptions::default(), &mut |r| {
        let event = match r {
            Ok(event) => event,
            Err(e) => {
                *evtx_errors += 1;
                sender.bar.suspend(|| errln!("warning: {}", Esc(&e.to_string())));
                return ControlFlow::Continue(());
            }
        };
        let Raw::Json(value) = &event.raw else {
            return ControlFlow::Continue(());
        };
        let Ok(line) = serde_json::to_vec(value) else {
            return ControlFlow::Continue(());
        };
        ordinal += 1;
        if ordinal <= from {
            return ControlFlow::Continue(());
        }
        if let Some(full) = batch.push(|body| {
            body.extend_from_slice(&line);
            true
        }) && let Err(stop) = runtime.block_on(sender.post(stream, full, progress))
        {
            // Stop reading: the rest of the file would have nowhere to go.
            stopped = Some(stop);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    if let Some(stop) = stopped {
        return Err(stop);
    }
    if let Err(e) = summary {
        sender.bar.suspend(|| errln!("warning: {}", Esc(&e.to_string())));
        *evtx_errors += 1;
    }
    if let Some(rest) = batch.rest() {
        runtime.block_on(sender.post(stream, rest, progress))?;
    }
    Ok(())
}

/// Sends a line file's records from `from` (its ordinal and byte offset) on.
fn ingest_lines(
    runtime: &tokio::runtime::Runtime,
    sender: &mut Sender,
    progress: &mut Progress,
    stream: &Stream<'_>,
    from: Position,
) -> Result<(), Stop> {
    let path = &stream.file.path;
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut offset = from.offset.min(stream.file.size);
    f.seek(SeekFrom::Start(offset))
        .with_context(|| format!("reading {}", path.display()))?;
    sender.bar.inc(offset);
    let mut batch = Batch::starting_at(from.next);
    for line in BufReader::new(f).split(b'\n') {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        offset += line.len() as u64 + 1;
        sender.bar.inc(line.len() as u64 + 1);
        if line.trim_ascii().is_empty() {
            batch.end_offset = offset;
            continue;
        }
        let full = batch.push(|body| {
            body.extend_from_slice(&line);
            true
        });
        batch.end_offset = offset;
        if let Some(mut full) = full {
            full.end_offset = offset;
            runtime.block_on(sender.post(stream, full, progress))?;
        }
    }
    if let Some(rest) = batch.rest() {
        runtime.block_on(sender.post(stream, rest, progress))?;
    }
    Ok(())
}
