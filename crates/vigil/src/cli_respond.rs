//! Command-line definitions of the respond stage: alert triage (`vigil alerts ack|close|…`) and
//! incidents (`vigil incidents …`), against a running server. Suppression rules have theirs in
//! `cli_suppress.rs`.

use std::path::PathBuf;

use clap::{
    Args, Subcommand, ValueEnum,
    builder::{PossibleValuesParser, TypedValueParser},
};
pub use vigil_api_types::incidents::{Impact, IncidentStatus, Pap, Severity, Tlp, Urgency};
pub use vigil_api_types::triage::{AlertStatus, Disposition};

use crate::cli::{LevelArg, ServerArgs};

/// An enum of the API with one wire name per value: parsed from exactly those names, which
/// `--help` lists.
pub trait Wire: Copy + Send + Sync + 'static {
    /// Every value.
    const VALUES: &'static [Self];
    /// The wire name.
    fn wire_name(self) -> &'static str;
}

macro_rules! wire {
    ($($t:ty),* $(,)?) => {
        $(impl Wire for $t {
            const VALUES: &'static [Self] = <$t>::ALL;
            fn wire_name(self) -> &'static str {
                self.as_str()
            }
        })*
    };
}

wire!(AlertStatus, Disposition, IncidentStatus, Impact, Urgency, Tlp, Pap);

/// The value parser of a [`Wire`] enum.
pub fn wire_parser<T: Wire>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::VALUES.iter().map(|v| v.wire_name())).try_map(|name| {
        T::VALUES
            .iter()
            .copied()
            .find(|v| v.wire_name() == name)
            .ok_or_else(|| format!("unknown value `{name}`"))
    })
}

/// `--severity`: 1-4 or low, medium, high, critical.
fn severity_parser(text: &str) -> Result<Severity, String> {
    text.parse::<Severity>().map_err(|e| e.to_string())
}

/// `vigil alerts`: the list (no subcommand) or a triage subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: Option<AlertsCommand>,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Only alerts raised at or after this time (RFC 3339, date, or age such as 24h).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only alerts of rules at this level or above.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_level: Option<LevelArg>,
    /// Only alerts of this rule (its id).
    #[arg(long, value_name = "ID")]
    pub rule_id: Option<String>,
    /// Only alerts in these triage statuses, comma-separated: new, acknowledged, closed, merged
    /// (`new,acknowledged` is the open queue).
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = wire_parser::<AlertStatus>())]
    pub status: Vec<AlertStatus>,
    /// Only alerts assigned to this user (alice) or team (team:tier2).
    #[arg(long, value_name = "WHO")]
    pub assignee: Option<String>,
    /// Only alerts from this host.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Alerts to show at most (1–1000).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Show the alert with this id (the `id` column of the list) and the stored events that
    /// raised it, oldest first, instead of a list.
    #[arg(
        long,
        value_name = "ALERT_ID",
        conflicts_with_all = ["since", "min_level", "rule_id", "status", "assignee", "host"]
    )]
    pub events: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Acknowledge alerts: an analyst has taken them (`new` → `acknowledged`).
    ///
    /// Give the alerts' ids, or select them with --where-… flags: then the number of alerts that
    /// match and would change is shown first, and the change is made only with --yes (and only if
    /// the same number still match). Exits 1 when no alert changed.
    #[command(after_help = "Examples:
  vigil alerts ack 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil alerts ack 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 9a1b2c3d4e5f60718293a4b5c6d7e8f9
  vigil alerts ack --where-host web01 --where-status new            # count only
  vigil alerts ack --where-host web01 --where-status new --yes")]
    Ack(TriageArgs),
    /// Close alerts with a disposition (the verdict of triage) and an optional comment.
    ///
    /// `new` and `acknowledged` alerts can be closed; a merged alert belongs to its incident. With
    /// --where-… flags the count is shown first and --yes makes the change. Exits 1 when no alert
    /// changed.
    #[command(after_help = "Examples:
  vigil alerts close 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --disposition false_positive \\
    --comment 'nightly backup job'
  vigil alerts close --where-rule-id 8a582fe2-0882-4b89-a82a-da6b2dc32937 --where-host scanner01 \\
    --disposition benign_positive --yes")]
    Close(CloseArgs),
    /// Reopen alerts: a closed alert goes back to `new` (needs `alert:reopen`, role lead or admin);
    /// an acknowledged one returns to the queue.
    ///
    /// With --where-… flags the count is shown first and --yes makes the change. Exits 1 when no
    /// alert changed.
    #[command(after_help = "Examples:
  vigil alerts reopen 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil alerts reopen --where-rule-id 8a582fe2-0882-4b89-a82a-da6b2dc32937 --where-status closed --yes")]
    Reopen(TriageArgs),
    /// Assign alerts to a user or a team, or unassign them.
    ///
    /// With --where-… flags the count is shown first and --yes makes the change. Exits 1 when no
    /// alert changed.
    #[command(after_help = "Examples:
  vigil alerts assign 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --to alice
  vigil alerts assign --where-status new --where-min-level critical --to team:tier2 --yes
  vigil alerts assign 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --unassign")]
    Assign(AssignArgs),
    /// Add a comment to an alert's history (markdown, at most 8192 characters).
    #[command(after_help = "Examples:
  vigil alerts comment 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 'asked the owner of web01'")]
    Comment(CommentArgs),
    /// Show an alert's history: every triage change (status, disposition, assignee, comment, the
    /// incident it was merged into) with who made it and when, oldest first.
    #[command(after_help = "Examples:
  vigil alerts history 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil alerts history 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --json")]
    History(AlertIdArgs),
    /// Suppress alerts like this one: a suppression of its rule whose conditions are the values
    /// its event has for --fields; later matches like it raise no alert, but are counted and
    /// listed (`vigil suppressions`). Prints the suppression's id alone on stdout.
    ///
    /// Needs `rule:write` (role detection_engineer or admin); --close-as also closes the alert,
    /// which needs `alert:triage` too.
    #[command(after_help = "Examples:
  vigil alerts suppress 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --fields host,user \
    --reason 'vulnerability scanner' --expires 30d --close-as false_positive
  vigil alerts suppress 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --fields src_ip --reason 'backup job'")]
    Suppress(crate::cli_suppress::AlertSuppressArgs),
}

/// Which alerts a triage command changes: ids, or a filter (`--where-…`).
#[derive(Debug, Args)]
pub struct TriageArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The alerts' ids (the `id` column of `vigil alerts`). One id is changed on its own (an
    /// error says why when it cannot change); several are changed together.
    #[arg(value_name = "ID", required_unless_present = "where", conflicts_with = "where")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub filter: WhereArgs,
    /// With --where-…: make the change after showing the count (without it only the count is
    /// shown and the command exits 1). The change is refused if the number of matching alerts
    /// changed meanwhile.
    #[arg(short, long)]
    pub yes: bool,
    /// Print the server's answer as JSON: the alert (one id) or the counts
    /// (`{"matched", "updated", "dry_run"}`).
    #[arg(long)]
    pub json: bool,
}

/// The filter of a triage command: alerts matching every flag given.
#[derive(Debug, Args)]
#[group(id = "where", multiple = true)]
pub struct WhereArgs {
    /// Select the alerts of this rule (its id).
    #[arg(long, value_name = "RULE_ID")]
    pub where_rule_id: Option<String>,
    /// Select the alerts from this host.
    #[arg(long, value_name = "HOST")]
    pub where_host: Option<String>,
    /// Select the alerts in these statuses, comma-separated (new, acknowledged, closed, merged).
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = wire_parser::<AlertStatus>())]
    pub where_status: Vec<AlertStatus>,
    /// Select the alerts of rules at this level or above.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub where_min_level: Option<LevelArg>,
    /// Select the alerts raised at or after this time: RFC 3339 (2024-05-01T10:00:00Z), a date
    /// (2024-05-01, UTC) or an age (24h = a day before now).
    #[arg(long, value_name = "TIME")]
    pub where_since: Option<String>,
    /// Select the alerts raised before this time (same forms as --where-since).
    #[arg(long, value_name = "TIME")]
    pub where_until: Option<String>,
    /// Select the alerts assigned to this user (alice) or team (team:tier2).
    #[arg(long, value_name = "WHO")]
    pub where_assignee: Option<String>,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    #[command(flatten)]
    pub target: TriageArgs,
    /// The verdict: true_positive (the malicious activity the rule is for), benign_positive
    /// (correct, but authorised or harmless), false_positive (the rule should not have matched),
    /// duplicate, indeterminate (not enough evidence) or other (say why in --comment).
    #[arg(long, value_name = "DISPOSITION", value_parser = wire_parser::<Disposition>())]
    pub disposition: Disposition,
    /// A comment kept in the alerts' history (markdown, at most 8192 characters).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    #[command(flatten)]
    pub target: TriageArgs,
    /// Assign to this user (alice) or team (team:tier2).
    #[arg(long, value_name = "WHO", required_unless_present = "unassign")]
    pub to: Option<String>,
    /// Remove the assignee.
    #[arg(long, conflicts_with = "to")]
    pub unassign: bool,
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The alert's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The comment (markdown, at most 8192 characters).
    #[arg(value_name = "TEXT")]
    pub text: String,
    /// Print the alert as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AlertIdArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The alert's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// Create an incident, by hand or from alerts (they become `merged` into it); prints its id
    /// alone on stdout, so `ID=$(vigil incidents create …)` captures it.
    ///
    /// The priority (P1–P5) follows from impact × urgency, which default to the severity. The SLA
    /// timers (acknowledge, contain, resolve) start now, by the policy of that priority.
    #[command(after_help = "Examples:
  vigil incidents create --title 'Ransomware on web01' --severity critical \\
    --classification malicious-code:infected-system --alert 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil incidents create --title 'Phishing wave' --severity 2 --classification fraud:phishing \\
    --owner alice --team tier2 --tlp amber+strict --attack T1566.001 --json")]
    Create(IncidentCreateArgs),
    /// List incidents, newest first: id, priority, severity, status, title, owner, the most urgent
    /// SLA timer (times in UTC) and when it was created.
    #[command(after_help = "Examples:
  vigil incidents list
  vigil incidents list --open --owner alice
  vigil incidents list --sla breached
  vigil incidents list --due-within 1h --max-priority 2
  vigil incidents list --status contained,eradicated --json")]
    List(IncidentListArgs),
    /// Show an incident: its fields, milestones, SLA timers, alerts and timeline (oldest first).
    #[command(after_help = "Examples:
  vigil incidents show inc-fc8c19a529759f6d
  vigil incidents show inc-fc8c19a529759f6d --json")]
    Show(IncidentIdArgs),
    /// Change an incident: its status (the NIST SP 800-61 phases) and its fields. Only the
    /// options given change.
    ///
    /// Closing needs a resolution and lessons learned (given here or before) and `case:close`
    /// (role lead or admin), as does reopening a closed incident. `on_hold` pauses the SLA timers.
    #[command(after_help = "Examples:
  vigil incidents update inc-fc8c19a529759f6d --status investigating --owner alice
  vigil incidents update inc-fc8c19a529759f6d --status on_hold --comment 'waiting for the ISP'
  vigil incidents update inc-fc8c19a529759f6d --status closed \\
    --resolution 'host reimaged' --lessons-learned 'EDR missed the loader'")]
    Update(IncidentUpdateArgs),
    /// Add a note to an incident's timeline (markdown); --occurred-at places it in the attack's
    /// chronology.
    #[command(after_help = "Examples:
  vigil incidents note inc-fc8c19a529759f6d 'isolated web01 from the network'
  vigil incidents note inc-fc8c19a529759f6d 'first phishing mail received' \\
    --occurred-at 2024-05-01T08:12:00Z")]
    Note(NoteArgs),
    /// Link alerts to an open incident: they become `merged` into it.
    #[command(after_help = "Examples:
  vigil incidents link inc-fc8c19a529759f6d 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61")]
    Link(LinkArgs),
    /// Merge other open incidents into this one: their alerts and ATT&CK ids move over and each
    /// is closed as merged into it.
    #[command(after_help = "Examples:
  vigil incidents merge inc-fc8c19a529759f6d inc-2b7d0e41c95a8f36")]
    Merge(MergeArgs),
    /// Export an incident: a Markdown report, or its JSON, to stdout or a file.
    #[command(after_help = "Examples:
  vigil incidents export inc-fc8c19a529759f6d -o report.md
  vigil incidents export inc-fc8c19a529759f6d --format json -o incident.json")]
    Export(ExportArgs),
    /// Attach a file to an incident as evidence: the server keeps it with the SHA-256 it
    /// computes, and adds a timeline entry. Prints the attachment's id alone on stdout, and its
    /// size and SHA-256 on stderr.
    ///
    /// At most the server's `[respond] attachment_max_bytes` (10 MiB unless configured); an
    /// empty file is refused. Needs `case:write`.
    #[command(after_help = "Examples:
  vigil incidents attach inc-fc8c19a529759f6d ./capture.pcap --description 'beacon traffic'
  vigil incidents attach inc-fc8c19a529759f6d /tmp/dropper.bin --name dropper.exe \\
    --media-type application/x-msdownload
  AID=$(vigil incidents attach inc-fc8c19a529759f6d report.pdf --media-type application/pdf)")]
    Attach(crate::cli_attach::AttachArgs),
    /// List an incident's attachments: id, name, size, media type, SHA-256, when and by whom.
    #[command(after_help = "Examples:
  vigil incidents attachments inc-fc8c19a529759f6d
  vigil incidents attachments inc-fc8c19a529759f6d --json")]
    Attachments(crate::cli_attach::AttachmentsArgs),
    /// Download an attachment and check it against the SHA-256 it was stored with; it is written
    /// only when it matches (exit code 1 when it does not, 2 on other errors).
    ///
    /// Evidence may be malware: the file is written as it was stored, never opened.
    #[command(after_help = "Examples:
  vigil incidents download inc-fc8c19a529759f6d att-3f9a0c1e5b7d2468
  vigil incidents download inc-fc8c19a529759f6d att-3f9a0c1e5b7d2468 -o /cases/42/capture.pcap")]
    Download(crate::cli_attach::DownloadArgs),
    /// An incident's tasks — the checklist of its classification's runbook and tasks added by
    /// hand — and changing them; without an incident, the pending tasks of every open incident.
    ///
    /// A mandatory task (`!`) keeps the incident from closing until it is done or skipped with a
    /// comment.
    Task(crate::cli_tasks::TaskArgs),
    /// List an incident's observables — IPs, domains, URLs, hosts, users, hashes, files and
    /// e-mail addresses extracted from its alerts' events or added by hand: kind, value, TLP,
    /// IOC flag, sightings, where it came from and the other incidents where it was seen.
    #[command(after_help = "Examples:
  vigil incidents observables inc-fc8c19a529759f6d
  vigil incidents observables inc-fc8c19a529759f6d --ioc --json")]
    Observables(crate::cli_observables::ObservablesArgs),
    /// Add, change or remove an incident's observable, or find the incidents where a value
    /// was seen.
    Observable(crate::cli_observables::ObservableArgs),
}

#[derive(Debug, Args)]
pub struct IncidentCreateArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The title (at most 256 characters).
    #[arg(long, value_name = "TEXT")]
    pub title: String,
    /// How bad it is: 1-4 or low, medium, high, critical.
    #[arg(long, value_name = "SEVERITY", value_parser = severity_parser)]
    pub severity: Severity,
    /// The RSIT classification `category:type`, e.g. intrusions:system-compromise,
    /// malicious-code:infected-system, fraud:phishing.
    #[arg(long, value_name = "CATEGORY:TYPE")]
    pub classification: String,
    /// An alert to merge into the incident (repeatable).
    #[arg(long = "alert", value_name = "ID")]
    pub alerts: Vec<String>,
    /// A description (markdown).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The user who owns it.
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// The team that works it.
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// Traffic Light Protocol: who it may be shared with [default: amber].
    #[arg(long, value_name = "TLP", value_parser = wire_parser::<Tlp>())]
    pub tlp: Option<Tlp>,
    /// Permissible Actions Protocol: what may be done with it [default: amber].
    #[arg(long, value_name = "PAP", value_parser = wire_parser::<Pap>())]
    pub pap: Option<Pap>,
    /// How much of the business it affects [default: from the severity].
    #[arg(long, value_name = "IMPACT", value_parser = wire_parser::<Impact>())]
    pub impact: Option<Impact>,
    /// How fast it gets worse [default: from the severity].
    #[arg(long, value_name = "URGENCY", value_parser = wire_parser::<Urgency>())]
    pub urgency: Option<Urgency>,
    /// An ATT&CK technique or tactic id (T1059, T1059.001, TA0002); repeatable or comma-separated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub attack: Vec<String>,
    /// Print the new incident as JSON instead of its id.
    #[arg(long)]
    pub json: bool,
}

/// `--sla`: incidents with a timer in this state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SlaArg {
    /// Past its target.
    Breached,
    /// Running and past the warning share of its target.
    Warning,
    /// Counting.
    Running,
    /// Not counting (the incident is on hold).
    Paused,
}

#[derive(Debug, Args)]
pub struct IncidentListArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Only incidents in these statuses, comma-separated.
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = wire_parser::<IncidentStatus>())]
    pub status: Vec<IncidentStatus>,
    /// Only open incidents (every status but closed).
    #[arg(long, conflicts_with = "closed")]
    pub open: bool,
    /// Only closed incidents.
    #[arg(long)]
    pub closed: bool,
    /// Only incidents this user owns.
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// Only this team's incidents.
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// Only incidents of this priority or more urgent (1 is P1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub max_priority: Option<u8>,
    /// Only open incidents with a timer in this state.
    #[arg(long, value_enum, value_name = "STATE")]
    pub sla: Option<SlaArg>,
    /// Only open incidents with a timer not yet breached and due within this time (30m, 1h, 2d).
    #[arg(long, value_name = "DURATION")]
    pub due_within: Option<String>,
    /// Only incidents created at or after this time (RFC 3339, date, or age such as 7d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only incidents created before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Incidents to show at most (1–1000).
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
pub struct IncidentIdArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id (the `id` column of `vigil incidents list`).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IncidentUpdateArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The new status: new, acknowledged, investigating, contained, eradicated, recovered,
    /// closed (needs a resolution and lessons learned), on_hold (pauses the SLA timers).
    #[arg(long, value_name = "STATUS", value_parser = wire_parser::<IncidentStatus>())]
    pub status: Option<IncidentStatus>,
    /// A new title.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// A new description (markdown).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// A new RSIT classification `category:type`.
    #[arg(long, value_name = "CATEGORY:TYPE")]
    pub classification: Option<String>,
    /// A new severity: 1-4 or low, medium, high, critical.
    #[arg(long, value_name = "SEVERITY", value_parser = severity_parser)]
    pub severity: Option<Severity>,
    /// A new impact (with urgency, gives the priority).
    #[arg(long, value_name = "IMPACT", value_parser = wire_parser::<Impact>())]
    pub impact: Option<Impact>,
    /// A new urgency.
    #[arg(long, value_name = "URGENCY", value_parser = wire_parser::<Urgency>())]
    pub urgency: Option<Urgency>,
    /// A new Traffic Light Protocol marking.
    #[arg(long, value_name = "TLP", value_parser = wire_parser::<Tlp>())]
    pub tlp: Option<Tlp>,
    /// A new Permissible Actions Protocol marking.
    #[arg(long, value_name = "PAP", value_parser = wire_parser::<Pap>())]
    pub pap: Option<Pap>,
    /// A new owner.
    #[arg(long, value_name = "USER", conflicts_with = "no_owner")]
    pub owner: Option<String>,
    /// Remove the owner.
    #[arg(long)]
    pub no_owner: bool,
    /// A new team.
    #[arg(long, value_name = "TEAM", conflicts_with = "no_team")]
    pub team: Option<String>,
    /// Remove the team.
    #[arg(long)]
    pub no_team: bool,
    /// How it was resolved (needed to close).
    #[arg(long, value_name = "TEXT")]
    pub resolution: Option<String>,
    /// What the team learned (needed to close).
    #[arg(long, value_name = "TEXT")]
    pub lessons_learned: Option<String>,
    /// Replace the ATT&CK ids added by hand (repeatable or comma-separated; those of the alerts
    /// stay).
    #[arg(long, value_name = "ID", value_delimiter = ',', conflicts_with = "no_attack")]
    pub attack: Vec<String>,
    /// Remove the ATT&CK ids added by hand.
    #[arg(long)]
    pub no_attack: bool,
    /// A note for the timeline, kept with the change.
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// Print the incident as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The note (markdown).
    #[arg(value_name = "TEXT")]
    pub text: String,
    /// When it happened: RFC 3339 (2024-05-01T08:12:00Z), a date (UTC) or an age (2h = two hours
    /// ago) [default: now].
    #[arg(long, value_name = "TIME")]
    pub occurred_at: Option<String>,
    /// Print the incident as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The alerts' ids (at most 1000).
    #[arg(value_name = "ALERT", required = true)]
    pub alerts: Vec<String>,
    /// Print the incident as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident that stays.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The incidents merged into it (then closed).
    #[arg(value_name = "OTHER", required = true)]
    pub others: Vec<String>,
    /// Print the incident as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--format` of `vigil incidents export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A Markdown report: fields, SLA, alerts, timeline.
    Markdown,
    /// The incident with its timeline, as `vigil incidents show --json` prints it.
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// What to export.
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    pub format: ExportFormat,
    /// Write to this file, as the server sent it, instead of stdout (it must not exist yet). On
    /// stdout, control and invisible characters are shown escaped.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}
