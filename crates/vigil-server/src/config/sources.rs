//! `[sources]`: log-source health ([`crate::source_health`]). Absent: a source that sent events in
//! 6 hourly buckets of the last 7 days is silent after an hour without one (or its longest gap
//! between active hours plus an hour, when that is longer).
//!
//! ```toml
//! [sources]
//! silent_after = "1h"
//! derive_from_gaps = true
//! min_active_hours = 6
//! check_interval = "1m"
//! flush_interval = "5s"
//! max_sources = 10000
//!
//! [[sources.threshold]]      # the first that matches wins; `*` wildcards, absent = any
//! input = "syslog-*"
//! host = "dc*"
//! silent_after = "15m"
//! ```

use serde::Deserialize;

use super::reader::Reader;
use crate::source_health::{SourceThreshold, SourcesConfig};

const SECTION: &str = "sources";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    silent_after: Option<String>,
    derive_from_gaps: Option<bool>,
    min_active_hours: Option<u32>,
    check_interval: Option<String>,
    flush_interval: Option<String>,
    max_sources: Option<usize>,
    #[serde(default)]
    threshold: Vec<ThresholdFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdFile {
    input: Option<String>,
    host: Option<String>,
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
    silent_after: Option<String>,
}

/// Reads `[sources]`; every problem on its line.
pub(super) fn read(r: &mut Reader, table: &toml::Table) -> SourcesConfig {
    let file: SourcesFile = r.section(table, SECTION);
    let mut c = SourcesConfig::default();
    if let Some(d) = r.duration(SECTION, "silent_after", file.silent_after.as_deref()) {
        c.silent_after = d;
    }
    if let Some(d) = r.duration(SECTION, "check_interval", file.check_interval.as_deref()) {
        c.check_interval = d;
    }
    if let Some(d) = r.duration(SECTION, "flush_interval", file.flush_interval.as_deref()) {
        c.flush_interval = d;
    }
    if let Some(b) = file.derive_from_gaps {
        c.derive_from_gaps = b;
    }
    if let Some(n) = file.min_active_hours {
        c.min_active_hours = n;
    }
    match file.max_sources {
        Some(0) => r.problem(Some(SECTION), "max_sources", "must be greater than zero"),
        Some(n) => c.max_sources = n,
        None => {}
    }
    for t in file.threshold {
        let section = format!("{SECTION}.threshold");
        let Some(silent_after) = t.silent_after.as_deref() else {
            r.problem(
                Some(&section),
                "silent_after",
                "missing: each [[sources.threshold]] sets silent_after",
            );
            continue;
        };
        let Some(silent_after) = r.duration(&section, "silent_after", Some(silent_after)) else {
            continue;
        };
        c.thresholds.push(SourceThreshold {
            input: t.input,
            host: t.host,
            product: t.product,
            service: t.service,
            category: t.category,
            silent_after,
        });
    }
    c
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn the_documented_section_reads_and_mistakes_are_named() {
        let text = "version = 1\n[sources]\nsilent_after = \"2h\"\nderive_from_gaps = false\nmin_active_hours = 3\n\
            check_interval = \"30s\"\nflush_interval = \"1s\"\nmax_sources = 50\n\n[[sources.threshold]]\n\
            input = \"syslog-*\"\nhost = \"dc*\"\nsilent_after = \"15m\"\n";
        let c = super::super::parse(text).expect("parses").sources;
        assert_eq!(c.silent_after, Duration::from_secs(7200));
        assert!(!c.derive_from_gaps);
        assert_eq!((c.min_active_hours, c.max_sources), (3, 50));
        assert_eq!(
            (c.check_interval, c.flush_interval),
            (Duration::from_secs(30), Duration::from_secs(1))
        );
        assert_eq!(c.thresholds.len(), 1);
        assert_eq!(c.thresholds[0].host.as_deref(), Some("dc*"));
        assert_eq!(c.thresholds[0].silent_after, Duration::from_secs(900));

        let bad = "version = 1\n[sources]\nsilent_after = \"soon\"\nmax_sources = 0\nnoise = 1\n\n\
            [[sources.threshold]]\nhost = \"x\"\n";
        let problems = super::super::parse(bad).expect_err("refused");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "sources.silent_after",
                "sources.max_sources",
                "sources.noise",
                "sources.threshold.silent_after"
            ],
            "{problems:?}"
        );
        assert!(problems.iter().all(|p| p.line.is_some()), "{problems:?}");
    }
}
