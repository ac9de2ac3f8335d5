//! The indexer: spool → parse → detect (with correlation) → event store + alerts.
//!
//! One thread reads the spool in order; parsing and detection of a batch run on all cores. After
//! the store commits, the correlation state is saved with the sequence number it covers and the
//! spool is checkpointed. After a crash the spool is replayed from its checkpoint: the store skips
//! events it already committed, alert ids are deterministic (inserted at most once), and the
//! correlator skips records its saved state already covers — so every event is indexed and
//! detected once in effect.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use jiff::Timestamp;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use vigil_detect::{Correlator, Hit};
use vigil_event::{Event, Fields, LogSourceTags, Raw};
use vigil_ingest::{Record, RecordFormat};
use vigil_parse::{Format, Origin, ParseError};
use vigil_spool::Spool;
use vigil_state::{NewAlert, NewDeadLetter, State};
use vigil_store::EventStore;

use crate::{config::PipelineConfig, engine::RuleHolder, metrics::Metrics};

const CORRELATION_BLOB: &str = "correlation-state";

/// Everything the pipeline needs.
#[derive(Debug)]
pub struct Pipeline {
    pub spool: Arc<Spool>,
    pub store: Arc<EventStore>,
    pub state: State,
    pub rules: Arc<RuleHolder>,
    pub metrics: Arc<Metrics>,
    pub config: PipelineConfig,
    /// Logsource given to events of an input whose records carry none (e.g. `product=linux` for syslog).
    pub logsources: HashMap<String, LogSourceTags>,
    pub runtime: tokio::runtime::Handle,
    pub shutdown: Arc<AtomicBool>,
    /// The next spool sequence number to process (for lag metrics and readiness).
    pub position: Arc<AtomicU64>,
}

/// Errors that stop the pipeline (the server then reports not-ready and exits).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    #[error("spool: {0}")]
    Spool(#[from] vigil_spool::SpoolError),
    #[error("event store: {0}")]
    Store(#[from] vigil_store::StoreError),
    #[error("state database: {0}")]
    State(#[from] vigil_state::StateError),
}

#[derive(Serialize, Deserialize)]
struct SavedCorrelation {
    /// The last spool record the snapshot includes.
    seq: u64,
    snapshot: vigil_detect::CorrelationSnapshot,
}

/// One spool record after parsing and detection.
enum Processed {
    Event {
        event: Box<Event>,
        hits: Vec<Hit>,
        received: Timestamp,
    },
    Bad(NewDeadLetter),
}

struct Run {
    correlator: Option<Correlator>,
    generation: u64,
    /// Records up to this seq are already inside the correlation state.
    correlated_through: u64,
    last_seq: u64,
    committed_seq: u64,
    uncommitted: usize,
    last_commit: Instant,
}

impl Pipeline {
    /// Runs until `shutdown` is set; then commits what it processed and returns.
    pub fn run(self) -> Result<(), PipelineError> {
        let start = self.spool.checkpointed() + 1;
        let mut reader = self.spool.reader(start);
        self.position.store(start, Relaxed);
        let rules = self.rules.current();
        let mut run = Run {
            correlator: rules
                .correlator
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
            generation: rules.generation,
            correlated_through: 0,
            last_seq: start - 1,
            committed_seq: start - 1,
            uncommitted: 0,
            last_commit: Instant::now(),
        };
        if let Some(saved) = self.runtime.block_on(self.state.get_blob(CORRELATION_BLOB))?
            && let Ok(saved) = serde_json::from_slice::<SavedCorrelation>(&saved)
            && let Some(c) = run.correlator.as_mut()
        {
            if c.import_state(saved.snapshot) {
                run.correlated_through = saved.seq;
            } else {
                tracing::warn!("saved correlation state does not fit the rules; starting correlations afresh");
            }
        }
        tracing::info!(from = start, "pipeline started");
        loop {
            let stopping = self.shutdown.load(Relaxed);
            let mut records = Vec::with_capacity(self.config.batch);
            let wait = if stopping {
                Duration::ZERO
            } else {
                Duration::from_millis(100)
            };
            reader.read_wait(&self.spool, self.config.batch, wait, &mut |r| records.push(r))?;
            if !records.is_empty() {
                self.process(&mut run, records)?;
                self.position.store(reader.position(), Relaxed);
            }
            let due = run.last_commit.elapsed() >= self.config.commit_interval || run.uncommitted >= 200_000;
            if run.last_seq > run.committed_seq && (due || stopping) {
                self.commit(&mut run)?;
            }
            if stopping && run.last_seq == run.committed_seq {
                tracing::info!(through = run.committed_seq, "pipeline stopped");
                return Ok(());
            }
        }
    }

    fn process(&self, run: &mut Run, records: Vec<vigil_spool::Record>) -> Result<(), PipelineError> {
        let started = Instant::now();
        let rules = self.rules.current();
        if rules.generation != run.generation {
            self.swap_correlator(run, &rules);
        }
        let processed: Vec<(u64, Processed)> = records
            .into_par_iter()
            .map(|r| (r.seq, self.parse_and_detect(&rules.detector, r)))
            .collect();
        let now = Timestamp::now();
        let mut alerts: Vec<(NewAlert, Timestamp)> = Vec::new();
        let mut letters = Vec::new();
        for (seq, p) in processed {
            run.last_seq = seq;
            match p {
                Processed::Bad(letter) => letters.push(letter),
                Processed::Event { event, hits, received } => {
                    for hit in hits.iter().filter(|h| !rules.suppressed.contains(&h.rule)) {
                        let rule = &rules.detector.rules()[hit.rule];
                        alerts.push((crate::engine::detection_alert(rule, hit, &event, now), received));
                    }
                    if let Some(c) = run.correlator.as_mut()
                        && !hits.is_empty()
                        && seq > run.correlated_through
                    {
                        let secs = event.time.unwrap_or(received).as_second();
                        for ch in c.feed(&event, &hits, secs) {
                            let rule = &rules.detector.rules()[ch.rule];
                            alerts.push((crate::engine::correlation_alert(rule, &ch, &event, now), received));
                        }
                        run.correlated_through = seq;
                    }
                    if self.store.add(seq, &event, received)? {
                        self.metrics.events_indexed.fetch_add(1, Relaxed);
                    } else {
                        self.metrics.events_replayed.fetch_add(1, Relaxed);
                    }
                    run.uncommitted += 1;
                }
            }
        }
        if !letters.is_empty() {
            self.metrics.parse_errors.fetch_add(letters.len() as u64, Relaxed);
            self.metrics.dead_letters.fetch_add(letters.len() as u64, Relaxed);
            self.runtime.block_on(self.state.insert_dead_letters(&letters))?;
        }
        if !alerts.is_empty() {
            let batch: Vec<NewAlert> = alerts.iter().map(|(a, _)| a.clone()).collect();
            let inserted = self.runtime.block_on(self.state.insert_alerts(&batch))?;
            self.metrics.alerts.fetch_add(inserted, Relaxed);
            let stored = Timestamp::now();
            for (_, received) in &alerts {
                let latency = stored.duration_since(*received);
                self.metrics
                    .detection_latency
                    .observe(latency.try_into().unwrap_or(Duration::ZERO));
            }
        }
        self.metrics.batch_seconds.observe(started.elapsed());
        Ok(())
    }

    /// A reload brought a new correlator: carry the running state over (keyed by rule id).
    fn swap_correlator(&self, run: &mut Run, rules: &crate::engine::Rules) {
        let fresh = rules
            .correlator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        run.correlator = match (run.correlator.take(), fresh) {
            (Some(old), Some(mut new)) => {
                new.import_state(old.export_state());
                Some(new)
            }
            (_, new) => new,
        };
        run.generation = rules.generation;
    }

    fn commit(&self, run: &mut Run) -> Result<(), PipelineError> {
        let seq = run.last_seq;
        self.store.commit(seq)?;
        self.metrics.store_commits.fetch_add(1, Relaxed);
        if let Some(c) = &run.correlator {
            let saved = SavedCorrelation {
                seq: run.correlated_through.max(seq),
                snapshot: c.export_state(),
            };
            if let Ok(bytes) = serde_json::to_vec(&saved) {
                self.runtime.block_on(self.state.put_blob(CORRELATION_BLOB, &bytes))?;
            }
        }
        self.spool.checkpoint(seq)?;
        run.committed_seq = seq;
        run.uncommitted = 0;
        run.last_commit = Instant::now();
        Ok(())
    }

    fn parse_and_detect(&self, detector: &vigil_detect::Detector, r: vigil_spool::Record) -> Processed {
        let record = match Record::decode(&r.payload) {
            Ok(rec) => rec,
            Err(e) => {
                return Processed::Bad(NewDeadLetter {
                    input: "spool".into(),
                    received: Timestamp::now(),
                    peer: None,
                    code: "bad_spool_record".into(),
                    message: e.to_string(),
                    data: r.payload.iter().copied().take(64 << 10).collect(),
                });
            }
        };
        match to_event(r.seq, &record, self.logsources.get(&*record.input)) {
            Ok(event) => {
                let hits = detector.detect(&event);
                Processed::Event {
                    event: Box::new(event),
                    hits,
                    received: record.received,
                }
            }
            Err(e) => Processed::Bad(NewDeadLetter {
                input: record.input.to_string(),
                received: record.received,
                peer: record.peer.map(|p| p.to_string()),
                code: e.kind.code().into(),
                message: e.kind.to_string(),
                data: record.data.iter().copied().take(64 << 10).collect(),
            }),
        }
    }
}

/// Turns one spooled record into an event. The event id derives from the input name and the
/// spool sequence number, so a replay produces the same ids.
pub fn to_event(seq: u64, record: &Record, logsource: Option<&LogSourceTags>) -> Result<Event, ParseError> {
    let origin = Origin {
        input: record.input.clone(),
        path: None,
        host: record.peer.map(|p| p.ip().to_string().into()),
    };
    let attr = |name: &str| record.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let format = attr("format").and_then(|f| f.parse::<Format>().ok());
    let mut event = match (format, record.format) {
        (Some(f), _) => vigil_parse::parse_line(f, &record.data, &origin, seq)?,
        (None, RecordFormat::Syslog) => vigil_parse::parse_line(Format::Syslog, &record.data, &origin, seq)?,
        (None, RecordFormat::Json) => vigil_parse::parse_line(Format::Ndjson, &record.data, &origin, seq)?,
        (None, _) => {
            let text = String::from_utf8_lossy(&record.data).trim_end().to_string();
            if text.is_empty() {
                return Err(origin.error(seq, vigil_parse::ErrorKind::Empty));
            }
            let mut fields = Fields::new();
            fields.insert("message", serde_json::Value::String(text.clone()));
            Event::new(
                origin.source(seq),
                None,
                LogSourceTags::default(),
                fields,
                Raw::Text(text.into()),
            )
        }
    };
    for (k, v) in &record.attrs {
        match k.as_str() {
            "format" | "id" => {}
            "time" => {
                if event.time.is_none() {
                    event.time = parse_attr_time(v);
                }
            }
            _ => {
                event.fields.insert_if_absent(k, serde_json::Value::String(v.clone()));
            }
        }
    }
    if event.logsource.product.is_none()
        && let Some(tags) = logsource
    {
        event.logsource = tags.clone();
    }
    Ok(event)
}

/// A time attribute: RFC 3339, or epoch seconds (HEC sends `1700000000.123`).
fn parse_attr_time(v: &str) -> Option<Timestamp> {
    if let Ok(t) = v.parse::<Timestamp>() {
        return Some(t);
    }
    let secs: f64 = v.trim().parse().ok()?;
    if !secs.is_finite() {
        return None;
    }
    Timestamp::from_nanosecond((secs * 1e9) as i128).ok()
}
