//! `vigil report`: the SOC report of `GET /api/v1/reports` — KPIs with trends, SLA compliance,
//! incidents by classification and severity, top rules, sources, backlog, validation — written
//! as HTML, PDF, JSON or CSV.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use jiff::Timestamp;

use crate::{
    cli_report::{ReportArgs, ReportFormat, shortcut},
    client::encode,
    remote_cmd::runtime,
    term_safe::{Esc, errln, outln},
};

/// The query string's period: a shortcut gives both ends; otherwise the server reads the forms.
fn period(args: &ReportArgs, now: Timestamp) -> anyhow::Result<(String, Option<String>)> {
    match shortcut(&args.from, now) {
        Some((from, to)) => {
            if args.to.is_some() {
                bail!("--from {} sets the end of the period too: leave out --to", args.from);
            }
            Ok((from.to_string(), Some(to.to_string())))
        }
        None => Ok((args.from.clone(), args.to.clone())),
    }
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let format = match (args.format, args.out.as_deref().and_then(ReportFormat::from_path)) {
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) => ReportFormat::Json,
    };
    if format == ReportFormat::Pdf && args.out.is_none() {
        bail!("a PDF report needs a file: -o FILE");
    }
    let (from, to) = period(&args, Timestamp::now())?;
    let mut path = format!("/api/v1/reports?format={}&from={}", format.as_str(), encode(&from));
    if let Some(to) = &to {
        path.push_str(&format!("&to={}", encode(to)));
    }
    if let Some(t) = &args.tenant {
        path.push_str(&format!("&tenant={}", encode(t)));
    }
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get_raw(&path).await
    })?;
    let media = match format {
        ReportFormat::Html => "text/html",
        ReportFormat::Pdf => "application/pdf",
        ReportFormat::Json => "application/json",
        ReportFormat::Csv => "text/csv",
    };
    answer.expect_media(media, "reports")?;
    let Some(file) = &args.out else {
        outln!("{}", String::from_utf8_lossy(&answer.body).trim_end_matches('\n'))?;
        return Ok(ExitCode::SUCCESS);
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut out = options
        .open(file)
        .with_context(|| format!("creating {} (--force replaces it)", file.display()))?;
    out.write_all(&answer.body)
        .and_then(|()| out.sync_all())
        .with_context(|| format!("writing {}", file.display()))?;
    errln!(
        "wrote the {} report to {} ({} bytes)",
        format.as_str(),
        Esc(&file.display().to_string()),
        answer.body.len()
    );
    Ok(ExitCode::SUCCESS)
}
