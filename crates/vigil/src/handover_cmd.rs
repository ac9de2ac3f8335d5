//! `vigil handover`: the shift handover of `GET /api/v1/handover` — SLA breaches and
//! near-breaches, incidents still open, opened and changed in the period, alerts still `new` — as
//! text to read aloud, HTML to pass on, or JSON.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::{
    cli::ServerArgs,
    client::encode,
    remote_cmd::runtime,
    term_safe::{self, Esc, errln, outln},
};

/// `--format` of `vigil handover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HandoverFormat {
    /// Sections with counts, most urgent first: what the shift lead reads aloud.
    Text,
    /// One self-contained HTML page (no script, no external request).
    Html,
    /// The handover as the API answers it.
    Json,
}

/// `vigil handover`.
#[derive(Debug, Args)]
pub struct HandoverArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Start of the shift: an age (`8h`, `12h`), a date, an RFC 3339 instant.
    #[arg(long, value_name = "WHEN")]
    pub since: String,
    /// End of the shift (exclusive), same forms; now unless given.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// What to print or write.
    #[arg(long, value_enum, default_value_t = HandoverFormat::Text)]
    pub format: HandoverFormat,
    /// Write to this file, as the server sent it, instead of stdout (it must not exist yet). On
    /// stdout, control and invisible characters are shown escaped.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: HandoverArgs) -> anyhow::Result<ExitCode> {
    let (format, media) = match args.format {
        HandoverFormat::Text => ("text", "text/plain"),
        HandoverFormat::Html => ("html", "text/html"),
        HandoverFormat::Json => ("json", "application/json"),
    };
    let mut path = format!("/api/v1/handover?since={}&format={format}", encode(&args.since));
    if let Some(until) = &args.until {
        path.push_str(&format!("&until={}", encode(until)));
    }
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get_raw(&path).await
    })?;
    let content_type = answer.content_type.as_deref().unwrap_or("");
    if !content_type.starts_with(media) {
        bail!(
            "the server answered with {} instead of {media}: is it a version with the shift handover?",
            if content_type.is_empty() {
                "no Content-Type"
            } else {
                content_type
            }
        );
    }
    match &args.out {
        Some(file) => {
            let mut out = std::fs::File::create_new(file).with_context(|| format!("creating {}", file.display()))?;
            out.write_all(&answer.body)
                .and_then(|()| out.sync_all())
                .with_context(|| format!("writing {}", file.display()))?;
            errln!(
                "wrote the {format} handover to {} ({} bytes)",
                Esc(&file.display().to_string()),
                answer.body.len()
            );
        }
        None => match args.format {
            HandoverFormat::Json => {
                let value: serde_json::Value =
                    serde_json::from_slice(&answer.body).context("the server's JSON handover does not parse")?;
                outln!("{}", term_safe::json::to_string_pretty(&value)?)?;
            }
            // Text and HTML keep their line breaks and tabs; every other control or invisible
            // character is shown escaped.
            HandoverFormat::Text | HandoverFormat::Html => {
                outln!("{}", String::from_utf8_lossy(&answer.body).trim_end_matches('\n'))?
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
