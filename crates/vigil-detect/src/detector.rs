//! Compiled rules, routed by logsource.
//!
//! Rules are grouped by their (product, service, category) logsource and each group compiles into
//! its own rsigma [`Engine`]. An event is evaluated only by the groups its [`LogSourceTags`] admit,
//! so a Sysmon process-creation event never runs the 1,000 rules written for other logsources.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError, RwLock},
};

use rayon::prelude::*;
use rsigma_eval::{CompiledRule, Engine, EvaluationResult, Pipeline, apply_pipelines, compile_rule};
use rsigma_parser::FilterRule;
use vigil_event::{Event, LogSourceTags};

use crate::rules::{Problem, RuleInfo, RuleSet};

/// The custom attribute carrying a rule's index into [`Detector::rules`] through rsigma.
const RULE_INDEX_ATTR: &str = "vigil.rule_index";

/// How to build a [`Detector`].
#[derive(Debug, Clone, Default)]
pub struct DetectorOptions {
    /// rsigma / pySigma processing pipelines applied to every rule before compiling (rule-side field
    /// mapping, conditions, logsource changes). Event-side mapping is `vigil_parse::normalize`.
    pub pipelines: Vec<Pipeline>,
}

/// One rule that matched one event.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index into [`Detector::rules`].
    pub rule: usize,
    /// rsigma's result (matched selections and fields).
    pub result: EvaluationResult,
}

type RouteKey = (Option<String>, Option<String>, Option<String>);

/// The rules of one logsource. Rules are compiled when the detector is built (so every error is
/// reported up front); the engine with its candidate index — rsigma builds an Aho-Corasick DFA,
/// the costliest part of loading — is built when the first event reaches the route. A hunt over
/// Windows logs never pays for the Linux, cloud or network rules.
struct Route {
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
    rules: usize,
    pending: Mutex<Option<Vec<CompiledRule>>>,
    filters: Arc<[FilterRule]>,
    engine: OnceLock<Engine>,
}

impl Route {
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| {
            let rules = self
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .unwrap_or_default();
            let mut engine = new_engine();
            engine.extend_compiled_rules(rules);
            for filter in self.filters.iter() {
                // Validated when the detector was built; an error here cannot happen.
                let _ = engine.apply_filter(filter);
            }
            engine
        })
    }
}

/// Per-route rule counts, for `--stats` and the architecture docs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RouteStats {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
    pub rules: usize,
}

/// Detection rules compiled and routed by logsource. `Sync`: evaluate from many threads at once.
pub struct Detector {
    rules: Arc<[RuleInfo]>,
    routes: Vec<Route>,
    /// Admitted routes per event logsource (see [`Detector::routes_for`]).
    route_cache: RwLock<HashMap<LogSourceTags, Arc<[usize]>, foldhash::fast::RandomState>>,
}

/// Distinct event logsources remembered by the route cache.
const ROUTE_CACHE_LIMIT: usize = 4096;

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.rules.len())
            .field("routes", &self.routes.len())
            .finish()
    }
}

/// An rsigma engine as Vigil uses it. The bloom pre-filter is off (rsigma's default), so its
/// index gets no memory budget: rsigma builds it on every rebuild even when unused.
fn new_engine() -> Engine {
    let mut engine = Engine::new();
    engine.set_bloom_max_bytes(0);
    engine
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

impl Detector {
    /// Compiles every detection rule of `set`. Rules that fail to compile are returned as problems
    /// (with their file) and left out; the rest work.
    pub fn build(set: &RuleSet, options: &DetectorOptions) -> (Detector, Vec<Problem>) {
        let infos: Arc<[RuleInfo]> = set.infos().into();
        // Compile every rule on all cores. `compile_rule` is what `Engine::add_rules` does minus
        // keeping each rule's HIR for `save_hir` (never used here): a third of the time, and
        // 150 MB less for the SigmaHQ set.
        let compiled: Vec<Result<(RouteKey, CompiledRule), Problem>> = set
            .rules
            .par_iter()
            .enumerate()
            .map(|(index, loaded)| {
                let problem = |message: String| Problem {
                    path: loaded.path.to_path_buf(),
                    line: None,
                    rule: Some(loaded.rule.id.clone().unwrap_or_else(|| loaded.rule.title.clone())),
                    message,
                };
                let mut rule = loaded.rule.clone();
                if !options.pipelines.is_empty() {
                    apply_pipelines(&options.pipelines, &mut rule).map_err(|e| problem(format!("pipeline: {e}")))?;
                }
                rule.custom_attributes
                    .insert(RULE_INDEX_ATTR.into(), yaml_serde::Value::Number((index as u64).into()));
                let key = (
                    lower(&rule.logsource.product),
                    lower(&rule.logsource.service),
                    lower(&rule.logsource.category),
                );
                let compiled = compile_rule(&rule).map_err(|e| problem(format!("cannot compile: {e}")))?;
                Ok((key, compiled))
            })
            .collect();
        let mut problems = Vec::new();
        let mut groups: Vec<(RouteKey, Vec<CompiledRule>)> = Vec::new();
        for item in compiled {
            match item {
                Ok((key, rule)) => match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, rules)) => rules.push(rule),
                    None => groups.push((key, vec![rule])),
                },
                Err(p) => problems.push(p),
            }
        }
        // Check every filter now (against an empty engine) so a bad one is reported at load.
        let filters: Arc<[FilterRule]> = set.filters.clone().into();
        for filter in filters.iter() {
            if let Err(e) = new_engine().apply_filter(filter) {
                problems.push(Problem {
                    path: Default::default(),
                    line: None,
                    rule: Some(filter.title.clone()),
                    message: format!("filter cannot apply: {e}"),
                });
            }
        }
        let routes: Vec<Route> = groups
            .into_iter()
            .map(|((product, service, category), rules)| Route {
                product,
                service,
                category,
                rules: rules.len(),
                pending: Mutex::new(Some(rules)),
                filters: filters.clone(),
                engine: OnceLock::new(),
            })
            .collect();
        (
            Detector {
                rules: infos,
                routes,
                route_cache: RwLock::default(),
            },
            problems,
        )
    }

    /// Metadata of every rule (detection rules first, then correlation rules), by index.
    pub fn rules(&self) -> &Arc<[RuleInfo]> {
        &self.rules
    }

    /// Number of detection rules compiled into engines.
    pub fn compiled_rules(&self) -> usize {
        self.routes.iter().map(|r| r.rules).sum()
    }

    pub fn route_stats(&self) -> Vec<RouteStats> {
        self.routes
            .iter()
            .map(|r| RouteStats {
                product: r.product.clone(),
                service: r.service.clone(),
                category: r.category.clone(),
                rules: r.rules,
            })
            .collect()
    }

    /// How many compiled rules an event with these tags is evaluated against.
    pub fn eligible_rules(&self, tags: &LogSourceTags) -> usize {
        let mut n = 0;
        self.for_each_route(tags, &mut |r| n += r.rules);
        n
    }

    fn for_each_route<'a>(&'a self, tags: &LogSourceTags, f: &mut dyn FnMut(&'a Route)) {
        for &i in self.routes_for(tags).iter() {
            f(&self.routes[i]);
        }
    }

    /// The routes a logsource admits, memoized: events come from a handful of distinct
    /// logsources, so the scan over every route runs once per logsource, not once per event.
    fn routes_for(&self, tags: &LogSourceTags) -> Arc<[usize]> {
        if let Some(hit) = self
            .route_cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tags)
        {
            return hit.clone();
        }
        let admitted: Arc<[usize]> = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| tags.admits(r.product.as_deref(), r.service.as_deref(), r.category.as_deref()))
            .map(|(i, _)| i)
            .collect();
        let mut cache = self.route_cache.write().unwrap_or_else(PoisonError::into_inner);
        // Bounded: JSON with free-form logsource hints cannot grow it without limit.
        if cache.len() < ROUTE_CACHE_LIMIT {
            cache.insert(tags.clone(), admitted.clone());
        }
        admitted
    }

    /// Evaluates one event against the rules its logsource admits.
    pub fn detect(&self, event: &Event) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.for_each_route(&event.logsource, &mut |route| {
            for result in route.engine().evaluate(event) {
                let rule = result
                    .header
                    .custom_attributes
                    .get(RULE_INDEX_ATTR)
                    .and_then(serde_json::Value::as_u64)
                    .map(|i| i as usize);
                if let Some(rule) = rule.filter(|&i| i < self.rules.len()) {
                    hits.push(Hit { rule, result });
                }
            }
        });
        hits
    }
}
