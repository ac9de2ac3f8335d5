//! Log-source health, the pipeline's side: events counted per source in memory, flushed to the
//! state database every few seconds by the server ([`SourceTracker::take`] →
//! `State::record_source_activity`).
//!
//! A source is (tenant, input, host, product, service, category): the host is the event's own
//! (`HOST_FIELDS`, else its sender's address, as alerts have it), the logsource its tags (several
//! services or categories joined by `,`). Times are *arrival* times: a replay carries old event
//! times, and a source's health is about when it last delivered.
//!
//! Cost: the pipeline locks the tracker once per batch; a known source costs a hash of its parts,
//! a map lookup and a comparison — no allocation. A new source allocates its key, up to
//! `max_sources` tracked at once; events of sources past that are counted as untracked
//! (`vigil_source_events_untracked_total`). Sources idle for an hour are dropped from memory
//! (their rows stay). Counts not yet flushed are lost in a crash: at most one flush interval.
//! It never touches the acknowledgement path (inputs acknowledge at the spool append).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};
use vigil_api_types::sources::ExpectedSource;
use vigil_event::Event;
use vigil_state::sources::{ReportingLogsource, SourceActivity, SourceKey};

/// Sources tracked in memory at most, unless configured otherwise.
pub const DEFAULT_MAX_SOURCES: usize = 10_000;
/// A source with nothing to flush and no event for this long leaves memory.
const IDLE: SignedDuration = SignedDuration::from_hours(1);

/// The hashes are already spread: the map need not hash them again.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Debug)]
struct Entry {
    key: SourceKey,
    pending: u64,
    first: Timestamp,
    last: Timestamp,
    /// (hour start in seconds, events) since the last flush.
    hours: Vec<(i64, u64)>,
}

/// The sources counted since the last flush (lock with [`SourceTracker::batch`]).
#[derive(Debug, Default)]
pub struct Tracked {
    map: HashMap<u64, Entry, BuildHasherDefault<Passthrough>>,
    max: usize,
}

/// Per-source counters, shared by the pipeline (writer) and the server's flush task.
#[derive(Debug)]
pub struct SourceTracker {
    inner: Mutex<Tracked>,
}

impl Default for SourceTracker {
    fn default() -> Self {
        SourceTracker::new(DEFAULT_MAX_SOURCES)
    }
}

fn joined_eq(stored: Option<&str>, parts: &[Cow<'static, str>]) -> bool {
    match stored {
        None => parts.is_empty(),
        Some(s) => !parts.is_empty() && s.split(',').eq(parts.iter().map(AsRef::as_ref)),
    }
}

fn joined(parts: &[Cow<'static, str>]) -> Option<String> {
    (!parts.is_empty()).then(|| parts.join(","))
}

fn hash_of(tenant: &str, event: &Event) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut part = |s: &str| {
        h.update(s.as_bytes());
        h.update(&[0xff]);
    };
    part(tenant);
    part(&event.source.input);
    part(event.source.host.as_deref().unwrap_or(""));
    part(event.logsource.product.as_deref().unwrap_or(""));
    for s in &event.logsource.services {
        part(s);
    }
    part("\u{1}");
    for c in &event.logsource.categories {
        part(c);
    }
    h.digest()
}

impl Entry {
    fn is(&self, tenant: &str, event: &Event) -> bool {
        let k = &self.key;
        let tags = &event.logsource;
        k.tenant == tenant
            && *k.input == *event.source.input
            && k.host.as_deref() == event.source.host.as_deref()
            && k.product.as_deref() == tags.product.as_deref()
            && joined_eq(k.service.as_deref(), &tags.services)
            && joined_eq(k.category.as_deref(), &tags.categories)
    }

    fn add(&mut self, received: Timestamp) {
        if self.pending == 0 || received < self.first {
            self.first = received;
        }
        if self.pending == 0 || received > self.last {
            self.last = received;
        }
        self.pending += 1;
        let hour = received.as_second().div_euclid(3600) * 3600;
        match self.hours.iter_mut().rev().find(|(h, _)| *h == hour) {
            Some((_, n)) => *n += 1,
            None => self.hours.push((hour, 1)),
        }
    }
}

impl Tracked {
    /// Counts one event of `tenant` that arrived at `received`; false when it could not be
    /// tracked (the tracker is full).
    pub fn observe(&mut self, tenant: &str, event: &Event, received: Timestamp) -> bool {
        let h = hash_of(tenant, event);
        if let Some(e) = self.map.get_mut(&h) {
            if !e.is(tenant, event) {
                // Two sources with one 64-bit hash: the later one is not tracked.
                return false;
            }
            e.add(received);
            return true;
        }
        if self.map.len() >= self.max {
            return false;
        }
        let tags = &event.logsource;
        let key = SourceKey {
            tenant: tenant.to_owned(),
            input: event.source.input.to_string(),
            host: event.source.host.as_deref().map(str::to_owned),
            product: tags.product.as_deref().map(str::to_owned),
            service: joined(&tags.services),
            category: joined(&tags.categories),
        };
        let mut e = Entry {
            key,
            pending: 0,
            first: received,
            last: received,
            hours: Vec::with_capacity(2),
        };
        e.add(received);
        self.map.insert(h, e);
        true
    }
}

impl SourceTracker {
    /// A tracker holding at most `max_sources` sources (at least one).
    pub fn new(max_sources: usize) -> SourceTracker {
        SourceTracker {
            inner: Mutex::new(Tracked {
                map: HashMap::default(),
                max: max_sources.max(1),
            }),
        }
    }

    /// The counters, locked for one batch.
    pub fn batch(&self) -> MutexGuard<'_, Tracked> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sources in memory.
    pub fn len(&self) -> usize {
        self.batch().map.len()
    }

    /// True when no source is in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What was counted since the last call, per source with events; sources idle for an hour
    /// at `now` leave memory.
    pub fn take(&self, now: Timestamp) -> Vec<SourceActivity> {
        let mut t = self.batch();
        let idle_before = now.checked_sub(IDLE).unwrap_or(now);
        t.map.retain(|_, e| e.pending > 0 || e.last >= idle_before);
        let mut out = Vec::new();
        for e in t.map.values_mut().filter(|e| e.pending > 0) {
            out.push(SourceActivity {
                key: e.key.clone(),
                events: e.pending,
                first: e.first,
                last: e.last,
                hours: e
                    .hours
                    .drain(..)
                    .filter_map(|(h, n)| Some((Timestamp::from_second(h).ok()?, n)))
                    .collect(),
            });
            e.pending = 0;
        }
        out
    }

    /// Puts counts back that could not be flushed (they go out with the next flush).
    pub fn restore(&self, activity: Vec<SourceActivity>) {
        let mut t = self.batch();
        for a in activity {
            let Some(e) = t.map.values_mut().find(|e| e.key == a.key) else {
                continue;
            };
            e.first = if e.pending == 0 { a.first } else { e.first.min(a.first) };
            e.last = e.last.max(a.last);
            e.pending += a.events;
            for (hour, n) in a.hours {
                let hour = hour.as_second();
                match e.hours.iter_mut().find(|(h, _)| *h == hour) {
                    Some((_, m)) => *m += n,
                    None => e.hours.push((hour, n)),
                }
            }
        }
    }
}

/// A rule's logsource as the expected-sources check reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleLogsource<'a> {
    pub rule_id: &'a str,
    pub product: Option<&'a str>,
    pub service: Option<&'a str>,
    pub category: Option<&'a str>,
}

/// The logsources of the enabled detection rules of a running set (correlation rules and
/// `generate: false` rules left out).
pub fn enabled_rule_logsources(rules: &crate::engine::Rules) -> Vec<RuleLogsource<'_>> {
    rules
        .detector
        .rules()
        .iter()
        .enumerate()
        .filter(|(i, r)| r.kind == vigil_detect::RuleKind::Detection && !rules.suppressed.contains(i))
        .map(|(_, r)| RuleLogsource {
            rule_id: r.key(),
            product: r.product.as_deref(),
            service: r.service.as_deref(),
            category: r.category.as_deref(),
        })
        .collect()
}

/// The logsources `rules` read that none of `reporting` satisfies (a rule sees an event when
/// every dimension it names is the event's), each with the rules that need it; and how many
/// distinct logsources the rules read. Rules that name no logsource expect nothing in particular.
pub fn expected_absent(rules: &[RuleLogsource<'_>], reporting: &[ReportingLogsource]) -> (u64, Vec<ExpectedSource>) {
    type Triple<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut by_logsource: BTreeMap<Triple<'_>, Vec<String>> = BTreeMap::new();
    for r in rules {
        if r.product.is_none() && r.service.is_none() && r.category.is_none() {
            continue;
        }
        by_logsource
            .entry((r.product, r.service, r.category))
            .or_default()
            .push(r.rule_id.to_owned());
    }
    let dim = |want: Option<&str>, have: &Option<String>| want.is_none_or(|w| have.as_deref() == Some(w));
    let expected = by_logsource.len() as u64;
    let absent = by_logsource
        .into_iter()
        .filter(|((p, s, c), _)| {
            !reporting
                .iter()
                .any(|l| dim(*p, &l.product) && dim(*s, &l.service) && dim(*c, &l.category))
        })
        .map(|((p, s, c), mut rules)| {
            rules.sort();
            rules.dedup();
            ExpectedSource {
                product: p.map(str::to_owned),
                service: s.map(str::to_owned),
                category: c.map(str::to_owned),
                rules,
            }
        })
        .collect();
    (expected, absent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_event::{Fields, LogSourceTags, Raw, Source};

    fn event(host: &str, categories: &[&'static str]) -> Event {
        Event::new(
            Source {
                input: "syslog-tcp".into(),
                host: Some(host.into()),
                path: None,
                offset: 0,
            },
            None,
            LogSourceTags {
                product: Some("windows".into()),
                services: vec!["sysmon".into()],
                categories: categories.iter().map(|c| Cow::Borrowed(*c)).collect(),
            },
            Fields::new(),
            Raw::None,
        )
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_780_000_000 + secs).unwrap()
    }

    #[test]
    fn counts_per_source_with_arrival_bounds_and_hours() {
        let tracker = SourceTracker::new(2);
        {
            let mut t = tracker.batch();
            let e = event("dc1", &["registry_set", "registry_event"]);
            assert!(t.observe("default", &e, at(10)));
            assert!(t.observe("default", &e, at(5)));
            assert!(t.observe("default", &e, at(3700)));
            assert!(t.observe("acme", &e, at(3000)), "another tenant is another source");
            assert!(!t.observe("default", &event("dc2", &[]), at(20)), "full: untracked");
        }
        let mut got = tracker.take(at(4000));
        got.sort_by(|a, b| a.key.tenant.cmp(&b.key.tenant));
        assert_eq!(got.len(), 2);
        let d = &got[1];
        assert_eq!(d.key.category.as_deref(), Some("registry_set,registry_event"));
        assert_eq!((d.events, d.first, d.last), (3, at(5), at(3700)));
        assert_eq!(d.hours.iter().map(|(_, n)| n).sum::<u64>(), 3);
        assert!(tracker.take(at(4000)).is_empty(), "nothing new since");
        // Failed flushes come back with the next one.
        tracker.restore(got);
        assert_eq!(tracker.take(at(4000)).len(), 2);
        // Idle for an hour: out of memory, room for another.
        assert!(tracker.take(at(3700 + 3601)).is_empty());
        assert_eq!(tracker.len(), 0);
    }

    #[test]
    fn expected_logsources_absent_with_their_rules() {
        let rules = [
            RuleLogsource {
                rule_id: "r1",
                product: Some("windows"),
                service: None,
                category: Some("process_creation"),
            },
            RuleLogsource {
                rule_id: "r2",
                product: Some("linux"),
                service: Some("auditd"),
                category: None,
            },
            RuleLogsource {
                rule_id: "r3",
                product: Some("linux"),
                service: Some("auditd"),
                category: None,
            },
            RuleLogsource {
                rule_id: "r4",
                product: None,
                service: None,
                category: None,
            },
        ];
        let reporting = [ReportingLogsource {
            product: Some("windows".into()),
            service: Some("sysmon".into()),
            category: Some("process_creation".into()),
            last_event: at(0),
        }];
        let (expected, absent) = expected_absent(&rules, &reporting);
        assert_eq!(expected, 2);
        assert_eq!(absent.len(), 1);
        assert_eq!(
            (absent[0].product.as_deref(), absent[0].service.as_deref()),
            (Some("linux"), Some("auditd"))
        );
        assert_eq!(absent[0].rules, ["r2", "r3"]);
        assert_eq!(expected_absent(&rules, &[]).1.len(), 2);
    }
}
