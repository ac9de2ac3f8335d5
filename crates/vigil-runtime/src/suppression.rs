//! Suppression rules in the pipeline: which detection matches raise no alert.
//!
//! [`Suppressions`] holds the active suppressions of every tenant, grouped by tenant and rule id
//! (`*` apart), and within those by the field and value of one of their conditions, so that a
//! match costs a few hash lookups whatever the number of suppressions: for each field the
//! suppressions of its rule key on, the event's value is looked up once. Conditions are exact
//! text comparisons on [`crate::grouping::field_value`] (`host`, `user`, `src_ip` are its
//! pseudo-fields).
//!
//! [`SuppressionHolder`] keeps the current set for the pipeline and the API: the pipeline reloads
//! it from the state every [`REFRESH`], the API right after it changes a suppression. Expiry is
//! checked at the time of the match, not only at reload.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use jiff::Timestamp;
use vigil_api_types::suppressions::{ANY_RULE, Suppression};
use vigil_event::Event;
use vigil_state::{State, StateError};

use crate::grouping::field_value;

/// How often the pipeline reloads the suppressions from the state (changes made through the API
/// apply at once; this catches those made by another process).
pub const REFRESH: Duration = Duration::from_secs(5);

/// One suppression, ready to test.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    /// The conditions but the one it is keyed on: (field, value).
    rest: Vec<(String, String)>,
    expires: Option<Timestamp>,
}

impl Entry {
    fn holds(&self, event: &Event, at: Timestamp) -> bool {
        self.expires.is_none_or(|e| e > at)
            && self
                .rest
                .iter()
                .all(|(field, value)| field_value(event, field).as_deref() == Some(value.as_str()))
    }
}

/// The suppressions of one rule (or of `*`) in one tenant.
#[derive(Debug, Default)]
struct RuleSet {
    /// Those without conditions: every match of the rule.
    unconditional: Vec<Entry>,
    /// Keyed on their first condition (by field name): field → value → suppressions.
    keyed: Vec<(String, HashMap<String, Vec<Entry>>)>,
}

impl RuleSet {
    fn add(&mut self, s: &Suppression) {
        let mut conditions: Vec<(String, String)> = s
            .conditions
            .iter()
            .map(|c| (c.field.clone(), c.value.clone()))
            .collect();
        conditions.sort();
        if conditions.is_empty() {
            self.unconditional.push(Entry {
                id: s.id.clone(),
                rest: Vec::new(),
                expires: s.expires,
            });
            return;
        }
        let (field, value) = conditions.remove(0);
        let entry = Entry {
            id: s.id.clone(),
            rest: conditions,
            expires: s.expires,
        };
        let index = match self.keyed.iter().position(|(f, _)| *f == field) {
            Some(i) => i,
            None => {
                self.keyed.push((field, HashMap::new()));
                self.keyed.len() - 1
            }
        };
        self.keyed[index].1.entry(value).or_default().push(entry);
    }

    fn find(&self, event: &Event, at: Timestamp) -> Option<&str> {
        if let Some(e) = self.unconditional.iter().find(|e| e.holds(event, at)) {
            return Some(&e.id);
        }
        for (field, by_value) in &self.keyed {
            let Some(value) = field_value(event, field) else {
                continue;
            };
            if let Some(e) = by_value
                .get(&value)
                .and_then(|list| list.iter().find(|e| e.holds(event, at)))
            {
                return Some(&e.id);
            }
        }
        None
    }
}

/// The suppressions of one tenant.
#[derive(Debug, Default)]
struct TenantSet {
    by_rule: HashMap<String, RuleSet>,
    any_rule: RuleSet,
}

/// The active suppressions of every tenant, ready to match.
#[derive(Debug, Default)]
pub struct Suppressions {
    tenants: HashMap<String, TenantSet>,
    len: usize,
}

impl Suppressions {
    /// A matcher over `list`; disabled ones are left out (expired ones stay out by their expiry).
    pub fn new(list: &[Suppression]) -> Suppressions {
        let mut out = Suppressions::default();
        for s in list.iter().filter(|s| !s.disabled) {
            let tenant = out.tenants.entry(s.tenant.clone()).or_default();
            let set = if s.rule_id == ANY_RULE {
                &mut tenant.any_rule
            } else {
                tenant.by_rule.entry(s.rule_id.clone()).or_default()
            };
            set.add(s);
            out.len += 1;
        }
        out
    }

    /// How many suppressions it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The id of a suppression of `tenant` that covers a match of rule `rule_id` on `event` at
    /// time `at` (not expired then), if any: then the match raises no alert.
    pub fn suppresses(&self, tenant: &str, rule_id: &str, event: &Event, at: Timestamp) -> Option<&str> {
        let t = self.tenants.get(tenant)?;
        t.by_rule
            .get(rule_id)
            .and_then(|set| set.find(event, at))
            .or_else(|| t.any_rule.find(event, at))
    }
}

/// The current [`Suppressions`], swapped whole on reload; shared by the pipeline and the API.
#[derive(Debug, Default)]
pub struct SuppressionHolder {
    current: RwLock<Current>,
    /// Reloads started; a reload stores its set only if none started after it stored first.
    started: AtomicU64,
}

#[derive(Debug)]
struct Current {
    set: Arc<Suppressions>,
    generation: u64,
    loaded: Option<Instant>,
}

impl Default for Current {
    fn default() -> Current {
        Current {
            set: Arc::new(Suppressions::default()),
            generation: 0,
            loaded: None,
        }
    }
}

impl SuppressionHolder {
    /// A holder with no suppressions, never loaded.
    pub fn new() -> SuppressionHolder {
        SuppressionHolder::default()
    }

    /// The set to match with (a batch keeps the one it started with).
    pub fn current(&self) -> Arc<Suppressions> {
        self.read().set.clone()
    }

    /// Whether the set was last loaded longer than `every` ago (or never).
    pub fn is_stale(&self, every: Duration) -> bool {
        self.read().loaded.is_none_or(|at| at.elapsed() >= every)
    }

    /// Reads the active suppressions from `state` and makes them current; their number. Of two
    /// reloads running at once, the one started last wins, so a change followed by a reload is
    /// never undone by an older read finishing after it.
    pub async fn reload(&self, state: &State) -> Result<usize, StateError> {
        let generation = self.started.fetch_add(1, Relaxed) + 1;
        let list = state.active_suppressions(Timestamp::now()).await?;
        let set = Suppressions::new(&list);
        let n = set.len();
        self.install(set, generation);
        Ok(n)
    }

    /// Makes `set` current (for tests and benches).
    pub fn replace(&self, set: Suppressions) {
        let generation = self.started.fetch_add(1, Relaxed) + 1;
        self.install(set, generation);
    }

    fn install(&self, set: Suppressions, generation: u64) {
        let mut current = self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if generation > current.generation {
            *current = Current {
                set: Arc::new(set),
                generation,
                loaded: Some(Instant::now()),
            };
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Current> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_api_types::suppressions::Condition;
    use vigil_event::{Fields, LogSourceTags, Raw, Source};

    fn event(fields: serde_json::Value) -> Event {
        Event::new(
            Source::default(),
            None,
            LogSourceTags::default(),
            Fields::from_json_object(fields),
            Raw::None,
        )
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("instant")
    }

    fn sup(id: &str, tenant: &str, rule: &str, conditions: &[(&str, &str)]) -> Suppression {
        Suppression {
            id: id.into(),
            tenant: tenant.into(),
            rule_id: rule.into(),
            conditions: conditions
                .iter()
                .map(|(f, v)| Condition {
                    field: (*f).into(),
                    value: (*v).into(),
                })
                .collect(),
            reason: "test".into(),
            author: "user:ann".into(),
            created: at(0),
            expires: None,
            disabled: false,
            active: true,
            updated: None,
            updated_by: None,
            alert_id: None,
            hits: 0,
            last_hit: None,
        }
    }

    #[test]
    fn every_condition_must_hold_and_pseudo_fields_mean_what_grouping_means() {
        let set = Suppressions::new(&[sup("s1", "t", "r1", &[("host", "web01"), ("user", "bob")])]);
        let bob = event(serde_json::json!({"Computer": "web01", "TargetUserName": "bob"}));
        let ann = event(serde_json::json!({"Computer": "web01", "TargetUserName": "ann"}));
        let elsewhere = event(serde_json::json!({"Computer": "web02", "TargetUserName": "bob"}));
        assert_eq!(set.suppresses("t", "r1", &bob, at(1)), Some("s1"));
        assert_eq!(set.suppresses("t", "r1", &ann, at(1)), None);
        assert_eq!(set.suppresses("t", "r1", &elsewhere, at(1)), None);
        assert_eq!(set.suppresses("t", "r2", &bob, at(1)), None, "another rule");
        assert_eq!(set.suppresses("u", "r1", &bob, at(1)), None, "another tenant");
    }

    #[test]
    fn any_rule_plain_fields_and_a_whole_rule() {
        let set = Suppressions::new(&[
            sup("any", "t", "*", &[("src_ip", "10.0.0.9")]),
            sup("cmd", "t", "r2", &[("process.command_line", "backup.exe --all")]),
            sup("whole", "t", "r3", &[]),
        ]);
        let scan = event(serde_json::json!({"id.orig_h": "10.0.0.9"}));
        assert_eq!(set.suppresses("t", "r9", &scan, at(1)), Some("any"));
        let backup = event(serde_json::json!({"process": {"command_line": "backup.exe --all"}}));
        assert_eq!(set.suppresses("t", "r2", &backup, at(1)), Some("cmd"));
        assert_eq!(set.suppresses("t", "r1", &backup, at(1)), None);
        let numbers = event(serde_json::json!({"EventID": 4625}));
        assert_eq!(set.suppresses("t", "r3", &numbers, at(1)), Some("whole"));
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn numbers_compare_as_their_text_and_case_counts() {
        let set = Suppressions::new(&[
            sup("n", "t", "r1", &[("EventID", "4625")]),
            sup("c", "t", "r2", &[("host", "WEB01")]),
        ]);
        assert_eq!(
            set.suppresses("t", "r1", &event(serde_json::json!({"EventID": 4625})), at(1)),
            Some("n")
        );
        assert_eq!(
            set.suppresses("t", "r2", &event(serde_json::json!({"host": "web01"})), at(1)),
            None
        );
    }

    #[test]
    fn expired_and_disabled_suppressions_do_not_suppress() {
        let mut expiring = sup("e", "t", "r1", &[("host", "a")]);
        expiring.expires = Some(at(10));
        let mut off = sup("d", "t", "r1", &[("host", "b")]);
        off.disabled = true;
        let set = Suppressions::new(&[expiring, off]);
        let a = event(serde_json::json!({"host": "a"}));
        assert_eq!(set.suppresses("t", "r1", &a, at(9)), Some("e"));
        assert_eq!(set.suppresses("t", "r1", &a, at(10)), None, "expired at its expiry");
        assert_eq!(
            set.suppresses("t", "r1", &event(serde_json::json!({"host": "b"})), at(1)),
            None
        );
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn the_last_reload_started_wins() {
        let holder = SuppressionHolder::new();
        assert!(holder.is_stale(REFRESH) && holder.current().is_empty());
        let older = holder.started.fetch_add(1, Relaxed) + 1;
        holder.replace(Suppressions::new(&[sup("new", "t", "r1", &[])]));
        holder.install(Suppressions::default(), older);
        assert_eq!(holder.current().len(), 1, "an older read finishing late is dropped");
        assert!(!holder.is_stale(REFRESH));
    }
}
