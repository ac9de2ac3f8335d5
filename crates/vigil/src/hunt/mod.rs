//! `vigil hunt`: Sigma rules over log files, on all cores.

pub(crate) mod input;
mod output;
mod stored;

use std::{
    collections::HashSet,
    io::{IsTerminal, Write},
    process::ExitCode,
    sync::Arc,
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
    arg_values::{parse_logsource, parse_time},
    cli::{FormatArg, HuntArgs, LevelArg, OutputFormat, StatusArg},
    progress,
    term_safe::{Esc, errln},
};

pub use output::Finding;

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

pub(crate) fn format_of(arg: FormatArg) -> Option<Format> {
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
    let (correlator, corr_problems) = Correlator::build(&set);
    problems.extend(corr_problems);
    let mut all = set.problems.clone();
    all.extend(problems);
    if !quiet {
        for p in &all {
            errln!("warning: rule not loaded: {}", Esc(&p.to_string()));
        }
        let r = &set.report;
        errln!(
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

/// What one unit of work produced.
#[derive(Default)]
struct WorkResult {
    findings: Vec<Finding>,
    /// Events with hits and the time they are correlated at, kept for the correlation pass (only
    /// when correlation rules are loaded).
    kept: Vec<(Event, Vec<Hit>, Option<Timestamp>)>,
    errors: Vec<ParseError>,
    events: u64,
    undated: u64,
    out_of_range: u64,
}

/// Everything a worker needs, shared read-only across threads.
struct Ctx<'a> {
    detector: &'a Detector,
    suppressed: &'a HashSet<usize>,
    files: &'a [input::InputFile],
    read_options: &'a input::ReadOptions,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    keep_events: bool,
    /// Logsource given to events whose own logsource is unknown (`--logsource`).
    default_logsource: Option<vigil_event::LogSourceTags>,
}

/// Turns one event's hits into findings (minus correlation-only rules) and keeps the event for
/// the correlation pass when needed, to be correlated at time `at` (none: not correlated). Shared
/// by file hunts and `--stored` hunts.
fn record_hits(event: Event, hits: Vec<Hit>, at: Option<Timestamp>, ctx: &Ctx<'_>, r: &mut WorkResult) {
    if hits.is_empty() {
        return;
    }
    for hit in hits.iter().filter(|h| !ctx.suppressed.contains(&h.rule)) {
        r.findings
            .push(Finding::detection(&ctx.detector.rules()[hit.rule], hit, &event));
    }
    if ctx.keep_events {
        r.kept.push((event, hits, at));
    }
}

/// Parses and detects one unit of work.
fn hunt_work(work: input::Work, ctx: &Ctx<'_>, bar: &indicatif::ProgressBar) -> WorkResult {
    let mut r = WorkResult::default();
    let timed = ctx.since.is_some() || ctx.until.is_some();
    let bytes = input::read_work(work, ctx.files, ctx.read_options, &mut |record| match record {
        Ok(mut event) => {
            r.events += 1;
            if let Some(tags) = &ctx.default_logsource {
                event.logsource.fill_from(tags);
            }
            if timed {
                match event.time {
                    None => {
                        r.undated += 1;
                        return;
                    }
                    Some(t) if ctx.since.is_some_and(|s| t < s) || ctx.until.is_some_and(|u| t >= u) => {
                        r.out_of_range += 1;
                        return;
                    }
                    Some(_) => {}
                }
            }
            let hits = ctx.detector.detect(&event);
            let at = event.time;
            record_hits(event, hits, at, ctx, &mut r);
        }
        Err(e) => r.errors.push(e),
    });
    bar.inc(bytes);
    r
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
    let default_logsource = args
        .logsource
        .as_deref()
        .map(parse_logsource)
        .transpose()
        .context("--logsource")?;
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
    let (files, skipped) = if args.stored {
        (Vec::new(), input::Skipped::default())
    } else {
        input::collect(&args.inputs, format_of(args.format))?
    };
    if !args.quiet {
        for (path, why) in &skipped.files {
            errln!("note: skipped {}: {}", Esc(&path.display().to_string()), Esc(why));
        }
    }
    let format = args
        .output
        .unwrap_or(if std::io::stdout().is_terminal() && args.out.is_none() {
            OutputFormat::Table
        } else {
            OutputFormat::Jsonl
        });
    let out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut writer = output::Writer::new(out, format)?;
    let mut errors_out: Option<Box<dyn Write>> = match &args.errors {
        Some(p) => Some(Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        ))),
        None => None,
    };
    let mut summary = output::Summary::default();
    let mut samples: Vec<ParseError> = Vec::new();
    let mut kept: Vec<(Event, Vec<Hit>, Option<Timestamp>)> = Vec::new();
    let suppressed: HashSet<usize> = (0..detector.rules().len())
        .filter(|&i| correlator.as_ref().is_some_and(|c| c.is_correlation_only(i)))
        .collect();
    let read_options = input::ReadOptions {
        field_maps: Arc::new(field_maps),
    };
    let ctx = Ctx {
        detector: &detector,
        suppressed: &suppressed,
        files: &files,
        read_options: &read_options,
        since,
        until,
        keep_events: correlator.is_some(),
        default_logsource,
    };
    let bar = progress::bytes_bar(files.iter().map(|f| f.size).sum(), args.quiet);

    // Units of work are cut in input order, run a window at a time on all cores, and written
    // in input order: output is deterministic and memory is bounded by the window.
    let window = rayon::current_num_threads() * 4;
    let mut work = input::WorkIter::new(&files);
    loop {
        let batch: Vec<input::Work> = work.by_ref().take(window).collect();
        if batch.is_empty() {
            break;
        }
        let results: Vec<WorkResult> = batch.into_par_iter().map(|w| hunt_work(w, &ctx, &bar)).collect();
        for r in results {
            summary.events += r.events;
            summary.undated += r.undated;
            summary.out_of_range += r.out_of_range;
            for e in r.errors {
                summary.parse_errors += 1;
                if let Some(out) = errors_out.as_mut() {
                    writeln!(out, "{}", error_json(&e)).context("writing the errors file")?;
                }
                if samples.len() < 20 {
                    samples.push(e);
                }
            }
            for f in r.findings {
                summary.add(&f);
                writer.write(f)?;
            }
            kept.extend(r.kept);
        }
    }
    if args.stored {
        let mut absorb = |r: WorkResult, summary: &mut output::Summary| -> anyhow::Result<()> {
            summary.events += r.events;
            for f in r.findings {
                summary.add(&f);
                writer.write(f)?;
            }
            kept.extend(r.kept);
            Ok(())
        };
        let mut failed: Option<anyhow::Error> = None;
        let scanned = stored::scan(&args.data_dir, args.tenant.as_deref(), since, until, &mut |batch| {
            let r = stored::hunt_batch(batch, &ctx);
            if let Err(e) = absorb(r, &mut summary) {
                failed = Some(e);
                return false;
            }
            true
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        tracing::info!(scanned, "retro-hunt scanned stored events");
    }
    bar.finish_and_clear();
    if let Some(out) = errors_out.as_mut() {
        out.flush().context("writing the errors file")?;
    }
    if let Some(correlator) = correlator.as_mut() {
        kept.sort_by_key(|(e, _, at)| (*at, e.source.path.clone(), e.source.offset));
        for (event, hits, at) in &kept {
            let Some(t) = at else { continue };
            for c in correlator.feed(event, hits, t.as_second()) {
                let f = Finding::correlation(&detector.rules()[c.rule], &c, event);
                summary.add(&f);
                writer.write(f)?;
            }
        }
    }
    writer.finish()?;

    summary.files = files.len() as u64;
    if !args.quiet {
        for e in &samples {
            errln!("parse error: {}", Esc(&e.to_string()));
        }
        if summary.parse_errors > samples.len() as u64 {
            errln!(
                "… {} more parse errors{}",
                summary.parse_errors - samples.len() as u64,
                if args.errors.is_some() {
                    " (all in the --errors file)"
                } else {
                    " (write them all with --errors FILE)"
                }
            );
        }
        if args.summary || std::io::stderr().is_terminal() {
            summary.print(started.elapsed(), detector.rules());
        } else {
            errln!(
                "hunted {} events in {} files in {:.1}s: {} detections, {} parse errors",
                summary.events,
                summary.files,
                started.elapsed().as_secs_f64(),
                summary.findings,
                summary.parse_errors
            );
        }
    }
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
