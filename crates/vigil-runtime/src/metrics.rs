//! Prometheus metrics: every name lives here; `/metrics` renders them as text.

use std::{
    fmt::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use vigil_ingest::InputMetrics;

/// Upper bounds (seconds) of the event→alert latency histogram buckets.
const LATENCY_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// A fixed-bucket histogram of durations.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// The smallest bucket bound holding at least `q` of the observations (an upper estimate).
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let want = (q * n as f64).ceil() as u64;
        LATENCY_BUCKETS
            .iter()
            .zip(&self.buckets)
            .find(|(_, c)| c.load(Relaxed) >= want)
            .map(|(le, _)| *le)
            .or(Some(f64::INFINITY))
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (le, c) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {}", c.load(Relaxed));
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count());
        let _ = writeln!(
            out,
            "{name}_sum {}\n{name}_count {}",
            self.sum_micros.load(Relaxed) as f64 / 1e6,
            self.count()
        );
    }
}

/// Distinct input names the per-input counters of the pipeline keep apart.
pub const MAX_INPUT_LABELS: usize = 256;

/// A Prometheus label value: backslash, double quote and line feed escaped.
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Server-wide counters. Inputs keep their own [`InputMetrics`], registered here by name.
#[derive(Debug, Default)]
pub struct Metrics {
    inputs: Mutex<Vec<(String, Arc<InputMetrics>)>>,
    pub events_indexed: AtomicU64,
    pub events_replayed: AtomicU64,
    /// Events older than the store's max_age on arrival: detected, not stored.
    pub events_expired: AtomicU64,
    /// Events dated past pipeline.future_tolerance: kept at their ingest time.
    pub events_future_time: AtomicU64,
    pub parse_errors: AtomicU64,
    pub dead_letters: AtomicU64,
    pub alerts: AtomicU64,
    /// Detection matches a suppression kept from becoming an alert (each counted on it too).
    pub alerts_suppressed: AtomicU64,
    /// Events of log sources past the tracker's limit (`[sources] max_sources`): counted nowhere else.
    pub source_events_untracked: AtomicU64,
    /// Records that were neither indexed nor dead-lettered. By design this stays 0; it exists so
    /// that operators can alert on it if it ever does not.
    pub dropped: AtomicU64,
    pub store_commits: AtomicU64,
    pub rule_reloads: AtomicU64,
    /// Rows removed by retention.
    pub alerts_pruned: AtomicU64,
    pub dead_letters_pruned: AtomicU64,
    pub api_rate_limited: AtomicU64,
    /// Events whose Sigma logsource stayed unknown, per input (see [`Metrics::add_unknown_logsource`]).
    unknown_logsource: Mutex<Vec<(Arc<str>, u64)>>,
    pub detection_latency: Histogram,
    pub batch_seconds: Histogram,
    pub commit_seconds: Histogram,
}

/// Values read live when rendering.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gauges {
    /// Bytes of spooled records not yet checkpointed (what backpressure counts).
    pub spool_bytes: u64,
    /// Bytes of the spool's segment files.
    pub spool_disk_bytes: u64,
    pub spool_committed: u64,
    pub spool_checkpoint: u64,
    pub pipeline_position: u64,
    pub store_events: u64,
    pub store_bytes: u64,
    pub store_partitions: u64,
    pub rules_compiled: u64,
}

impl Gauges {
    /// Spooled records the detect stage has not taken yet.
    pub fn detect_lag(&self) -> u64 {
        self.spool_committed
            .saturating_sub(self.pipeline_position.saturating_sub(1))
    }

    /// Spooled records not yet durable in the store (what a restart would replay).
    pub fn store_lag(&self) -> u64 {
        self.spool_committed.saturating_sub(self.spool_checkpoint)
    }
}

impl Metrics {
    /// Registers an input's counters under its name.
    pub fn input(&self, name: &str) -> Arc<InputMetrics> {
        let m = Arc::new(InputMetrics::default());
        self.inputs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name.to_string(), m.clone()));
        m
    }

    pub fn register(&self, name: &str, m: Arc<InputMetrics>) {
        self.inputs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name.to_string(), m));
    }

    /// Adds a batch's counts of events of unknown logsource per input. Input names can come from
    /// native ingest clients, so at most [`MAX_INPUT_LABELS`] names get a series of their own; the
    /// rest count under `other`.
    pub fn add_unknown_logsource(&self, counts: &[(Arc<str>, u64)]) {
        if counts.is_empty() {
            return;
        }
        let mut all = self
            .unknown_logsource
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (input, n) in counts {
            let full = all.len() >= MAX_INPUT_LABELS;
            let name: &str = if full && !all.iter().any(|(k, _)| k == input) {
                "other"
            } else {
                input
            };
            match all.iter_mut().find(|(k, _)| &**k == name) {
                Some((_, total)) => *total += n,
                None => all.push((name.into(), *n)),
            }
        }
    }

    fn render_unknown_logsource(&self, out: &mut String) {
        let name = "vigil_events_unknown_logsource_total";
        let _ = writeln!(
            out,
            "# HELP {name} Events whose Sigma logsource neither their shape nor a [[logsource]] entry named, per input: only rules that name no product see them.\n# TYPE {name} counter"
        );
        let all = self
            .unknown_logsource
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (input, n) in all.iter() {
            let _ = writeln!(out, "{name}{{input=\"{}\"}} {n}", label_value(input));
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self, g: &Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let inputs = self
            .inputs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        type Getter = fn(&InputMetrics) -> u64;
        let per_input: [(&str, &str, &str, Getter); 5] = [
            (
                "vigil_input_records_total",
                "counter",
                "Records accepted (durably spooled) per input.",
                InputMetrics::records,
            ),
            (
                "vigil_input_bytes_total",
                "counter",
                "Bytes received per input.",
                InputMetrics::bytes,
            ),
            (
                "vigil_input_rejected_total",
                "counter",
                "Records rejected as malformed (dead-lettered) per input.",
                InputMetrics::rejected,
            ),
            (
                "vigil_input_backpressure_total",
                "counter",
                "Times an input was told to back off (spool full).",
                InputMetrics::backpressured,
            ),
            (
                "vigil_input_connections",
                "gauge",
                "Open connections per input.",
                InputMetrics::connections,
            ),
        ];
        for (name, kind, help, get) in per_input {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (input, m) in &inputs {
                let _ = writeln!(out, "{name}{{input=\"{input}\"}} {}", get(m));
            }
        }
        let counters: [(&str, &str, &AtomicU64); 16] = [
            (
                "vigil_alerts_pruned_total",
                "Alerts deleted by retention ([alerts] max_age, max_count).",
                &self.alerts_pruned,
            ),
            (
                "vigil_dead_letters_pruned_total",
                "Dead letters deleted by retention ([dead_letters] max_age, max_count).",
                &self.dead_letters_pruned,
            ),
            (
                "vigil_api_rate_limited_total",
                "API requests refused with 429 because their token was over [http] api_rate_limit.",
                &self.api_rate_limited,
            ),
            (
                "vigil_events_indexed_total",
                "Events written to the event store.",
                &self.events_indexed,
            ),
            (
                "vigil_events_replayed_total",
                "Spooled records skipped on replay because they were already stored.",
                &self.events_replayed,
            ),
            (
                "vigil_events_expired_total",
                "Events already older than [store] max_age on arrival: detected, but not stored.",
                &self.events_expired,
            ),
            (
                "vigil_events_future_time_total",
                "Events dated more than [pipeline] future_tolerance after their arrival: detected, \
                 correlated and stored at their ingest time (their own time in the field vigil_distrusted_time).",
                &self.events_future_time,
            ),
            (
                "vigil_parse_errors_total",
                "Spooled records that failed to parse (dead-lettered).",
                &self.parse_errors,
            ),
            (
                "vigil_dead_letters_total",
                "Records stored in the dead-letter store.",
                &self.dead_letters,
            ),
            (
                "vigil_alerts_total",
                "Alerts raised (detections and correlations).",
                &self.alerts,
            ),
            (
                "vigil_alerts_suppressed_total",
                "Detection matches a suppression rule kept from raising an alert (each counted on its suppression and listed: GET /api/v1/suppressions/{id}/matches).",
                &self.alerts_suppressed,
            ),
            (
                "vigil_source_events_untracked_total",
                "Events of log sources past [sources] max_sources, left out of source health (GET /api/v1/sources).",
                &self.source_events_untracked,
            ),
            (
                "vigil_dropped_events_total",
                "Records lost without being stored or dead-lettered. Must stay 0.",
                &self.dropped,
            ),
            ("vigil_store_commits_total", "Event store commits.", &self.store_commits),
            (
                "vigil_rule_reloads_total",
                "Successful rule reloads.",
                &self.rule_reloads,
            ),
            (
                "vigil_latency_observations_total",
                "Alerts whose event-to-alert latency was measured.",
                &self.detection_latency.count,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            );
        }
        self.render_unknown_logsource(&mut out);
        let gauges: [(&str, &str, u64); 10] = [
            (
                "vigil_spool_bytes",
                "Bytes held in the spool (not yet processed); backpressure starts at spool max_size.",
                g.spool_bytes,
            ),
            (
                "vigil_spool_disk_bytes",
                "Bytes of the spool's segment files (processed records are deleted a segment at a time).",
                g.spool_disk_bytes,
            ),
            (
                "vigil_spool_committed_seq",
                "Last durable spool sequence number.",
                g.spool_committed,
            ),
            (
                "vigil_spool_checkpoint_seq",
                "Spool sequence number processed and committed to the store.",
                g.spool_checkpoint,
            ),
            (
                "vigil_pipeline_lag_records",
                "Spooled records not yet through detection (the detect stage's queue depth).",
                g.detect_lag(),
            ),
            (
                "vigil_store_lag_records",
                "Spooled records not yet committed to the store and checkpointed (end-to-end queue depth: detection, the store stage's queue, the next commit).",
                g.store_lag(),
            ),
            ("vigil_store_events", "Events in the event store.", g.store_events),
            ("vigil_store_bytes", "Bytes on disk of the event store.", g.store_bytes),
            (
                "vigil_store_partitions",
                "Time partitions in the event store.",
                g.store_partitions,
            ),
            (
                "vigil_rules_compiled",
                "Sigma detection rules running in-stream.",
                g.rules_compiled,
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        self.detection_latency.render(
            &mut out,
            "vigil_detection_latency_seconds",
            "Time from receiving an event to its alert being stored.",
        );
        self.batch_seconds.render(
            &mut out,
            "vigil_pipeline_batch_seconds",
            "Time to parse and detect one spool batch and persist its alerts.",
        );
        self.commit_seconds.render(
            &mut out,
            "vigil_store_commit_seconds",
            "Time of one durable event store commit (the store stage waits for it).",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_and_text() {
        let h = Histogram::default();
        for ms in [1, 2, 3, 40, 700] {
            h.observe(Duration::from_millis(ms));
        }
        assert_eq!(h.quantile_bound(0.5), Some(0.005));
        assert_eq!(h.quantile_bound(0.99), Some(1.0));
        let m = Metrics::default();
        m.input("syslog-tcp");
        let text = m.render(&Gauges::default());
        assert!(
            text.contains("vigil_input_records_total{input=\"syslog-tcp\"} 0"),
            "{text}"
        );
        assert!(text.contains("vigil_dropped_events_total 0"));
    }

    #[test]
    fn unknown_logsource_counts_per_input_with_bounded_and_escaped_labels() {
        let m = Metrics::default();
        m.add_unknown_logsource(&[("otlp".into(), 3), ("a\"b\n".into(), 1)]);
        m.add_unknown_logsource(&[("otlp".into(), 2)]);
        let names: Vec<(Arc<str>, u64)> = (0..MAX_INPUT_LABELS).map(|i| (format!("in{i}").into(), 1)).collect();
        m.add_unknown_logsource(&names);
        let text = m.render(&Gauges::default());
        assert!(
            text.contains("vigil_events_unknown_logsource_total{input=\"otlp\"} 5"),
            "{text}"
        );
        assert!(text.contains("{input=\"a\\\"b\\n\"} 1"), "{text}");
        assert!(text.contains("{input=\"other\"} 2"), "two names past the bound: {text}");
        let series = text
            .lines()
            .filter(|l| l.starts_with("vigil_events_unknown_logsource_total{"))
            .count();
        assert_eq!(series, MAX_INPUT_LABELS + 1);
    }
}
