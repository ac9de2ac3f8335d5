//! `vigil incidents attach|attachments|download`: an incident's evidence attachments on a
//! running server. A download is checked against the SHA-256 the server computed when the file
//! was stored, and written only when it matches; every text from the server is shown escaped.

use std::{io::Write as _, path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use bytes::Bytes;
use hyper::Method;
use vigil_api_types::attachments::{Attachment, AttachmentList, DEFAULT_MEDIA_TYPE, base_name};
use vigil_state::attachments::sha256_hex;

use crate::{
    cli_attach::{AttachArgs, AttachmentsArgs, DownloadArgs},
    client::encode,
    remote_cmd::{print_json, runtime, short},
    term_safe::{Esc, SafeTable, errln, outln},
};

/// The exit code of a download whose content does not have the SHA-256 it was stored with.
pub const MISMATCH: u8 = 1;

/// Files above this are refused before they are read (no server takes more).
const MAX_FILE_BYTES: u64 = 1 << 30;

fn attachments_path(id: &str) -> String {
    format!("/api/v1/incidents/{}/attachments", encode(id))
}

/// `POST …/attachments?name=…[&description=…]`.
fn upload_path(id: &str, name: &str, description: Option<&str>) -> String {
    let mut path = format!("{}?name={}", attachments_path(id), encode(name));
    if let Some(d) = description {
        path.push_str(&format!("&description={}", encode(d)));
    }
    path
}

/// The name a file is kept under: `--name`, else the file's own name.
fn name_of(args: &AttachArgs) -> anyhow::Result<String> {
    let name = match (&args.name, args.file.file_name()) {
        (Some(name), _) => name.clone(),
        (None, Some(name)) => name.to_string_lossy().into_owned(),
        (None, None) => bail!(
            "{}: not a file name; give --name",
            Esc(&args.file.display().to_string())
        ),
    };
    base_name(&name).map_err(|e| anyhow::anyhow!("{}", Esc(&e)))
}

pub fn attach(args: AttachArgs) -> anyhow::Result<ExitCode> {
    let shown = args.file.display().to_string();
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("reading {}", Esc(&shown)))?
        .len();
    if size > MAX_FILE_BYTES {
        bail!("{}: {size} bytes is more than any server takes (1 GiB)", Esc(&shown));
    }
    let content = std::fs::read(&args.file).with_context(|| format!("reading {}", Esc(&shown)))?;
    if content.is_empty() {
        bail!("{}: the file is empty; there is nothing to attach", Esc(&shown));
    }
    let name = name_of(&args)?;
    let path = upload_path(&args.id, &name, args.description.as_deref());
    let media = args.media_type.clone().unwrap_or_else(|| DEFAULT_MEDIA_TYPE.to_owned());
    let attachment: Attachment = runtime()?
        .block_on(async {
            let mut client = args.server.client()?;
            client
                .send(Method::POST, &path, Some((&media, Bytes::from(content))))
                .await?
                .parse()
        })
        .map_err(|e| upload_error(&e, &shown, &args.id, size))?;
    if args.json {
        return print_json(&attachment);
    }
    errln!(
        "attached {} to incident {} as {}: {} bytes, sha256 {}",
        Esc(&attachment.name),
        Esc(&attachment.incident_id),
        Esc(&attachment.id),
        attachment.size,
        Esc(&attachment.sha256)
    );
    outln!("{}", Esc(&attachment.id))?;
    Ok(ExitCode::SUCCESS)
}

/// Why an upload failed, as plain text. A server refuses a file above its limit as soon as
/// the declared length tells, and closes the connection while the file is still being sent: the
/// client then sees the connection cut, not the 413. That is said as such, and never taken for
/// a reader that went away (which `main` treats as a quiet success).
fn upload_error(e: &anyhow::Error, shown: &str, id: &str, size: u64) -> anyhow::Error {
    let cut = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            )
        }) || c.downcast_ref::<hyper::Error>().is_some()
    });
    let hint = if cut {
        format!(
            " (the server closed the connection while the file was sent: {size} bytes is probably more than its \
             [respond] attachment_max_bytes, 10 MiB unless configured)"
        )
    } else {
        String::new()
    };
    anyhow::anyhow!("attaching {} to incident {}: {e:#}{hint}", Esc(shown), Esc(id))
}

pub fn list(args: &AttachmentsArgs) -> anyhow::Result<ExitCode> {
    let path = attachments_path(&args.id);
    let list: AttachmentList = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&list);
    }
    let mut t = SafeTable::new(&[
        "id",
        "name",
        "size",
        "media type",
        "sha256",
        "added (UTC)",
        "by",
        "description",
    ]);
    for a in &list.attachments {
        t.add_row(vec![
            a.id.clone(),
            short(&a.name, 40),
            a.size.to_string(),
            short(&a.media_type, 32),
            a.sha256.clone(),
            a.created.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            short(&a.created_by, 24),
            short(&a.description, 40),
        ]);
    }
    if !list.attachments.is_empty() {
        outln!("{t}")?;
    }
    errln!("{} attachments", list.attachments.len());
    Ok(ExitCode::SUCCESS)
}

/// Where a download goes: `-o`, else the attachment's (base) name in the current directory.
fn out_path(args: &DownloadArgs, meta: &Attachment) -> anyhow::Result<PathBuf> {
    match &args.out {
        Some(out) => Ok(out.clone()),
        None => {
            Ok(PathBuf::from(base_name(&meta.name).map_err(|e| {
                anyhow::anyhow!("the server's name: {}; give -o", Esc(&e))
            })?))
        }
    }
}

pub fn download(args: &DownloadArgs) -> anyhow::Result<ExitCode> {
    let list_path = attachments_path(&args.id);
    let content_path = format!("{list_path}/{}", encode(&args.aid));
    let (meta, content) = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        let list: AttachmentList = client.get(&list_path).await?;
        let Some(meta) = list.attachments.into_iter().find(|a| a.id == args.aid) else {
            bail!(
                "incident {} has no attachment {} (vigil incidents attachments {} lists them)",
                Esc(&args.id),
                Esc(&args.aid),
                Esc(&args.id)
            );
        };
        let answer = client.get_raw(&content_path).await?;
        anyhow::Ok((meta, answer.body))
    })?;
    let got = sha256_hex(&content);
    if got != meta.sha256 || content.len() as u64 != meta.size {
        errln!(
            "error: the download of {} ({}) does not match what was stored: sha256 {} and {} bytes, \
             expected sha256 {} and {} bytes; nothing was written",
            Esc(&meta.id),
            Esc(&meta.name),
            got,
            content.len(),
            Esc(&meta.sha256),
            meta.size
        );
        return Ok(ExitCode::from(MISMATCH));
    }
    let out = out_path(args, &meta)?;
    let shown = out.display().to_string();
    let mut file = std::fs::File::create_new(&out).with_context(|| format!("creating {}", Esc(&shown)))?;
    file.write_all(&content)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", Esc(&shown)))?;
    errln!(
        "wrote {} ({} bytes, sha256 {} verified) to {}",
        Esc(&meta.name),
        meta.size,
        got,
        Esc(&shown)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::cli_respond::IncidentsCommand;

    fn parse(args: &[&str]) -> IncidentsCommand {
        let cli = Cli::try_parse_from(["vigil", "incidents"].iter().chain(args)).expect("parses");
        match cli.command {
            Command::Incidents { command } => command,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn attach_sends_the_base_name_and_the_description() {
        let IncidentsCommand::Attach(args) =
            parse(&["attach", "inc-1", "/tmp/x/beacon 1.pcap", "--description", "a&b"])
        else {
            panic!("attach")
        };
        let name = name_of(&args).expect("name");
        assert_eq!(name, "beacon 1.pcap");
        assert_eq!(
            upload_path(&args.id, &name, args.description.as_deref()),
            "/api/v1/incidents/inc-1/attachments?name=beacon%201.pcap&description=a%26b"
        );
        let IncidentsCommand::Attach(args) = parse(&["attach", "inc-1", "x", "--name", "a\u{202e}b"]) else {
            panic!("attach")
        };
        assert!(
            name_of(&args).is_err(),
            "a bidirectional override is refused before sending"
        );
    }

    #[test]
    fn download_writes_to_the_name_unless_told() {
        let IncidentsCommand::Download(args) = parse(&["download", "inc-1", "att-1"]) else {
            panic!("download")
        };
        let meta = Attachment {
            id: "att-1".into(),
            incident_id: "inc-1".into(),
            name: "beacon.pcap".into(),
            media_type: "application/octet-stream".into(),
            size: 1,
            sha256: String::new(),
            description: String::new(),
            created: jiff::Timestamp::UNIX_EPOCH,
            created_by: "user:ann".into(),
        };
        assert_eq!(out_path(&args, &meta).expect("path"), PathBuf::from("beacon.pcap"));
        let IncidentsCommand::Download(args) = parse(&["download", "inc-1", "att-1", "-o", "/tmp/e.bin"]) else {
            panic!("download")
        };
        assert_eq!(out_path(&args, &meta).expect("path"), PathBuf::from("/tmp/e.bin"));
    }
}
