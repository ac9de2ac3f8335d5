//! The indexer: spool → parse → detect (with correlation) → event store + alerts.
//!
//! Two stages on two threads, joined by a short bounded queue, so detecting one batch overlaps
//! indexing and committing the previous one:
//!
//! 1. **detect** (`vigil-pipeline`) reads the spool in order; parsing, detection and building each
//!    event's store document run on all cores. In spool order it then feeds the correlator,
//!    persists the batch's alerts and dead letters, and hands the documents on. Every commit
//!    interval it saves the correlation state with the sequence number it covers.
//! 2. **store** (`vigil-store`, [`crate::store_stage`]) adds the documents in order and commits
//!    the store every commit interval, then checkpoints the spool — up to what both the store
//!    commit and the saved correlation state cover (alerts and dead letters of a batch are
//!    persisted before the batch reaches this stage).
//!
//! A detection match that an active suppression rule covers ([`crate::suppression`]) raises no
//! alert: it is recorded on the suppression with the batch, before its alerts.
//!
//! After a crash the spool is replayed from its checkpoint: the store skips events it already
//! committed, alert ids are deterministic (inserted at most once), and the correlator skips
//! records its saved state already covers — so every event is indexed and detected once in effect.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
        mpsc::SyncSender,
    },
    time::{Duration, Instant},
};

use jiff::Timestamp;
use rayon::prelude::*;
use vigil_detect::Hit;
use vigil_event::{Event, EventId, Fields, LogSourceTags, Raw};
use vigil_ingest::{Record, RecordFormat};
use vigil_parse::{Format, Origin, ParseError};
use vigil_spool::Spool;
use vigil_state::suppressions::NewSuppressedMatch;
use vigil_state::{NewAlert, NewDeadLetter, State};
use vigil_store::{EventStore, PreparedEvent};

use crate::{
    correlation::{SavedCorrelation, TenantCorrelators},
    engine::RuleHolder,
    logsource::LogsourceMap,
    metrics::Metrics,
    store_stage::{StoreBatch, StoreStage},
    suppression::{self, SuppressionHolder},
};

/// The spool → detect → store pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// Records taken from the spool at a time.
    pub batch: usize,
    /// Longest time between store commits (events become searchable after a commit).
    pub commit_interval: Duration,
    /// An event dated further than this after its arrival is taken at its ingest time (a wrong
    /// clock or a forged time must not park it in a future partition, hide it from searches of
    /// the present, or move correlation windows).
    pub future_tolerance: Duration,
    /// How detection alerts are grouped in-stream (`[grouping]`).
    pub grouping: crate::grouping::Grouping,
}

const CORRELATION_BLOB: &str = "correlation-state";
/// Batches queued between the detect and store stages.
const STORE_QUEUE: usize = 2;

/// Everything the pipeline needs.
#[derive(Debug)]
pub struct Pipeline {
    pub spool: Arc<Spool>,
    pub store: Arc<EventStore>,
    pub state: State,
    pub rules: Arc<RuleHolder>,
    pub metrics: Arc<Metrics>,
    pub config: PipelineConfig,
    /// The logsource given to events whose own shape does not name one, by where they arrived.
    pub logsources: LogsourceMap,
    pub runtime: tokio::runtime::Handle,
    pub shutdown: Arc<AtomicBool>,
    /// The next spool sequence number to process (for lag metrics and readiness).
    pub position: Arc<AtomicU64>,
    /// The spool checkpoint stays below this seq ([`crate::streams::Streams::checkpoint_hold`]).
    pub checkpoint_hold: Arc<AtomicU64>,
    /// The active suppression rules, reloaded every [`suppression::REFRESH`] (and by the API
    /// when it changes one).
    pub suppressions: Arc<SuppressionHolder>,
    /// Events counted per log source, flushed by the server ([`crate::sources`]).
    pub sources: Arc<crate::sources::SourceTracker>,
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
    #[error("pipeline thread: {0}")]
    Thread(std::io::Error),
}

/// The last spool sequence number the saved correlation state covers (0 when none is saved).
pub async fn correlation_saved_seq(state: &State) -> Result<u64, vigil_state::StateError> {
    Ok(state
        .get_blob(CORRELATION_BLOB)
        .await?
        .and_then(|bytes| serde_json::from_slice::<SavedCorrelation>(&bytes).ok())
        .map_or(0, |saved| saved.seq))
}

/// One spool record after parsing and detection.
enum Processed {
    Event {
        event: Box<Event>,
        /// The tenant of its sender.
        tenant: Arc<str>,
        hits: Vec<Hit>,
        received: Timestamp,
        /// Its store document, built on the parallel stage (`None`: too old to keep).
        doc: Result<Option<PreparedEvent>, vigil_store::StoreError>,
        /// Neither its shape nor the configuration named its logsource.
        unknown_logsource: bool,
    },
    Bad(NewDeadLetter),
}

struct Run {
    correlators: TenantCorrelators,
    generation: u64,
    /// Records up to this seq are already inside the correlation state.
    correlated_through: u64,
    last_seq: u64,
    /// The last seq whose correlation state is saved.
    saved_seq: u64,
    last_save: Instant,
    /// When the suppressions were last looked at (a failed reload is retried after
    /// [`suppression::REFRESH`], not on every loop).
    suppressions_checked: Instant,
}

impl Pipeline {
    /// Runs until `shutdown` is set; then commits what it processed and returns.
    pub fn run(self) -> Result<(), PipelineError> {
        let start = self.spool.checkpointed() + 1;
        let mut reader = self.spool.reader(start);
        self.position.store(start, Relaxed);
        let rules = self.rules.current();
        let mut run = Run {
            correlators: TenantCorrelators::new(&rules),
            generation: rules.generation,
            correlated_through: 0,
            last_seq: start - 1,
            saved_seq: start - 1,
            last_save: Instant::now(),
            suppressions_checked: Instant::now(),
        };
        // No record is detected before the suppressions are known.
        if self.suppressions.is_stale(suppression::REFRESH) {
            self.runtime.block_on(self.suppressions.reload(&self.state))?;
        }
        if let Some(saved) = self.runtime.block_on(self.state.get_blob(CORRELATION_BLOB))?
            && let Ok(saved) = serde_json::from_slice::<SavedCorrelation>(&saved)
            && run.correlators.enabled()
        {
            let seq = saved.seq;
            if run.correlators.import(saved) {
                run.correlated_through = seq;
            } else {
                tracing::warn!("saved correlation state does not fit the rules; starting correlations afresh");
            }
        }
        let (to_store, from_detect) = std::sync::mpsc::sync_channel(STORE_QUEUE);
        // What the store stage may checkpoint up to, as far as correlation state is concerned.
        let correlation_saved = Arc::new(AtomicU64::new(start - 1));
        let stage = StoreStage {
            store: self.store.clone(),
            spool: self.spool.clone(),
            metrics: self.metrics.clone(),
            commit_interval: self.config.commit_interval,
            correlation_saved: correlation_saved.clone(),
            checkpoint_hold: self.checkpoint_hold.clone(),
        };
        let store_thread = std::thread::Builder::new()
            .name("vigil-store".into())
            .spawn(move || stage.run(from_detect, start))
            .map_err(PipelineError::Thread)?;
        tracing::info!(from = start, "pipeline started");
        let detected = self.detect_loop(&mut run, &mut reader, &to_store, &correlation_saved);
        drop(to_store);
        let stored = store_thread
            .join()
            .unwrap_or_else(|_| Err(PipelineError::Thread(std::io::Error::other("the store stage panicked"))));
        detected?;
        stored?;
        tracing::info!(through = run.last_seq, "pipeline stopped");
        Ok(())
    }

    /// Stage 1: reads, detects and hands batches on until shutdown (or until the store stage stops).
    fn detect_loop(
        &self,
        run: &mut Run,
        reader: &mut vigil_spool::SpoolReader,
        to_store: &SyncSender<StoreBatch>,
        correlation_saved: &AtomicU64,
    ) -> Result<(), PipelineError> {
        loop {
            self.refresh_suppressions(run);
            let stopping = self.shutdown.load(Relaxed);
            let mut records = Vec::with_capacity(self.config.batch);
            let wait = if stopping {
                Duration::ZERO
            } else {
                Duration::from_millis(100)
            };
            reader.read_wait(&self.spool, self.config.batch, wait, &mut |r| records.push(r))?;
            let caught_up = records.is_empty();
            if !caught_up {
                let batch = self.process(run, records)?;
                self.position.store(reader.position(), Relaxed);
                if to_store.send(batch).is_err() {
                    // The store stage failed; its error is what `run` reports.
                    return Ok(());
                }
            }
            if run.last_seq > run.saved_seq && (stopping || run.last_save.elapsed() >= self.config.commit_interval) {
                self.save_correlation(run)?;
                correlation_saved.store(run.saved_seq, Relaxed);
            }
            if stopping && caught_up {
                return Ok(());
            }
        }
    }

    /// Reloads the suppressions when they are older than [`suppression::REFRESH`]; a failure
    /// keeps the set in force (and is tried again after the same time).
    fn refresh_suppressions(&self, run: &mut Run) {
        if run.suppressions_checked.elapsed() < suppression::REFRESH
            || !self.suppressions.is_stale(suppression::REFRESH)
        {
            return;
        }
        run.suppressions_checked = Instant::now();
        if let Err(e) = self.runtime.block_on(self.suppressions.reload(&self.state)) {
            tracing::warn!(error = %e, "reloading the suppression rules failed; the loaded ones stay in force");
        }
    }

    fn process(&self, run: &mut Run, records: Vec<vigil_spool::Record>) -> Result<StoreBatch, PipelineError> {
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
        let suppressions = self.suppressions.current();
        let mut suppressed: Vec<NewSuppressedMatch> = Vec::new();
        let mut alerts: Vec<(NewAlert, Timestamp)> = Vec::new();
        let mut letters = Vec::new();
        let mut docs = Vec::with_capacity(processed.len());
        let mut unknown_logsource: Vec<(Arc<str>, u64)> = Vec::new();
        let mut sources = self.sources.batch();
        let mut untracked: u64 = 0;
        for (seq, p) in processed {
            run.last_seq = seq;
            match p {
                Processed::Bad(letter) => letters.push(letter),
                Processed::Event {
                    event,
                    tenant,
                    hits,
                    received,
                    doc,
                    unknown_logsource: unknown,
                } => {
                    if unknown {
                        count_input(&mut unknown_logsource, &event.source.input);
                    }
                    if !sources.observe(&tenant, &event, received) {
                        untracked += 1;
                    }
                    for hit in hits.iter().filter(|h| !rules.suppressed.contains(&h.rule)) {
                        let rule = &rules.detector.rules()[hit.rule];
                        if let Some(id) = suppressions.suppresses(&tenant, rule.key(), &event, now) {
                            suppressed.push(NewSuppressedMatch {
                                match_id: crate::engine::detection_alert_id(rule, &event),
                                suppression_id: id.to_owned(),
                                tenant: tenant.to_string(),
                                rule_id: rule.key().to_owned(),
                                event_id: event.id.to_string(),
                                at: now,
                            });
                            continue;
                        }
                        let mut alert = crate::engine::detection_alert(rule, hit, &event, &tenant, now);
                        if let Some(g) = self.config.grouping.group(&alert.rule_id, &event) {
                            alert.group_key = Some(g.key);
                            alert.grouping = Some(vigil_state::AlertGrouping {
                                fingerprint: g.fingerprint,
                                window: jiff::SignedDuration::try_from(g.window).unwrap_or(jiff::SignedDuration::MAX),
                            });
                        }
                        alerts.push((alert, received));
                    }
                    if run.correlators.enabled() && !hits.is_empty() && seq > run.correlated_through {
                        let secs = event.time.unwrap_or(received).as_second();
                        for ch in run.correlators.feed(&tenant, &event, &hits, secs) {
                            let rule = &rules.detector.rules()[ch.rule];
                            alerts.push((
                                crate::engine::correlation_alert(rule, &ch, &event, &tenant, now),
                                received,
                            ));
                        }
                        run.correlated_through = seq;
                    }
                    docs.push((seq, doc?));
                }
            }
        }
        drop(sources);
        self.metrics.source_events_untracked.fetch_add(untracked, Relaxed);
        self.metrics.add_unknown_logsource(&unknown_logsource);
        if !letters.is_empty() {
            self.metrics.parse_errors.fetch_add(letters.len() as u64, Relaxed);
            self.metrics.dead_letters.fetch_add(letters.len() as u64, Relaxed);
            self.runtime.block_on(self.state.insert_dead_letters(&letters))?;
        }
        if !suppressed.is_empty() {
            let recorded = self.runtime.block_on(self.state.record_suppressed(&suppressed))?;
            self.metrics.alerts_suppressed.fetch_add(recorded, Relaxed);
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
        Ok(StoreBatch {
            docs,
            last_seq: run.last_seq,
        })
    }

    /// A reload brought new rules: carry each tenant's running state over (keyed by rule id).
    fn swap_correlator(&self, run: &mut Run, rules: &Arc<crate::engine::Rules>) {
        run.correlators = std::mem::take(&mut run.correlators).reloaded(rules);
        run.generation = rules.generation;
    }

    /// Saves the correlation state (when there is one) as covering every record read so far.
    fn save_correlation(&self, run: &mut Run) -> Result<(), PipelineError> {
        let seq = run.last_seq;
        if run.correlators.enabled() {
            let saved = run.correlators.export(run.correlated_through.max(seq));
            if let Ok(bytes) = serde_json::to_vec(&saved) {
                self.runtime.block_on(self.state.put_blob(CORRELATION_BLOB, &bytes))?;
            }
        }
        run.saved_seq = seq;
        run.last_save = Instant::now();
        Ok(())
    }

    fn parse_and_detect(&self, detector: &vigil_detect::Detector, r: vigil_spool::Record) -> Processed {
        let record = match Record::decode(&r.payload) {
            Ok(rec) => rec,
            Err(e) => {
                return Processed::Bad(NewDeadLetter {
                    // A record that cannot be read names no tenant: the operator's.
                    tenant: vigil_api_types::access::DEFAULT_TENANT.into(),
                    input: "spool".into(),
                    received: Timestamp::now(),
                    peer: None,
                    code: vigil_event::DeadLetterCode::BadSpoolRecord.as_str().into(),
                    message: e.to_string(),
                    data: r.payload.iter().copied().take(64 << 10).collect(),
                });
            }
        };
        match to_event(self.spool.epoch(), r.seq, &record) {
            Ok(mut event) => {
                let unknown_logsource = self.logsources.assign(&record.input, &record.attrs, &mut event);
                if distrust_future_time(&mut event, record.received, self.config.future_tolerance) {
                    self.metrics.events_future_time.fetch_add(1, Relaxed);
                }
                let hits = detector.detect(&event);
                // After detection: a rule never sees the tenant, and the stored event always has it.
                event.fields.insert(vigil_store::TENANT_FIELD, &*record.tenant);
                let doc = self.store.prepare(&event, record.received);
                Processed::Event {
                    event: Box::new(event),
                    tenant: Arc::clone(&record.tenant),
                    hits,
                    received: record.received,
                    doc,
                    unknown_logsource,
                }
            }
            Err(e) => Processed::Bad(NewDeadLetter {
                tenant: record.tenant.to_string(),
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

/// Adds one to `input`'s count (a batch holds a handful of inputs: a linear scan is enough).
fn count_input(counts: &mut Vec<(Arc<str>, u64)>, input: &Arc<str>) {
    match counts.iter_mut().find(|(name, _)| name == input) {
        Some((_, n)) => *n += 1,
        None => counts.push((input.clone(), 1)),
    }
}

/// Turns one spooled record into an event, with the logsource its own shape names (the
/// configuration's [`LogsourceMap`] completes it). The event id is the hash of the spool's epoch
/// and the input name, then the spool sequence number ([`EventId::spooled`]), so a replay
/// produces the same ids; a keyed record's ([`crate::streams`]) is the hash of its stream and
/// ordinal.
pub fn to_event(epoch: u64, seq: u64, record: &Record) -> Result<Event, ParseError> {
    let attr = |name: &str| record.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let origin = Origin {
        input: record.input.clone(),
        // Only the native ingest API sets `path` (the file a client read the record from).
        path: attr("path").map(Into::into),
        host: record.peer.map(|p| p.ip().to_string().into()),
    };
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
            "format" | "id" | "path" | crate::streams::STREAM_ATTR | crate::streams::ORDINAL_ATTR => {}
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
    take_own_host(&mut event, record.peer);
    event.id = match crate::streams::position(record) {
        // A keyed record (native ingest stream): the same id however often it is sent.
        Some((stream, ordinal)) => EventId::derive(&record.input, Some(stream), ordinal, b"keyed"),
        None => EventId::spooled(epoch, &record.input, seq),
    };
    Ok(event)
}

/// The field holding the address of the connection an event came in on (the shipper or relay).
pub const SENDER: &str = "vigil_sender";

/// An event shipped over the network is about the host it names (`Computer`, `host`,
/// `host.name`, …), not the shipper or relay that sent it: that host becomes its source host. An
/// event that names no host keeps the sender's address as its host. Either way the sender's
/// address is set in the field [`SENDER`], replacing whatever the event said there, so a client
/// cannot forge where its events came from.
fn take_own_host(event: &mut Event, peer: Option<std::net::SocketAddr>) {
    if let Some(peer) = peer {
        event.fields.insert(SENDER, peer.ip().to_string());
    }
    if let Some(own) = event.fields.host() {
        event.source.host = Some(own.into());
    }
}

/// The field holding an event time the server did not trust.
pub const DISTRUSTED_TIME: &str = "vigil_distrusted_time";

/// Takes an event dated more than `tolerance` after its arrival at its ingest time: a wrong clock
/// or a forged time must not park it in a future partition (where searches of the present and
/// retention miss it) or move correlation windows ahead. The time set aside goes in the field
/// [`DISTRUSTED_TIME`] (`_exists_:vigil_distrusted_time` finds the hosts with wrong clocks). True
/// when it was set aside.
pub fn distrust_future_time(event: &mut Event, received: Timestamp, tolerance: Duration) -> bool {
    let Some(time) = event.time else {
        return false;
    };
    let latest = jiff::SignedDuration::try_from(tolerance)
        .ok()
        .and_then(|d| received.checked_add(d).ok())
        .unwrap_or(Timestamp::MAX);
    if time <= latest {
        return false;
    }
    event.time = None;
    event.fields.insert_if_absent(DISTRUSTED_TIME, time.to_string());
    true
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
