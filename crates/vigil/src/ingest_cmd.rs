//! `vigil ingest`: send log files to a running server, with a progress bar and backpressure.

use std::{
    io::{BufRead, BufReader},
    ops::ControlFlow,
    process::ExitCode,
    time::Duration,
};

use anyhow::Context;
use bytes::Bytes;
use hyper::{Method, StatusCode};
use vigil_event::Raw;
use vigil_parse::{
    Format, Origin,
    evtx::{EvtxOptions, read_evtx_file_until},
};

use crate::{
    cli::IngestArgs,
    client::{Client, encode},
    hunt::{format_of, input},
    progress,
};

/// Records per request, and the byte size at which a request is sent early.
const BATCH_LINES: usize = 5000;
const BATCH_BYTES: usize = 4 << 20;

/// Lines gathered into one request body.
#[derive(Default)]
struct Batch {
    body: Vec<u8>,
    lines: u64,
}

impl Batch {
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
        full.then(|| std::mem::take(self))
    }

    /// What is left, if anything.
    fn rest(self) -> Option<Batch> {
        (self.lines > 0).then_some(self)
    }
}

struct Sender {
    client: Client,
    sent: u64,
    bar: indicatif::ProgressBar,
}

impl Sender {
    /// Posts one batch; on 429 waits as told and retries, so nothing is skipped.
    async fn post(&mut self, format: Format, input_name: &str, batch: Batch) -> anyhow::Result<()> {
        let Batch { body, lines: records } = batch;
        let path = format!("/api/v1/ingest?format={}&path={}", format.name(), encode(input_name));
        let body = Bytes::from(body);
        loop {
            let answer = self
                .client
                .send(Method::POST, &path, Some(("application/x-ndjson", body.clone())))
                .await?;
            if answer.status == StatusCode::TOO_MANY_REQUESTS {
                let wait = answer.retry_after.unwrap_or(1).clamp(1, 30);
                self.bar.set_message(format!("server busy, retrying in {wait}s"));
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            answer.json()?;
            self.sent += records;
            self.bar.set_message(format!("{} records acknowledged", self.sent));
            return Ok(());
        }
    }
}

pub fn run(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let (files, skipped) = input::collect(&args.inputs, format_of(args.format))?;
    for (path, why) in &skipped.files {
        eprintln!("note: skipped {}: {why}", path.display());
    }
    let total: u64 = files.iter().map(|f| f.size).sum();
    let bar = progress::bytes_bar(total, args.quiet);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut sender = Sender {
        client: args.server.client()?,
        sent: 0,
        bar: bar.clone(),
    };
    let mut evtx_errors = 0u64;
    for file in &files {
        let name = format!("file:{}", file.path.display());
        if file.format == Format::Evtx {
            // Binary: send each record's JSON rendering; the server's JSON parser maps Windows trees.
            // Requests go out as the file is read, so memory holds one request, not the file.
            let origin = Origin::file("evtx", &file.path.display().to_string());
            let mut batch = Batch::default();
            let mut failed = None;
            let summary = read_evtx_file_until(&file.path, &origin, EvtxOptions::default(), &mut |r| {
                match r {
                    Ok(event) => {
                        let full = batch.push(|body| match &event.raw {
                            Raw::Json(v) => serde_json::to_writer(body, v).is_ok(),
                            _ => false,
                        });
                        if let Some(full) = full
                            && let Err(e) = runtime.block_on(sender.post(Format::Ndjson, &name, full))
                        {
                            // Stop reading: the rest of the file would have nowhere to go.
                            failed = Some(e);
                            return ControlFlow::Break(());
                        }
                    }
                    Err(e) => {
                        evtx_errors += 1;
                        eprintln!("warning: {e}");
                    }
                }
                ControlFlow::Continue(())
            });
            if let Some(e) = failed {
                return Err(e);
            }
            if let Err(e) = summary {
                eprintln!("warning: {e}");
                evtx_errors += 1;
            }
            if let Some(rest) = batch.rest() {
                runtime.block_on(sender.post(Format::Ndjson, &name, rest))?;
            }
            bar.inc(file.size);
            continue;
        }
        let reader = BufReader::new(
            std::fs::File::open(&file.path).with_context(|| format!("opening {}", file.path.display()))?,
        );
        let mut batch = Batch::default();
        for line in reader.split(b'\n') {
            let line = line.with_context(|| format!("reading {}", file.path.display()))?;
            bar.inc(line.len() as u64 + 1);
            if line.trim_ascii().is_empty() {
                continue;
            }
            if let Some(full) = batch.push(|body| {
                body.extend_from_slice(&line);
                true
            }) {
                runtime.block_on(sender.post(file.format, &name, full))?;
            }
        }
        if let Some(rest) = batch.rest() {
            runtime.block_on(sender.post(file.format, &name, rest))?;
        }
    }
    bar.finish_and_clear();
    eprintln!(
        "ingest: {} records from {} files acknowledged by the server{}",
        sender.sent,
        files.len(),
        if evtx_errors > 0 {
            format!(", {evtx_errors} EVTX records unreadable")
        } else {
            String::new()
        }
    );
    Ok(if evtx_errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
