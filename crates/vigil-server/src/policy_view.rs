//! The read-only view of the response configuration that `GET /api/v1/policies` answers with,
//! built once from `[respond]` and `[reports]` at start-up. Secrets stay out: a webhook's URL is
//! cut to `scheme://host:port` ([`vigil_notify::redact_url`]: chat webhooks carry their token in
//! the path, others in the query or user part), and signing secrets and SMTP passwords only show
//! as `authenticated: true`.

use vigil_api_types::duration::format_duration;
use vigil_api_types::policies::{
    AutoIncidentView, ChannelView, EscalationLevelView, EscalationView, MatrixView, PersonView, Policies,
    ReportScheduleView, RotationView, SlaNotifyView, SlaPolicyView, TeamView,
};
use vigil_notify::{Channel, redact_url};
use vigil_respond::{Impact, PriorityMatrix, Urgency};

use crate::ServerConfig;
use crate::escalation::{NotifyConfig, Until};

/// The view of `config`'s `[respond]` and `[reports]` (every tenant's report schedules: the API
/// keeps the caller's).
pub fn policies(config: &ServerConfig) -> Policies {
    let respond = &config.respond;
    let notify = &respond.notify;
    let recipients = &notify.recipients;
    Policies {
        priority_matrix: matrix(&respond.matrix),
        sla: (respond.sla.by_priority().iter())
            .map(|p| SlaPolicyView {
                priority: p.name.clone(),
                acknowledge: p.acknowledge.map(format_duration),
                contain: p.contain.map(format_duration),
                resolve: p.resolve.map(format_duration),
                warn_at: p.warn_share,
                calendar: p.calendar.clone(),
            })
            .collect(),
        sla_notify: SlaNotifyView {
            sla_warning: notify.on_sla_warning.clone(),
            sla_breach: notify.on_sla_breach.clone(),
        },
        escalation: escalation(notify),
        oncall: (recipients.oncall.iter())
            .map(|(name, target)| {
                let now = vigil_api_types::oncall::OnCallNow::of(name, &target.rotation, jiff::Timestamp::now());
                RotationView {
                    name: name.clone(),
                    zone: now.zone,
                    members: now.members,
                    channel: target.channel.clone(),
                }
            })
            .collect(),
        people: (recipients.people.iter())
            .map(|(name, p)| PersonView {
                name: name.clone(),
                email: p.email.clone(),
            })
            .collect(),
        teams: (recipients.teams.iter())
            .map(|(name, t)| TeamView {
                name: name.clone(),
                members: t.members.clone(),
            })
            .collect(),
        people_channel: recipients.people_channel.clone(),
        auto_incident: (respond.auto_incident.iter())
            .map(|a| AutoIncidentView {
                name: a.name.clone(),
                min_level: a.min_level.name().to_owned(),
                count: a.count,
                within: (a.count > 1).then(|| std_duration(a.within)),
                classification: a.classification.clone(),
            })
            .collect(),
        channels: (notify.channels.iter()).map(|(name, c)| channel(name, c)).collect(),
        reports: (config.reports.schedules.iter())
            .map(|s| ReportScheduleView {
                name: s.name.clone(),
                every: s.every.as_str().to_owned(),
                formats: s.formats.iter().map(|f| f.to_string()).collect(),
                dir: s.dir.display().to_string(),
                tenant: s.tenant.clone(),
                notify: s.notify.clone(),
            })
            .collect(),
    }
}

fn std_duration(d: std::time::Duration) -> String {
    jiff::SignedDuration::try_from(d).map_or_else(|_| format!("{}s", d.as_secs()), format_duration)
}

fn matrix(m: &PriorityMatrix) -> MatrixView {
    let row = |impact| [Urgency::High, Urgency::Medium, Urgency::Low].map(|u| m.priority(impact, u).get());
    MatrixView {
        high: row(Impact::High),
        medium: row(Impact::Medium),
        low: row(Impact::Low),
    }
}

fn escalation(notify: &NotifyConfig) -> Vec<EscalationView> {
    (notify.escalation.iter())
        .map(|e| EscalationView {
            name: e.name.clone(),
            priorities: e.priorities.clone(),
            until: match e.until {
                Until::Acknowledged => "acknowledged",
                Until::Resolved => "resolved",
            }
            .to_owned(),
            levels: (e.levels.iter())
                .map(|l| EscalationLevelView {
                    after: std_duration(l.after),
                    notify: l.notify.clone(),
                    repeat: l.repeat.map(std_duration),
                })
                .collect(),
        })
        .collect()
}

/// A channel without its secrets.
fn channel(name: &str, c: &Channel) -> ChannelView {
    let (target, authenticated) = match c {
        Channel::Webhook { url, secret } => (redact_url(url), secret.is_some()),
        Channel::Slack { url } | Channel::Teams { url } | Channel::Mattermost { url } => (redact_url(url), false),
        Channel::Email { smtp, to, .. } => (
            format!("to {} via {}:{}", to.join(", "), smtp.host, smtp.port),
            smtp.username.is_some(),
        ),
    };
    ChannelView {
        name: name.to_owned(),
        kind: c.kind().to_owned(),
        target,
        authenticated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_show_no_secret() {
        let webhook = Channel::Webhook {
            url: "https://user:pw@hooks.example.org:8443/T000/B000/XXXXSECRET?token=abc#frag".into(),
            secret: Some("signing-secret".into()),
        };
        let v = channel("hook", &webhook);
        assert_eq!(v.kind, "webhook");
        assert!(v.authenticated);
        let shown = serde_json::to_string(&v).expect("json");
        for secret in ["user", "pw", "XXXXSECRET", "token", "abc", "frag", "signing-secret"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(v.target.starts_with("https://hooks.example.org:8443"), "{}", v.target);
        let email = Channel::Email {
            smtp: vigil_notify::SmtpConfig {
                host: "smtp.example.org".into(),
                port: 587,
                security: vigil_notify::SmtpSecurity::Starttls,
                username: Some("relay-user".into()),
                password: Some("relay-password".into()),
                ca_file: None,
            },
            from: "vigil@example.org".into(),
            to: vec!["soc@example.org".into()],
        };
        let v = channel("mail", &email);
        let shown = serde_json::to_string(&v).expect("json");
        assert!(
            !shown.contains("relay-password") && !shown.contains("relay-user"),
            "{shown}"
        );
        assert_eq!(v.target, "to soc@example.org via smtp.example.org:587");
        assert!(v.authenticated);
    }

    #[test]
    fn the_default_matrix_reads_as_configured() {
        let m = matrix(&PriorityMatrix::default());
        assert_eq!(m.high[0], 1, "{m:?}");
        assert!(m.low[2] >= m.high[0], "{m:?}");
    }
}
