//! `vigil user add|passwd|disable|list` and `vigil admin bootstrap`: local users in a data
//! directory, each with one role in one tenant and an Argon2id password. There are no default
//! credentials: the first admin comes from `vigil admin bootstrap`, which prints a generated
//! one-time password. Every change is recorded in the audit trail (never a password).

use std::{io::Read as _, path::Path, path::PathBuf, process::ExitCode};

use clap::{Args, Subcommand};
use jiff::Timestamp;
use vigil_api_types::access::DEFAULT_TENANT;
use vigil_state::{AuditOutcome, NewUser, Role, State, users::generate_password};

use crate::{
    audit_cmd,
    cli::{role_parser, tenant_parser},
    serve_cmd::{open_state, runtime},
    term_safe::{self, Esc, SafeTable, errln, outln},
};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a local user. Without --password-stdin a password is generated and printed once, alone
    /// on the last line of stdout, and the user is asked to choose their own.
    #[command(after_help = "Examples:
  vigil user add alice --role analyst
  vigil user add bob --role lead --tenant acme --data-dir /var/lib/vigil
  printf '%s' \"$PASSWORD\" | vigil user add carol --role viewer --password-stdin")]
    Add {
        #[command(flatten)]
        dir: DataDir,
        /// The user name: 1 to 64 characters of a-z, 0-9, '.', '_', '-' and '@'.
        name: String,
        /// What the user may do: viewer, analyst, lead, detection_engineer, admin (everything in its
        /// tenant) or ingest.
        #[arg(long, value_name = "ROLE", value_parser = role_parser())]
        role: Role,
        /// The tenant the user works in: 1 to 64 characters of a-z, 0-9, _ and -.
        #[arg(long, value_name = "TENANT", default_value = DEFAULT_TENANT, value_parser = tenant_parser)]
        tenant: String,
        /// Read the password from standard input (at least 12 characters; a final newline is
        /// dropped) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password and end their sessions. Without --password-stdin a password is
    /// generated, printed once as the last line of stdout, and must be changed by the user.
    #[command(after_help = "Examples:
  vigil user passwd alice
  printf '%s' \"$PASSWORD\" | vigil user passwd alice --password-stdin")]
    Passwd {
        #[command(flatten)]
        dir: DataDir,
        /// The user name.
        name: String,
        /// Read the new password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: they cannot log in again and their sessions end. Disabled users stay listed.
    #[command(after_help = "Examples:
  vigil user disable alice")]
    Disable {
        #[command(flatten)]
        dir: DataDir,
        /// The user name.
        name: String,
    },
    /// List users (never their passwords): name, role, tenant, created, password set, last login
    /// and state.
    #[command(after_help = "Examples:
  vigil user list
  vigil user list --json > users.json")]
    List {
        #[command(flatten)]
        dir: DataDir,
        /// Print the users as a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first admin user, once: refused while an enabled admin user exists. Its
    /// generated one-time password is printed alone on the last line of stdout.
    #[command(after_help = "Examples:
  vigil admin bootstrap
  vigil admin bootstrap --name soc-admin --data-dir /var/lib/vigil")]
    Bootstrap {
        #[command(flatten)]
        dir: DataDir,
        /// The admin's user name.
        #[arg(long, value_name = "NAME", default_value = "admin")]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct DataDir {
    /// The server's data directory (where the users are kept).
    #[arg(long, value_name = "DIR", default_value = "vigil-data")]
    pub data_dir: PathBuf,
}

pub fn run_user(command: UserCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        match command {
            UserCommand::Add {
                dir,
                name,
                role,
                tenant,
                password_stdin,
            } => add(&dir.data_dir, name, role, tenant, password_stdin).await,
            UserCommand::Passwd {
                dir,
                name,
                password_stdin,
            } => passwd(&dir.data_dir, &name, password_stdin).await,
            UserCommand::Disable { dir, name } => disable(&dir.data_dir, &name).await,
            UserCommand::List { dir, json } => list(&dir.data_dir, json).await,
        }
    })
}

pub fn run_admin(command: AdminCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        match command {
            AdminCommand::Bootstrap { dir, name } => bootstrap(&dir.data_dir, name).await,
        }
    })
}

/// The password from stdin (one trailing newline dropped), or a generated one (`true`: generated).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((generate_password()?, true));
    }
    let mut text = String::new();
    std::io::stdin().take(4096).read_to_string(&mut text)?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok((text.to_owned(), false))
}

async fn add(dir: &Path, name: String, role: Role, tenant: String, stdin: bool) -> anyhow::Result<ExitCode> {
    let (password, generated) = password(stdin)?;
    vigil_state::users::check_user_name(&name)?;
    vigil_state::users::check_password(&password)?;
    let state = open_state(dir).await?;
    let user = NewUser {
        name,
        role,
        tenant,
        password,
        must_change: generated,
    };
    // The user and its audit entry are written in one transaction: no unaudited user.
    let audit = audit_cmd::entry_in(
        &user.tenant,
        "user.create",
        &format!("user:{}", user.name),
        AuditOutcome::Success,
        serde_json::json!({"role": user.role, "tenant": user.tenant}),
    );
    let made = state.create_user_audited(&user, audit).await?;
    errln!(
        "added user {} (role {}, tenant {})",
        Esc(&made.name),
        made.role,
        made.tenant
    );
    print_generated(generated, &user.password)
}

/// A generated password goes alone on the last line of stdout; nothing is printed otherwise.
fn print_generated(generated: bool, password: &str) -> anyhow::Result<ExitCode> {
    if generated {
        errln!("the password below is shown this once; the user should change it at first login");
        outln!("{password}")?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn passwd(dir: &Path, name: &str, stdin: bool) -> anyhow::Result<ExitCode> {
    let (password, generated) = password(stdin)?;
    let state = open_state(dir).await?;
    let Some(user) = state.get_user(name).await? else {
        anyhow::bail!("no user {}", Esc(name));
    };
    state.set_password(name, &password, generated).await?;
    let detail = serde_json::json!({"generated": generated});
    audit_cmd::record_in(
        &state,
        &user.tenant,
        "user.passwd",
        &format!("user:{name}"),
        AuditOutcome::Success,
        detail,
    )
    .await?;
    errln!("set the password of {} and ended their sessions", Esc(name));
    print_generated(generated, &password)
}

async fn disable(dir: &Path, name: &str) -> anyhow::Result<ExitCode> {
    let state = open_state(dir).await?;
    let tenant = state.get_user(name).await?.map(|u| u.tenant);
    let tenant = tenant.as_deref().unwrap_or(DEFAULT_TENANT);
    let done = state.disable_user(name).await?;
    let outcome = if done {
        AuditOutcome::Success
    } else {
        AuditOutcome::Failure
    };
    audit_cmd::record_in(
        &state,
        tenant,
        "user.disable",
        &format!("user:{name}"),
        outcome,
        serde_json::json!({}),
    )
    .await?;
    if !done {
        anyhow::bail!("no enabled user {}", Esc(name));
    }
    errln!("disabled user {} and ended their sessions", Esc(name));
    Ok(ExitCode::SUCCESS)
}

async fn list(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let state = open_state(dir).await?;
    let users = state.list_users().await?;
    if json {
        outln!("{}", term_safe::json::to_string_pretty(&users)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if users.is_empty() {
        errln!(
            "no users in {} (create the first admin with `vigil admin bootstrap`)",
            Esc(&crate::serve_cmd::state_place(dir))
        );
        return Ok(ExitCode::SUCCESS);
    }
    let when = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut table = SafeTable::new(&[
        "name",
        "role",
        "tenant",
        "created",
        "password set",
        "last login",
        "state",
    ]);
    for u in &users {
        let state = match (u.disabled, u.must_change) {
            (true, _) => "disabled",
            (false, true) => "must change password",
            (false, false) => "active",
        };
        table.add_row([
            u.name.clone(),
            u.role.to_string(),
            u.tenant.clone(),
            when(u.created),
            when(u.password_set),
            u.last_login.map_or_else(|| "never".to_owned(), when),
            state.to_owned(),
        ]);
    }
    outln!("{table}")?;
    Ok(ExitCode::SUCCESS)
}

async fn bootstrap(dir: &Path, name: String) -> anyhow::Result<ExitCode> {
    vigil_state::users::check_user_name(&name)?;
    let state: State = open_state(dir).await?;
    if state.has_enabled_admin().await? {
        anyhow::bail!(
            "an enabled admin user exists already: bootstrap runs once (use `vigil user add` or `vigil user passwd`)"
        );
    }
    let password = generate_password()?;
    let user = NewUser {
        name,
        role: Role::Admin,
        tenant: DEFAULT_TENANT.to_owned(),
        password,
        must_change: true,
    };
    let audit = audit_cmd::entry_in(
        DEFAULT_TENANT,
        "admin.bootstrap",
        &format!("user:{}", user.name),
        AuditOutcome::Success,
        serde_json::json!({}),
    );
    let made = state.create_user_audited(&user, audit).await?;
    errln!("created admin user {} (tenant {})", Esc(&made.name), made.tenant);
    print_generated(true, &user.password)
}
