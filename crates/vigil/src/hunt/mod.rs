//! `vigil hunt`: Sigma rules over log files, on all cores.

mod input;
mod output;

use std::{
    collections::BTreeMap,
    io::{IsTerminal, Write},
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use anyhow::Context;
use jiff::Timestamp;
use rayon::prelude::*;
use serde_json::Value;
use vigil_detect::{Correlator, Detector, DetectorOptions, Hit, Problem, RuleFilter, RuleSet};
use vigil_event::Event;
use vigil_parse::{Format, ParseError, normalize::FieldMap};

use crate::{
    cli::{FormatArg, HuntArgs, LevelArg, OutputFormat, StatusArg},
    progress,
    timespec::parse_time,
};

pub use output::Finding;

/// What hunting one file produced: its findings, and (when correlation rules are loaded) the
/// events that had hits, for the time-ordered correlation pass.
struct FileResult {
    findings: Vec<Finding>,
    kept: Vec<(Event, Vec<Hit>)>,
}

/// Counts for the closing summary.
#[derive(Debug, Default)]
pub struct Stats {
    pub files: u64,
    pub events: AtomicU64,
    pub parse_errors: AtomicU64,
    pub out_of_range: AtomicU64,
    pub undated: AtomicU64,
}

fn level_of(arg: LevelArg) -> vigil_detect::Level {
    use vigil_detect::Level;
    match arg {
        LevelArg::Informational => Level::Informational,
        LevelArg::Low => Level::Low,
        LevelArg::Medium => Level::Medium,
        LevelArg::High => Level::High,
        LevelArg::Critical => Level::Critical,
    }
}

fn status_of(arg: StatusArg) -> vigil_detect::Status {
    use vigil_detect::Status;
    match arg {
        StatusArg::Stable => Status::Stable,
        StatusArg::Test => Status::Test,
        StatusArg::Experimental => Status::Experimental,
        StatusArg::Deprecated => Status::Deprecated,
        StatusArg::Unsupported => Status::Unsupported,
    }
}

fn format_of(arg: FormatArg) -> Option<Format> {
    match arg {
        FormatArg::Auto => None,
        FormatArg::Evtx => Some(Format::Evtx),
        FormatArg::Ndjson => Some(Format::Ndjson),
        FormatArg::Syslog => Some(Format::Syslog),
        FormatArg::Cef => Some(Format::Cef),
        FormatArg::Eve => Some(Format::SuricataEve),
        FormatArg::Zeek => Some(Format::Zeek),
        FormatArg::Auditd => Some(Format::Auditd),
    }
}

/// Loads rules and reports every problem on stderr. Shared with `vigil rules test`.
pub fn load_rules(
    paths: &[std::path::PathBuf],
    filter: &RuleFilter,
    pipelines: &[std::path::PathBuf],
    quiet: bool,
) -> anyhow::Result<(RuleSet, Detector, Option<Correlator>, Vec<Problem>)> {
    let t = Instant::now();
    let set = RuleSet::load(paths, filter)?;
    tracing::info!(
        elapsed_ms = t.elapsed().as_millis() as u64,
        rules = set.rules.len(),
        rss_mib = rss_mib(),
        "rules parsed"
    );
    let t = Instant::now();
    let mut options = DetectorOptions::default();
    for p in pipelines {
        let pipeline = rsigma_pipeline(p)?;
        options.pipelines.push(pipeline);
    }
    let (detector, mut problems) = Detector::build(&set, &options);
    tracing::info!(
        elapsed_ms = t.elapsed().as_millis() as u64,
        routes = detector.route_stats().len(),
        rss_mib = rss_mib(),
        "rules compiled"
    );
    let (correlator, corr_problems) = Correlator::build(&set)?;
    problems.extend(corr_problems);
    let mut all = set.problems.clone();
    all.extend(problems);
    if !quiet {
        for p in &all {
            eprintln!("warning: rule not loaded: {p}");
        }
        let r = &set.report;
        eprintln!(
            "rules: {} files, {} detection + {} correlation rules loaded ({} compiled), {} deselected by level/status, {} problems",
            r.files,
            r.detection_rules,
            r.correlation_rules,
            detector.compiled_rules(),
            r.deselected,
            all.len()
        );
    }
    Ok((set, detector, correlator, all))
}

/// Resident memory of this process in MiB (Linux), for `-v` diagnostics.
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map(|pages| pages * 4096 / (1 << 20))
        .unwrap_or(0)
}

fn rsigma_pipeline(path: &std::path::Path) -> anyhow::Result<vigil_detect::Pipeline> {
    vigil_detect::parse_pipeline_file(path).map_err(|e| anyhow::anyhow!("pipeline {}: {e}", path.display()))
}

pub fn run(args: HuntArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("starting worker threads")?;
    }
    let now = Timestamp::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time(s, now))
        .transpose()
        .context("--since")?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_time(s, now))
        .transpose()
        .context("--until")?;
    let mut field_maps = Vec::new();
    let mut map_errors = Vec::new();
    for p in &args.field_maps {
        match FieldMap::load(p) {
            Ok(m) => field_maps.push(m),
            Err(e) => map_errors.push(e.to_string()),
        }
    }
    if !map_errors.is_empty() {
        anyhow::bail!("invalid field maps:\n  {}", map_errors.join("\n  "));
    }
    let filter = RuleFilter {
        min_level: args.min_level.map(level_of),
        statuses: (!args.status.is_empty()).then(|| args.status.iter().copied().map(status_of).collect()),
        everything: false,
    };
    let (set, detector, mut correlator, problems) = load_rules(&args.rules, &filter, &args.pipelines, args.quiet)?;
    if detector.compiled_rules() == 0 && set.correlations.is_empty() {
        anyhow::bail!(
            "no rules to hunt with: {} loaded, {} deselected by --min-level/--status, {} could not be loaded",
            set.report.detection_rules,
            set.report.deselected,
            problems.len()
        );
    }
    let (files, skipped) = input::collect(&args.inputs, format_of(args.format))?;
    if !args.quiet {
        for (path, why) in &skipped.files {
            eprintln!("note: skipped {}: {why}", path.display());
        }
    }
    let total_bytes: u64 = files.iter().map(|f| f.size).sum();
    let bar = progress::bytes_bar(total_bytes, args.quiet);
    let stats = Stats {
        files: files.len() as u64,
        ..Stats::default()
    };
    let errors_out: Mutex<Box<dyn Write + Send>> = Mutex::new(match &args.errors {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::sink()),
    });
    let error_samples: Mutex<Vec<ParseError>> = Mutex::new(Vec::new());
    let read_options = input::ReadOptions {
        field_maps: Arc::new(field_maps),
    };
    let want_events = correlator.is_some();

    // Parse + detect, one file per task. Correlation needs the hit events in time order: keep them.
    let per_file: Vec<FileResult> = files
        .par_iter()
        .map(|file| {
            let mut findings = Vec::new();
            let mut kept = Vec::new();
            let mut sink = |record: Result<Event, ParseError>| match record {
                Ok(event) => {
                    stats.events.fetch_add(1, Ordering::Relaxed);
                    match (event.time, since.is_some() || until.is_some()) {
                        (None, true) => {
                            stats.undated.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        (Some(t), true) if since.is_some_and(|s| t < s) || until.is_some_and(|u| t >= u) => {
                            stats.out_of_range.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        _ => {}
                    }
                    let hits = detector.detect(&event);
                    if hits.is_empty() {
                        return;
                    }
                    for hit in &hits {
                        if correlator.as_ref().is_some_and(|c| c.is_correlation_only(hit.rule)) {
                            continue;
                        }
                        findings.push(Finding::detection(&detector.rules()[hit.rule], hit, &event));
                    }
                    if want_events {
                        kept.push((event, hits));
                    }
                }
                Err(err) => {
                    stats.parse_errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut out) = errors_out.lock() {
                        let _ = writeln!(out, "{}", error_json(&err));
                    }
                    if let Ok(mut samples) = error_samples.lock()
                        && samples.len() < 20
                    {
                        samples.push(err);
                    }
                }
            };
            let result = input::read_file(file, &read_options, &mut sink, &|n| bar.inc(n));
            if let Err(e) = result {
                stats.parse_errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut samples) = error_samples.lock() {
                    samples.push(ParseError {
                        input: file.format.name().into(),
                        path: Some(file.path.to_string_lossy().into()),
                        offset: 0,
                        kind: vigil_parse::ErrorKind::Io(format!("{e:#}")),
                    });
                }
            }
            FileResult { findings, kept }
        })
        .collect();
    bar.finish_and_clear();
    if let Ok(mut out) = errors_out.lock() {
        out.flush().context("writing the errors file")?;
    }

    let mut findings: Vec<Finding> = Vec::new();
    let mut kept: Vec<(Event, Vec<Hit>)> = Vec::new();
    for r in per_file {
        findings.extend(r.findings);
        kept.extend(r.kept);
    }
    if let Some(correlator) = correlator.as_mut() {
        kept.sort_by_key(|(e, _)| (e.time, e.source.path.clone(), e.source.offset));
        for (event, hits) in &kept {
            let Some(t) = event.time else { continue };
            for c in correlator.feed(event, hits, t.as_second()) {
                findings.push(Finding::correlation(&detector.rules()[c.rule], &c, event));
            }
        }
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));

    let format = args
        .output
        .unwrap_or(if std::io::stdout().is_terminal() && args.out.is_none() {
            OutputFormat::Table
        } else {
            OutputFormat::Jsonl
        });
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    output::write(&mut out, format, &findings)?;
    out.flush().context("writing detections")?;

    let show_summary = !args.quiet && (args.summary || std::io::stderr().is_terminal());
    let samples = error_samples.into_inner().unwrap_or_default();
    if !args.quiet {
        let errors = stats.parse_errors.load(Ordering::Relaxed);
        for e in &samples {
            eprintln!("parse error: {e}");
        }
        if errors > samples.len() as u64 {
            eprintln!(
                "… {} more parse errors{}",
                errors - samples.len() as u64,
                if args.errors.is_some() {
                    " (all in the --errors file)"
                } else {
                    " (write them all with --errors FILE)"
                }
            );
        }
    }
    if show_summary {
        output::summary(&findings, &stats, started.elapsed(), detector.rules());
    } else if !args.quiet {
        eprintln!(
            "hunted {} events in {} files in {:.1}s: {} detections, {} parse errors",
            stats.events.load(Ordering::Relaxed),
            stats.files,
            started.elapsed().as_secs_f64(),
            findings.len(),
            stats.parse_errors.load(Ordering::Relaxed)
        );
    }
    drop(problems);
    Ok(ExitCode::SUCCESS)
}

fn error_json(e: &ParseError) -> Value {
    serde_json::json!({
        "input": &*e.input,
        "source": e.path.as_deref(),
        "offset": e.offset,
        "code": e.kind.code(),
        "reason": e.kind.to_string(),
    })
}

/// Counts per key, sorted by count descending then key.
pub fn top<'a>(items: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}
