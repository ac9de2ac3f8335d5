//! `vigil handover`: the shift handover of `GET /api/v1/handover` — SLA breaches and
//! near-breaches, incidents still open, opened and changed in the period, alerts still `new` — as
//! text to read aloud, HTML to pass on, or JSON.

use std::process::ExitCode;

use anyhow::Context;

use crate::{
    cli_measure::{HandoverArgs, HandoverFormat},
    client::encode,
    remote_cmd::runtime,
    term_safe::{self, Esc, errln, outln},
};

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
    if let Some(window) = &args.near_breach {
        path.push_str(&format!("&near_breach={}", encode(window)));
    }
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get_raw(&path).await
    })?;
    answer.expect_media(media, "the shift handover")?;
    match &args.out {
        Some(file) => {
            crate::remote_cmd::write_new_file(file, &answer.body)?;
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
