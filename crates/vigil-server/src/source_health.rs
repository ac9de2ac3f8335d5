//! Log-source health, the server's side: two tasks.
//!
//! 1. **flush** (every `[sources] flush_interval`, and at shutdown): the pipeline's per-source
//!    counters ([`SourceTracker`]) go to the state database; counts a failed write could not store
//!    are put back for the next flush. A crash loses at most one interval of counts.
//! 2. **check** (every `[sources] check_interval`, [`check_sources`] at a given time so tests
//!    drive the clock): each source gets its baseline — it "normally reports" once it sent events
//!    in `min_active_hours` hourly buckets of the last 7 days — and its threshold: a
//!    `[[sources.threshold]]` pattern's, else `silent_after`, raised to the longest gap between its
//!    active hours plus an hour when `derive_from_gaps` and it has empty hours between them. A source that normally reports and sent
//!    nothing for longer than its threshold is silent: one alert through the normal alert path
//!    (rule `vigil:source-silent`, level high, the source in its fields; its id is a hash of the
//!    source and its last event, so a retry or a restart never raises it twice) and a silence
//!    recorded. Its next events end the silence (the flush does that).

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_runtime::logsource::glob_match;
use vigil_runtime::sources::SourceTracker;
use vigil_state::sources::{BASELINE_WINDOW, SourceKey, SourceState};
use vigil_state::{AlertKind, NewAlert, State, StateError};

/// The rule id of "silent source" alerts.
pub const SILENT_RULE_ID: &str = "vigil:source-silent";

/// `[[sources.threshold]]`: a threshold for the sources its patterns match (`*` wildcards; an
/// absent pattern matches anything, `""` a source without that part).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceThreshold {
    pub input: Option<String>,
    pub host: Option<String>,
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
    pub silent_after: Duration,
}

impl SourceThreshold {
    fn matches(&self, key: &SourceKey) -> bool {
        let one = |pattern: &Option<String>, value: Option<&str>| {
            pattern.as_deref().is_none_or(|p| glob_match(p, value.unwrap_or("")))
        };
        one(&self.input, Some(&key.input))
            && one(&self.host, key.host.as_deref())
            && one(&self.product, key.product.as_deref())
            && one(&self.service, key.service.as_deref())
            && one(&self.category, key.category.as_deref())
    }
}

/// `[sources]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcesConfig {
    /// A source that normally reports is silent after this long without an event.
    pub silent_after: Duration,
    /// Raise a source's threshold to its longest gap between active hours (plus an hour).
    pub derive_from_gaps: bool,
    /// Hourly buckets of the last 7 days with events before a source "normally reports".
    pub min_active_hours: u32,
    /// How often the health check runs.
    pub check_interval: Duration,
    /// How often the pipeline's counters are written.
    pub flush_interval: Duration,
    /// Sources tracked in memory at most.
    pub max_sources: usize,
    /// Per-pattern thresholds, the first match wins.
    pub thresholds: Vec<SourceThreshold>,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            silent_after: Duration::from_secs(3600),
            derive_from_gaps: true,
            min_active_hours: 6,
            check_interval: Duration::from_secs(60),
            flush_interval: Duration::from_secs(5),
            max_sources: vigil_runtime::sources::DEFAULT_MAX_SOURCES,
            thresholds: Vec::new(),
        }
    }
}

impl SourcesConfig {
    /// The threshold of a source with `key` and these active hours (oldest first), or `None`
    /// while it has too little history to normally report.
    pub fn threshold(&self, key: &SourceKey, active_hours: &[Timestamp]) -> Option<u64> {
        if active_hours.len() < self.min_active_hours.max(1) as usize {
            return None;
        }
        if let Some(t) = self.thresholds.iter().find(|t| t.matches(key)) {
            return Some(t.silent_after.as_secs().max(1));
        }
        let mut secs = self.silent_after.as_secs().max(1);
        if self.derive_from_gaps {
            let longest = active_hours
                .windows(2)
                .map(|w| w[1].duration_since(w[0]).as_secs())
                .max()
                .unwrap_or(0);
            // Consecutive active hours are 3600 s apart (no derived threshold then). A longer gap
            // g between two active hours may hide up to g + 1 h between two events (bucket
            // edges): that is the derived threshold.
            if longest > 3600 {
                secs = secs.max(u64::try_from(longest).unwrap_or(0).saturating_add(3600));
            }
        }
        Some(secs)
    }
}

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Sources whose threshold changed.
    pub thresholds_set: usize,
    /// Silences newly recorded (an alert each).
    pub silenced: Vec<String>,
}

/// The alert of a silence: its id hashes the source and the last event before it.
pub fn silence_alert(source: &SourceState, threshold: u64, now: Timestamp) -> NewAlert {
    let mut h = Sha256::new();
    h.update(source.id.as_bytes());
    h.update(source.last_event.as_nanosecond().to_be_bytes());
    let id = format!("silent-{}", hex::encode(&h.finalize()[..16]));
    let k = &source.key;
    let logsource = [k.product.as_deref(), k.service.as_deref(), k.category.as_deref()]
        .map(|p| p.unwrap_or("*"))
        .join("/");
    NewAlert {
        id,
        tenant: k.tenant.clone(),
        rule_id: SILENT_RULE_ID.into(),
        rule_title: format!(
            "Log source silent: {} on {} ({logsource})",
            k.host.as_deref().unwrap_or("?"),
            k.input
        ),
        level: "high".into(),
        kind: AlertKind::Detection,
        attack: Vec::new(),
        tags: vec!["vigil.source_health".into()],
        event_ids: Vec::new(),
        group_key: None,
        event_time: Some(source.last_event),
        detected: now,
        input: Some(k.input.clone()),
        host: k.host.clone(),
        matched: json!({
            "source_id": source.id,
            "input": k.input,
            "host": k.host,
            "product": k.product,
            "service": k.service,
            "category": k.category,
            "last_event": source.last_event,
            "threshold_seconds": threshold,
        }),
        grouping: None,
    }
}

/// One health check at `now`: thresholds brought up to date, new silences recorded with their
/// alert. Running it again at the same time changes nothing.
pub async fn check_sources(state: &State, config: &SourcesConfig, now: Timestamp) -> Result<CheckOutcome, StateError> {
    let since = now.checked_sub(BASELINE_WINDOW).unwrap_or(now);
    let sources = state.sources_for_health(since).await?;
    let mut out = CheckOutcome::default();
    let mut changed = Vec::new();
    for s in &sources {
        let threshold = config.threshold(&s.key, &s.active_hours);
        if threshold != s.threshold_secs {
            changed.push((s.id.clone(), threshold));
        }
    }
    out.thresholds_set = changed.len();
    state
        .set_source_thresholds(
            &changed,
            since.checked_sub(SignedDuration::from_hours(24)).unwrap_or(since),
        )
        .await?;
    for s in sources.iter().filter(|s| s.silent_since.is_none()) {
        let Some(threshold) = config.threshold(&s.key, &s.active_hours) else {
            continue;
        };
        let quiet = now.duration_since(s.last_event);
        if quiet <= SignedDuration::from_secs(i64::try_from(threshold).unwrap_or(i64::MAX)) {
            continue;
        }
        // The alert first (idempotent by id), then the silence: a crash between them repeats
        // the alert's insert harmlessly.
        let alert = silence_alert(s, threshold, now);
        state.insert_alerts(std::slice::from_ref(&alert)).await?;
        if state.record_silence(&s.id, s.last_event, now, &alert.id).await? {
            tracing::warn!(source = %s.id, tenant = %s.key.tenant, input = %s.key.input,
                host = s.key.host.as_deref().unwrap_or(""), "log source silent");
            out.silenced.push(s.id.clone());
        }
    }
    Ok(out)
}

/// Writes what the tracker counted; on failure puts it back.
pub async fn flush(state: &State, tracker: &SourceTracker, now: Timestamp) {
    let activity = tracker.take(now);
    if activity.is_empty() {
        return;
    }
    if let Err(e) = state.record_source_activity(&activity).await {
        tracing::warn!(error = %e, "writing log-source counts failed; kept for the next flush");
        tracker.restore(activity);
    }
}

/// Starts the flush and check tasks; the flush writes once more at shutdown.
pub fn spawn(
    state: State,
    tracker: Arc<SourceTracker>,
    config: SourcesConfig,
    stop: CancellationToken,
) -> Vec<JoinHandle<()>> {
    let flush_every = config.flush_interval.max(Duration::from_millis(50));
    let (flush_state, flush_stop) = (state.clone(), stop.clone());
    let flusher = tokio::spawn(async move {
        loop {
            let stopping = tokio::select! {
                () = flush_stop.cancelled() => true,
                () = tokio::time::sleep(flush_every) => false,
            };
            flush(&flush_state, &tracker, Timestamp::now()).await;
            if stopping {
                return;
            }
        }
    });
    let check_every = config.check_interval.max(Duration::from_millis(100));
    let checker = tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(check_every) => {}
            }
            if let Err(e) = check_sources(&state, &config, Timestamp::now()).await {
                tracing::error!(error = %e, "log-source health check");
            }
        }
    });
    vec![flusher, checker]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(input: &str, host: Option<&str>) -> SourceKey {
        SourceKey {
            tenant: "default".into(),
            input: input.into(),
            host: host.map(Into::into),
            product: Some("windows".into()),
            service: None,
            category: None,
        }
    }

    fn hours(list: &[i64]) -> Vec<Timestamp> {
        list.iter()
            .map(|h| Timestamp::from_second(1_780_000_000 / 3600 * 3600 + h * 3600).unwrap())
            .collect()
    }

    #[test]
    fn thresholds_from_history_gaps_and_patterns() {
        let mut c = SourcesConfig {
            min_active_hours: 3,
            ..SourcesConfig::default()
        };
        let k = key("syslog-tcp", Some("dc1"));
        assert_eq!(c.threshold(&k, &hours(&[0, 1])), None, "too little history");
        assert_eq!(
            c.threshold(&k, &hours(&[0, 1, 2])),
            Some(3600),
            "every hour: the default"
        );
        // Every 4 hours: threshold 4 h + 1 h.
        assert_eq!(c.threshold(&k, &hours(&[0, 4, 8])), Some(5 * 3600));
        c.derive_from_gaps = false;
        assert_eq!(c.threshold(&k, &hours(&[0, 4, 8])), Some(3600));
        c.thresholds = vec![SourceThreshold {
            host: Some("dc*".into()),
            silent_after: Duration::from_secs(600),
            ..SourceThreshold::default()
        }];
        assert_eq!(c.threshold(&k, &hours(&[0, 4, 8])), Some(600));
        assert_eq!(c.threshold(&key("api", None), &hours(&[0, 4, 8])), Some(3600));
    }
}
