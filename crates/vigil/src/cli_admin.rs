//! Command-line definitions of the administration commands that work on the state directly:
//! `vigil token`, `vigil audit` and `vigil apikey` (and the role and tenant parsers they share
//! with the user commands).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use vigil_api_types::access::{DEFAULT_TENANT, Role, check_tenant};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (only this once).
    #[command(after_help = "Examples:
  vigil token create --scope ingest --name shipper
  vigil token create --scope read --name analyst --data-dir /var/lib/vigil")]
    Create {
        /// The server's data directory (where the tokens are kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// ingest: send events; read: search and list; admin: everything.
        #[arg(long, value_enum)]
        scope: ScopeArg,
        /// A name to recognise the token by.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List tokens and API keys (never their secrets): id, scope (or the role of a key that has
    /// none), name, creation time, state (active, expired or revoked); tab-separated.
    #[command(after_help = "Examples:
  vigil token list --data-dir /var/lib/vigil")]
    List {
        /// The server's data directory (where the tokens are kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
    },
    /// Revoke a token by its id.
    #[command(after_help = "Examples:
  vigil token revoke 29d62df0adf75764")]
    Revoke {
        /// The server's data directory (where the tokens are kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// The token's id (the part after `vgl_`, as `vigil token list` shows it).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the audit trail: walk the whole hash chain and compare it with signed checkpoints.
    ///
    /// Prints the number of entries checked and "chain intact", or the first bad entry (its seq and
    /// what is wrong: missing, out of order, modified, disagreeing with a checkpoint, or cut off
    /// before a checkpoint). Exits 0 when intact, 1 when a problem is found, 2 when verification
    /// could not run.
    #[command(after_help = "Examples:
  vigil audit verify --data-dir /var/lib/vigil
  vigil audit verify --data-dir /var/lib/vigil --checkpoints /mnt/offsite/checkpoints.ndjson \\
    --public-key audit.pub
  vigil audit verify --data-dir /var/lib/vigil --json")]
    Verify(AuditVerifyArgs),
    /// Export every audit entry as NDJSON (one JSON object a line), oldest first.
    #[command(after_help = "Examples:
  vigil audit export --data-dir /var/lib/vigil -o audit.ndjson
  vigil audit export --data-dir /var/lib/vigil | jq -c 'select(.outcome != \"success\")'")]
    Export {
        /// The server's data directory (where the audit trail is kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// Write to this file instead of stdout (it must not exist yet).
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Export the signed checkpoints as NDJSON, oldest first, to keep them where the data
    /// directory's writers cannot change them (for `vigil audit verify --checkpoints`).
    #[command(after_help = "Examples:
  vigil audit checkpoints --data-dir /var/lib/vigil -o /mnt/offsite/checkpoints.ndjson
  vigil audit checkpoints --data-dir /var/lib/vigil >> /mnt/offsite/all-checkpoints.ndjson")]
    Checkpoints {
        /// The server's data directory (where the audit trail is kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// Write to this file instead of stdout (it must not exist yet).
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Sign a checkpoint over the newest audit entry with an Ed25519 key and store it; prints it
    /// as an NDJSON line. Nothing is signed when the chain is empty or unchanged since the last
    /// checkpoint. Run it regularly (e.g. from cron) and export the checkpoints.
    #[command(after_help = "Examples:
  vigil audit sign --data-dir /var/lib/vigil --key /etc/vigil/audit.key --public-key-out audit.pub
  vigil audit sign --data-dir /var/lib/vigil --key /etc/vigil/audit.key")]
    Sign {
        /// The server's data directory (where the audit trail is kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// The signing key: 32 raw bytes or 64 hex digits. Created (mode 0600) when missing; keep
        /// it away from the data directory.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Also write the public key (64 hex digits) to this new file, for `vigil audit verify
        /// --public-key`.
        #[arg(long, value_name = "FILE")]
        public_key_out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The server's data directory (where the audit trail is kept).
    #[arg(long, value_name = "DIR", default_value = "vigil-data")]
    pub data_dir: PathBuf,
    /// Checkpoints to compare with, as exported by `vigil audit checkpoints` (NDJSON) [default: the
    /// checkpoints stored in the data directory].
    #[arg(long, value_name = "FILE")]
    pub checkpoints: Option<PathBuf>,
    /// Verify the checkpoints' signatures with this Ed25519 public key (32 raw bytes or 64 hex
    /// digits, as `vigil audit sign --public-key-out` writes it). Without it signatures are not
    /// checked.
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create an API key and print its secret, only this once: alone on the last line of stdout
    /// (what was created goes to stderr), so `KEY=$(vigil apikey create …)` captures just the secret.
    #[command(after_help = "Examples:
  vigil apikey create --role ingest --name shipper
  vigil apikey create --role viewer --name analyst --data-dir /var/lib/vigil
  vigil apikey create --role detection_engineer --name 'ci deploy' --expires 30d
  vigil apikey create --role lead --tenant acme --name 'acme lead' --expires 2027-01-01T00:00:00Z")]
    Create(ApikeyCreateArgs),
    /// List API keys (never their secrets): id, name, role, tenant, created, expires, last used and
    /// state (active, expired or revoked). Names are shown with control and invisible characters
    /// escaped.
    #[command(after_help = "Examples:
  vigil apikey list --data-dir /var/lib/vigil
  vigil apikey list --json > keys.json")]
    List {
        /// The server's data directory (where the keys are kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// Print the keys as a JSON array (each with a `state` field) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key by its id: it never verifies again. Revoked keys stay listed.
    #[command(after_help = "Examples:
  vigil apikey revoke 29d62df0adf75764
  vigil apikey revoke --data-dir /var/lib/vigil 29d62df0adf75764")]
    Revoke {
        /// The server's data directory (where the keys are kept).
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// The key's id (the part after `vgl_`, as `vigil apikey list` shows it).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct ApikeyCreateArgs {
    /// The server's data directory (where the keys are kept).
    #[arg(long, value_name = "DIR", default_value = "vigil-data")]
    pub data_dir: PathBuf,
    /// What the key may do: viewer reads alerts, incidents, events, rules and status; analyst also
    /// triages alerts and works incidents; lead also closes incidents and reads the audit trail;
    /// detection_engineer is a viewer who changes and deploys rules; admin may do everything in its
    /// tenant; ingest only sends events (shippers, collectors).
    #[arg(long, value_name = "ROLE", value_parser = role_parser())]
    pub role: Role,
    /// The tenant the key acts in: 1 to 64 characters of a-z, 0-9, _ and -.
    #[arg(long, value_name = "TENANT", default_value = DEFAULT_TENANT, value_parser = tenant_parser)]
    pub tenant: String,
    /// A name to recognise the key by: any text up to 128 characters without control characters
    /// (not unique: the id is).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// When the key stops working: a duration from now (90d, 12h, 2w, 1d12h) or an RFC 3339
    /// instant (2027-01-01T00:00:00Z) [default: never].
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
}

/// `--role`: one of the role names, shown as the possible values in `--help`.
pub(crate) fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Role::ALL.iter().map(|r| r.as_str())).try_map(|name| name.parse::<Role>())
}

/// `--tenant`: a valid tenant name.
pub(crate) fn tenant_parser(text: &str) -> Result<String, String> {
    check_tenant(text).map(|()| text.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Ingest,
    Read,
    Admin,
}
