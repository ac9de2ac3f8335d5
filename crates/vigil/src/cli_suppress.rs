//! Command-line definitions of suppression rules: `vigil alerts suppress` ("suppress alerts like
//! this", [`AlertSuppressArgs`]) and `vigil suppressions create|list|show|disable|enable|delete|
//! matches`, against a running server.

use clap::{Args, Subcommand};
use vigil_api_types::suppressions::{Condition, Disposition};

use crate::cli::ServerArgs;

/// `--close-as`: the two dispositions of an alert suppressed like this.
fn close_as_parser(text: &str) -> Result<Disposition, String> {
    match text {
        "false_positive" => Ok(Disposition::FalsePositive),
        "benign_positive" => Ok(Disposition::BenignPositive),
        _ => Err(format!(
            "`{text}`: an alert suppressed like this closes as false_positive or benign_positive"
        )),
    }
}

/// `--condition FIELD=VALUE`: split at the first `=`.
fn condition_parser(text: &str) -> Result<Condition, String> {
    match text.split_once('=') {
        Some((field, value)) if !field.trim().is_empty() && !value.is_empty() => Ok(Condition {
            field: field.trim().to_owned(),
            value: value.to_owned(),
        }),
        _ => Err(format!("`{text}` is not FIELD=VALUE (such as host=web01)")),
    }
}

/// `vigil alerts suppress`.
#[derive(Debug, Args)]
pub struct AlertSuppressArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The alert's id (the `id` column of `vigil alerts`).
    #[arg(value_name = "ID")]
    pub id: String,
    /// The fields whose values later matches must share with this alert's event,
    /// comma-separated: host, user, src_ip (read as alert grouping reads them) or any field name.
    #[arg(long, value_name = "FIELD", value_delimiter = ',', required = true)]
    pub fields: Vec<String>,
    /// Why (kept with the suppression and shown by `vigil suppressions list`).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// When it stops suppressing: a duration from now (30d, 12h) or an RFC 3339 instant
    /// [default: never; disable or delete it then].
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
    /// Also close the alert, if it is still open: false_positive or benign_positive (needs
    /// `alert:triage` too, role admin).
    #[arg(long, value_name = "DISPOSITION", value_parser = close_as_parser)]
    pub close_as: Option<Disposition>,
    /// Print the server's answer (the suppression and the alert) as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SuppressionsCommand {
    /// Create a suppression by hand: alerts of a rule (or of every rule, `*`) whose event meets
    /// every --condition are no longer raised; prints its id alone on stdout.
    #[command(after_help = "Examples:
  vigil suppressions create --rule-id 8a582fe2-0882-4b89-a82a-da6b2dc32937 \\
    --condition host=scanner01 --reason 'vulnerability scanner' --expires 30d
  vigil suppressions create --rule-id '*' --condition src_ip=10.0.0.9 --condition user=svc_backup \\
    --reason 'backup job'")]
    Create(SuppressionCreateArgs),
    /// List suppressions, newest first: id, rule, conditions, state (active, disabled, expired),
    /// the matches each suppressed (hits, last hit), expiry, author and reason.
    #[command(after_help = "Examples:
  vigil suppressions list
  vigil suppressions list --active --rule-id 8a582fe2-0882-4b89-a82a-da6b2dc32937
  vigil suppressions list --json")]
    List(SuppressionListArgs),
    /// Show a suppression: its rule, conditions, reason, author, expiry, state and counts.
    #[command(after_help = "Examples:
  vigil suppressions show sup-3f9a0c2d7b1e4a56")]
    Show(SuppressionIdArgs),
    /// Stop a suppression (it stays listed with its counts): matches raise alerts again.
    #[command(after_help = "Examples:
  vigil suppressions disable sup-3f9a0c2d7b1e4a56")]
    Disable(SuppressionIdArgs),
    /// Start a disabled suppression again, optionally with a new expiry.
    #[command(after_help = "Examples:
  vigil suppressions enable sup-3f9a0c2d7b1e4a56
  vigil suppressions enable sup-3f9a0c2d7b1e4a56 --expires 7d")]
    Enable(SuppressionEnableArgs),
    /// Delete a suppression and its listed matches (the audit trail keeps what it was).
    #[command(after_help = "Examples:
  vigil suppressions delete sup-3f9a0c2d7b1e4a56")]
    Delete(SuppressionIdArgs),
    /// List the matches a suppression kept from becoming alerts, newest first: time, rule and
    /// event id (`vigil search '_id:EVENT_ID'` shows the event). Kept 30 days.
    #[command(after_help = "Examples:
  vigil suppressions matches sup-3f9a0c2d7b1e4a56
  vigil search '_id:5f0c3b9e6d2a41f7a8c1e4b2d9f03a61'")]
    Matches(SuppressionMatchesArgs),
}

#[derive(Debug, Args)]
pub struct SuppressionCreateArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The rule whose alerts it suppresses (its id), or `*` for every rule.
    #[arg(long, value_name = "RULE_ID")]
    pub rule_id: String,
    /// A condition the event must meet, FIELD=VALUE (exact text; host, user and src_ip are read
    /// as alert grouping reads them); repeatable, all must hold.
    #[arg(long = "condition", value_name = "FIELD=VALUE", value_parser = condition_parser)]
    pub conditions: Vec<Condition>,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// When it stops suppressing: a duration from now (30d, 12h) or an RFC 3339 instant
    /// [default: never].
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
    /// Print the suppression as JSON instead of its id.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SuppressionListArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Only suppressions of this rule id (`*`: those of every rule).
    #[arg(long, value_name = "RULE_ID")]
    pub rule_id: Option<String>,
    /// Only those that suppress now.
    #[arg(long, conflicts_with = "inactive")]
    pub active: bool,
    /// Only those disabled or expired.
    #[arg(long)]
    pub inactive: bool,
    /// Suppressions to show at most (1–1000).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Continue from a previous page (the cursor printed after it).
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SuppressionIdArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The suppression's id (the `id` column of `vigil suppressions list`).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SuppressionEnableArgs {
    #[command(flatten)]
    pub target: SuppressionIdArgs,
    /// A new expiry: a duration from now (7d) or an RFC 3339 instant.
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
}

#[derive(Debug, Args)]
pub struct SuppressionMatchesArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The suppression's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Matches to show at most (1–1000).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Continue from a previous page (the cursor printed after it).
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_and_dispositions_parse_as_documented() {
        let c = condition_parser("process.command_line=a=b c").expect("valid");
        assert_eq!((c.field.as_str(), c.value.as_str()), ("process.command_line", "a=b c"));
        for bad in ["host", "=web01", "host="] {
            assert!(condition_parser(bad).is_err(), "{bad}");
        }
        assert_eq!(close_as_parser("benign_positive"), Ok(Disposition::BenignPositive));
        assert!(close_as_parser("true_positive").is_err());
    }
}
