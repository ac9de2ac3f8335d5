//! `vigil audit`: verify, export and checkpoint the audit trail in a data directory; and the audit
//! entries the CLI's own changes (`vigil token|apikey create|revoke`) append.

use std::{
    fs::File,
    io::{BufRead as _, BufReader, BufWriter, Write},
    path::Path,
    process::ExitCode,
};

use anyhow::Context;
use vigil_api_types::access::DEFAULT_TENANT;
use vigil_state::{AuditOutcome, AuditVerify, Checkpoint, NewAuditEntry, State, audit};

use crate::{
    cli::{AuditCommand, AuditVerifyArgs},
    serve_cmd::runtime,
    term_safe::{self, Esc, errln, outln},
};

/// Exit code of `vigil audit verify` when the chain is broken (as `vigil rules lint` finding errors);
/// errors that stop verification exit 2 (main).
const BROKEN: u8 = 1;

/// Entries per read when exporting.
const EXPORT_BATCH: u32 = 1000;

pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        match command {
            AuditCommand::Verify(args) => verify(args).await,
            AuditCommand::Export { data_dir, out } => export(&data_dir, out.as_deref()).await,
            AuditCommand::Checkpoints { data_dir, out } => checkpoints(&data_dir, out.as_deref()).await,
            AuditCommand::Sign {
                data_dir,
                key,
                public_key_out,
            } => sign(&data_dir, &key, public_key_out.as_deref()).await,
        }
    })
}

/// Opens the state of an existing data directory. Unlike `vigil token`, nothing is created: verifying a
/// mistyped path must not report an empty, intact trail.
async fn open_existing(data_dir: &Path) -> anyhow::Result<State> {
    if let Some(state) = crate::serve_cmd::connect_state_url().await? {
        return Ok(state);
    }
    let path = vigil_server::server::state_db_path(data_dir);
    if !path.is_file() {
        anyhow::bail!("no state database at {} (is --data-dir right?)", path.display());
    }
    State::open(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

async fn verify(args: AuditVerifyArgs) -> anyhow::Result<ExitCode> {
    let state = open_existing(&args.data_dir).await?;
    let key = args.public_key.as_deref().map(audit::read_public_key).transpose()?;
    let (checkpoints, from) = match &args.checkpoints {
        Some(file) => (read_checkpoints(file)?, file.display().to_string()),
        None => (
            state.audit_checkpoints().await?,
            if crate::serve_cmd::state_url().is_some() {
                "the state database".to_owned()
            } else {
                "the data directory".to_owned()
            },
        ),
    };
    let v = state.verify_audit(&checkpoints, key.as_ref()).await?;
    if args.json {
        outln!("{}", term_safe::json::to_string(&v)?)?;
    } else {
        print_verify(&v, checkpoints.len(), &from, key.as_ref().map(audit::key_id))?;
    }
    Ok(if v.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(BROKEN)
    })
}

fn print_verify(v: &AuditVerify, loaded: usize, from: &str, key_id: Option<String>) -> anyhow::Result<()> {
    let signatures = match key_id {
        Some(id) => format!("signatures checked with key {id}"),
        None => "signatures not checked: no --public-key".to_owned(),
    };
    outln!(
        "checked {} {} against {loaded} {} from {} ({signatures})",
        v.entries,
        plural(v.entries, "entry", "entries"),
        plural(loaded as u64, "checkpoint", "checkpoints"),
        Esc(from)
    )?;
    match &v.problem {
        None => outln!("chain intact: head hash {}", v.head_hash)?,
        Some(p) => outln!("chain broken at entry {}: {}", p.seq, Esc(&p.reason))?,
    }
    Ok(())
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Reads checkpoints exported as NDJSON (blank lines skipped).
fn read_checkpoints(path: &Path) -> anyhow::Result<Vec<Checkpoint>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let cp = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not a checkpoint", path.display(), i + 1))?;
        out.push(cp);
    }
    Ok(out)
}

/// Where NDJSON goes: a new file, or stdout.
fn ndjson_sink(out: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match out {
        Some(path) => Box::new(BufWriter::new(
            File::create_new(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    })
}

/// One NDJSON line, with terminal-unsafe characters escaped (the same JSON when parsed).
fn write_line<T: serde::Serialize>(sink: &mut dyn Write, value: &T) -> anyhow::Result<()> {
    term_safe::json::to_writer(&mut *sink, value)?;
    sink.write_all(b"\n")?;
    Ok(())
}

async fn export(data_dir: &Path, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let state = open_existing(data_dir).await?;
    let mut sink = ndjson_sink(out)?;
    let (mut after, mut n) = (0i64, 0u64);
    loop {
        let batch = state.audit_entries(after, EXPORT_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for entry in &batch {
            write_line(&mut *sink, entry)?;
        }
        n += batch.len() as u64;
    }
    sink.flush()?;
    errln!("exported {n} audit {}", plural(n, "entry", "entries"));
    Ok(ExitCode::SUCCESS)
}

async fn checkpoints(data_dir: &Path, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let state = open_existing(data_dir).await?;
    let mut sink = ndjson_sink(out)?;
    let all = state.audit_checkpoints().await?;
    for cp in &all {
        write_line(&mut *sink, cp)?;
    }
    sink.flush()?;
    errln!(
        "exported {} {}",
        all.len(),
        plural(all.len() as u64, "checkpoint", "checkpoints")
    );
    Ok(ExitCode::SUCCESS)
}

async fn sign(data_dir: &Path, key_path: &Path, public_key_out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let state = open_existing(data_dir).await?;
    let (key, created) = audit::load_or_create_signing_key(key_path)?;
    let public = key.verifying_key();
    if created {
        errln!(
            "created signing key {} (key id {})",
            Esc(&key_path.display().to_string()),
            audit::key_id(&public)
        );
    }
    if let Some(path) = public_key_out {
        audit::write_public_key(path, &public)?;
        errln!("wrote public key {}", Esc(&path.display().to_string()));
    }
    match state.checkpoint_audit(&key).await? {
        Some(cp) => {
            outln!("{}", term_safe::json::to_string(&cp)?)?;
            errln!("signed audit entry {} with key {}", cp.seq, cp.key_id);
        }
        None => errln!("nothing to sign: the audit trail is empty or unchanged since the last checkpoint"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The actor of changes made with the CLI: `cli:<login name>` from `$USER`, or `cli:local` when it is
/// unset or unusable.
pub fn cli_actor() -> String {
    let user = std::env::var("USER").ok().filter(|u| {
        !u.is_empty() && u.chars().count() <= 64 && !u.chars().any(|c| c.is_control() || c.is_whitespace())
    });
    format!("cli:{}", user.as_deref().unwrap_or("local"))
}

/// Appends an entry for a change the CLI made (`action` on `target`) to the audit trail, in the
/// default tenant.
pub async fn record(
    state: &State,
    action: &str,
    target: &str,
    outcome: AuditOutcome,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    record_in(state, DEFAULT_TENANT, action, target, outcome, detail).await
}

/// The CLI's audit entry (actor `cli:<login>`) for a change in `tenant`, for a state call that
/// writes it in the change's own transaction.
pub fn entry_in(
    tenant: &str,
    action: &str,
    target: &str,
    outcome: AuditOutcome,
    detail: serde_json::Value,
) -> NewAuditEntry {
    NewAuditEntry::new(cli_actor(), action, outcome)
        .with_actor_kind("cli")
        .with_tenant(tenant)
        .with_target(target)
        .with_detail(detail)
}

/// [`record`] in `tenant` (the tenant the change concerns, e.g. an API key's).
pub async fn record_in(
    state: &State,
    tenant: &str,
    action: &str,
    target: &str,
    outcome: AuditOutcome,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let entry = entry_in(tenant, action, target, outcome, detail);
    state
        .append_audit(entry)
        .await
        .with_context(|| format!("writing the audit entry for {action}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_files_skip_blank_lines_and_name_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let cp = Checkpoint {
            seq: 1,
            hash: "0".repeat(64),
            at: jiff::Timestamp::UNIX_EPOCH,
            key_id: "0".repeat(16),
            signature: "0".repeat(128),
        };
        let good = dir.path().join("good.ndjson");
        std::fs::write(
            &good,
            format!(
                "{}\n\n{}\n",
                serde_json::to_string(&cp).unwrap(),
                serde_json::to_string(&cp).unwrap()
            ),
        )
        .unwrap();
        assert_eq!(read_checkpoints(&good).unwrap(), [cp.clone(), cp]);
        let bad = dir.path().join("bad.ndjson");
        std::fs::write(&bad, "\n{\"seq\": 1}\n").unwrap();
        let err = format!("{:#}", read_checkpoints(&bad).unwrap_err());
        assert!(err.contains("line 2: not a checkpoint"), "{err}");
    }

    #[test]
    fn plural_forms() {
        assert_eq!(plural(1, "entry", "entries"), "entry");
        assert_eq!(plural(0, "entry", "entries"), "entries");
    }
}
