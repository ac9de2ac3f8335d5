//! Correlation state per tenant: one tenant's events never count toward another tenant's
//! correlations (a brute-force count, a sequence of steps), so each tenant has its own
//! correlator, made on its first event that hits a rule.

use std::{collections::BTreeMap, sync::Arc};

use serde::{Deserialize, Serialize};
use vigil_detect::{CorrelationHit, CorrelationSnapshot, Correlator, Hit};
use vigil_event::Event;

use crate::engine::Rules;

/// The correlators of every tenant seen, for one rule set.
#[derive(Debug, Default)]
pub(crate) struct TenantCorrelators {
    /// The rule set that makes fresh correlators (`None`: it has no correlation rules).
    rules: Option<Arc<Rules>>,
    by_tenant: BTreeMap<Arc<str>, Correlator>,
}

/// The correlation state as saved in the state database.
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedCorrelation {
    /// The last spool record the state includes.
    pub seq: u64,
    /// The default tenant's state, as saved before tenants existed (read, no longer written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snapshot: Option<CorrelationSnapshot>,
    /// Each tenant's state.
    #[serde(default)]
    tenants: BTreeMap<String, CorrelationSnapshot>,
}

impl TenantCorrelators {
    /// No state yet, for `rules`.
    pub fn new(rules: &Arc<Rules>) -> Self {
        TenantCorrelators {
            rules: rules.has_correlations().then(|| Arc::clone(rules)),
            by_tenant: BTreeMap::new(),
        }
    }

    /// Whether the rule set has correlation rules at all.
    pub fn enabled(&self) -> bool {
        self.rules.is_some()
    }

    /// Feeds one event of `tenant` with its hits, at its time (seconds since the epoch).
    pub fn feed(&mut self, tenant: &Arc<str>, event: &Event, hits: &[Hit], secs: i64) -> Vec<CorrelationHit> {
        let Some(rules) = &self.rules else {
            return Vec::new();
        };
        if !self.by_tenant.contains_key(tenant) {
            let Some(fresh) = rules.fresh_correlator() else {
                return Vec::new();
            };
            self.by_tenant.insert(Arc::clone(tenant), fresh);
        }
        self.by_tenant
            .get_mut(tenant)
            .map(|c| c.feed(event, hits, secs))
            .unwrap_or_default()
    }

    /// The correlators of a reloaded rule set, carrying each tenant's state over (keyed by rule id).
    pub fn reloaded(self, rules: &Arc<Rules>) -> Self {
        let mut next = TenantCorrelators::new(rules);
        if let Some(new_rules) = &next.rules {
            for (tenant, old) in self.by_tenant {
                if let Some(mut fresh) = new_rules.fresh_correlator() {
                    fresh.import_state(old.export_state());
                    next.by_tenant.insert(tenant, fresh);
                }
            }
        }
        next
    }

    /// Everything to save, as covering the spool up to `seq`.
    pub fn export(&self, seq: u64) -> SavedCorrelation {
        SavedCorrelation {
            seq,
            snapshot: None,
            tenants: self
                .by_tenant
                .iter()
                .map(|(tenant, c)| (tenant.to_string(), c.export_state()))
                .collect(),
        }
    }

    /// Restores saved state; false when some of it does not fit these rules (that tenant starts
    /// afresh).
    pub fn import(&mut self, saved: SavedCorrelation) -> bool {
        let Some(rules) = self.rules.clone() else {
            return false;
        };
        let mut tenants = saved.tenants;
        if let Some(old) = saved.snapshot {
            tenants
                .entry(vigil_api_types::access::DEFAULT_TENANT.to_owned())
                .or_insert(old);
        }
        let mut fits = true;
        for (tenant, snapshot) in tenants {
            let Some(mut fresh) = rules.fresh_correlator() else {
                return false;
            };
            if fresh.import_state(snapshot) {
                self.by_tenant.insert(Arc::from(tenant), fresh);
            } else {
                fits = false;
            }
        }
        fits
    }
}
