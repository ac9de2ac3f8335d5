//! Scheduled SOC reports (`[reports]`, issue 17 "Measure"): every `check_interval`, each schedule
//! whose previous period (day, ISO week or calendar month, UTC) has not been written yet gets its
//! report built (`vigil_api::reports::build`), written to its folder in each format, recorded
//! (`report_runs`) and announced to its channels through the notification outbox — the record and
//! the notifications in one transaction, so a restart neither skips nor repeats a report. A server
//! that was down over a boundary writes the period it missed when it comes back (only the latest
//! one: reports of older periods can be made with `vigil report`).
//!
//! Files are written first (to a temporary name, then renamed), then the run is recorded: a crash
//! in between rewrites the same files at the next check.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{Timestamp, ToSpan, Zoned, civil::Weekday, tz::TimeZone};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_notify::Notification;
use vigil_report::{Format, Report};
use vigil_state::State;
use vigil_state::notifications::NewNotification;
use vigil_state::reports::ReportRun;

use crate::oncall::Outgoing;

/// How often a schedule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Daily,
    Weekly,
    Monthly,
}

impl Every {
    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Daily => "daily",
            Every::Weekly => "weekly",
            Every::Monthly => "monthly",
        }
    }

    /// The last whole period before `now` (UTC): yesterday, last ISO week (Monday to Monday),
    /// last calendar month.
    pub fn previous_period(self, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
        let today: Zoned = now.to_zoned(TimeZone::UTC).start_of_day().ok()?;
        let end = match self {
            Every::Daily => today,
            Every::Weekly if today.weekday() == Weekday::Monday => today,
            Every::Weekly => today.nth_weekday(-1, Weekday::Monday).ok()?,
            Every::Monthly => today.first_of_month().ok()?,
        };
        let start = match self {
            Every::Daily => end.checked_sub(1.day()).ok()?,
            Every::Weekly => end.checked_sub(1.week()).ok()?,
            Every::Monthly => end.checked_sub(1.month()).ok()?,
        };
        Some((start.timestamp(), end.timestamp()))
    }
}

/// One `[[reports.schedule]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSchedule {
    /// The key its runs are recorded under.
    pub name: String,
    pub every: Every,
    pub formats: Vec<Format>,
    pub dir: PathBuf,
    pub tenant: String,
    /// Channel names of `[respond.channels]`.
    pub notify: Vec<String>,
}

/// `[reports]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportsConfig {
    pub check_interval: Duration,
    pub schedules: Vec<ReportSchedule>,
}

impl Default for ReportsConfig {
    fn default() -> ReportsConfig {
        ReportsConfig {
            check_interval: Duration::from_secs(60),
            schedules: Vec::new(),
        }
    }
}

/// Why a scheduled report was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportTaskError {
    #[error("state: {0}")]
    State(#[from] vigil_state::StateError),
    #[error("building the report: {0}")]
    Build(String),
    #[error("rendering the report: {0}")]
    Render(#[from] vigil_report::ReportError),
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ReportTaskError> {
    let err = |path: &Path| {
        let path = path.to_owned();
        move |source| ReportTaskError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    std::fs::write(&tmp, bytes).map_err(err(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(err(&path))
}

/// The notifications announcing `run` of `s` (one per channel).
fn announce(s: &ReportSchedule, run: &ReportRun, report: &Report) -> Vec<NewNotification> {
    let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    let headline: Vec<String> = report
        .sections
        .iter()
        .find(|x| x.id == "summary")
        .map(|x| {
            x.rows
                .iter()
                .filter(|r| r.group.is_empty())
                .take(8)
                .map(|r| format!("{}: {}", r.metric, vigil_report::value_text(r)))
                .collect()
        })
        .unwrap_or_default();
    let id_base: String = format!("report.{}.{}", s.name, run.from.as_second())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.notify
        .iter()
        .map(|channel| {
            let safe: String = channel
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
                .collect();
            let id = format!("{id_base}.{safe}");
            let n = Notification {
                id: id.clone(),
                tenant: run.tenant.clone(),
                kind: "report".into(),
                subject: format!(
                    "Vigil {} report {} → {} ({})",
                    s.every.as_str(),
                    day(run.from),
                    day(run.to),
                    run.tenant
                ),
                text: format!(
                    "The {} report of tenant {} for {} → {} is written to {}:\n{}\n\n{}",
                    s.every.as_str(),
                    run.tenant,
                    day(run.from),
                    day(run.to),
                    s.dir.display(),
                    run.files.join("\n"),
                    headline.join("\n")
                ),
                incident_id: None,
                severity: None,
                priority: None,
                link: None,
                at: run.at,
            };
            let payload = Outgoing {
                notification: n,
                to: Vec::new(),
            };
            NewNotification {
                id,
                channel: channel.clone(),
                kind: "report".into(),
                payload: serde_json::to_string(&payload).unwrap_or_default(),
            }
        })
        .collect()
}

/// Writes the reports due at `now`: for each schedule, its previous period unless recorded.
/// `build` makes a schedule's report of a period. The runs written, in schedule order.
pub async fn run_due<B, F>(
    state: &State,
    schedules: &[ReportSchedule],
    now: Timestamp,
    build: B,
) -> Result<Vec<ReportRun>, ReportTaskError>
where
    B: Fn(&ReportSchedule, Timestamp, Timestamp) -> F,
    F: Future<Output = Result<Report, String>>,
{
    let mut written = Vec::new();
    for s in schedules {
        let Some((from, to)) = s.every.previous_period(now) else {
            continue;
        };
        if state.report_run_done(&s.name, from).await? {
            continue;
        }
        let report = build(s, from, to).await.map_err(ReportTaskError::Build)?;
        let mut files = Vec::new();
        for &format in &s.formats {
            let name = vigil_report::file_name(&report, format);
            let bytes = vigil_report::render(&report, format)?;
            let dir = s.dir.clone();
            let file = name.clone();
            tokio::task::spawn_blocking(move || write_file(&dir, &file, &bytes))
                .await
                .map_err(|e| ReportTaskError::Build(format!("writer task: {e}")))??;
            files.push(name);
        }
        let run = ReportRun {
            schedule: s.name.clone(),
            tenant: s.tenant.clone(),
            from,
            to,
            files,
            at: now,
        };
        if state.record_report_run(&run, &announce(s, &run, &report)).await? {
            tracing::info!(schedule = %s.name, from = %from, to = %to, files = ?run.files, "scheduled report written");
            written.push(run);
        }
    }
    Ok(written)
}

/// The scheduled-report task of a server with `ctx` (nothing to do without schedules).
pub fn spawn(ctx: vigil_api::Ctx, config: ReportsConfig, stop: CancellationToken) -> Option<JoinHandle<()>> {
    if config.schedules.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let every = config.check_interval.max(Duration::from_millis(100));
        loop {
            let now = Timestamp::now();
            let build = |s: &ReportSchedule, from, to| {
                let ctx = ctx.clone();
                let tenant = s.tenant.clone();
                async move {
                    vigil_api::reports::build(&ctx, &tenant, from, to, now)
                        .await
                        .map_err(|e| e.message)
                }
            };
            if let Err(e) = run_due(&ctx.state, &config.schedules, now, build).await {
                tracing::error!(error = %e, "scheduled report");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }))
}

#[cfg(test)]
mod tests;
