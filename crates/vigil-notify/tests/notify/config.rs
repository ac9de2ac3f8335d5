//! Channels and the policy as read from TOML configuration.

use std::path::PathBuf;

use serde::Deserialize;
use vigil_notify::{Channel, OutboundPolicy, SmtpConfig, SmtpSecurity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    outbound: OutboundPolicy,
    channel: Vec<Channel>,
}

const CONFIG: &str = r#"
[outbound]
allow = ["chat.internal", "10.20.0.0/16"]

[[channel]]
type = "webhook"
url = "https://soar.example.com/hooks/vigil"
secret = "s3cret"

[[channel]]
type = "slack"
url = "https://hooks.slack.com/services/T0/B0/XXXX"

[[channel]]
type = "teams"
url = "https://example.webhook.office.com/webhookb2/XXXX"

[[channel]]
type = "mattermost"
url = "http://chat.internal/hooks/XXXX"

[[channel]]
type = "email"
from = "vigil@example.com"
to = ["soc@example.com"]
smtp = { host = "smtp.example.com", port = 587, security = "starttls", username = "vigil", password = "pw", ca_file = "/etc/vigil/ca.pem" }
"#;

#[test]
fn channels_read_from_toml() {
    let config: Config = toml::from_str(CONFIG).expect("valid config");
    assert_eq!(config.outbound.allow, ["chat.internal", "10.20.0.0/16"]);
    assert!(!config.outbound.allow_private);
    let kinds: Vec<&str> = config.channel.iter().map(Channel::kind).collect();
    assert_eq!(kinds, ["webhook", "slack", "teams", "mattermost", "email"]);
    assert_eq!(
        config.channel[4],
        Channel::Email {
            smtp: SmtpConfig {
                host: "smtp.example.com".into(),
                port: 587,
                security: SmtpSecurity::Starttls,
                username: Some("vigil".into()),
                password: Some("pw".into()),
                ca_file: Some(PathBuf::from("/etc/vigil/ca.pem")),
            },
            from: "vigil@example.com".into(),
            to: vec!["soc@example.com".into()],
        }
    );
    vigil_notify::Notifier::new(config.outbound).expect("valid policy");
}

#[test]
fn unknown_fields_and_types_are_rejected() {
    for bad in [
        "type = \"slack\"\nurl = \"https://x\"\nchannel = \"#soc\"",
        "type = \"webhook\"\nurl = \"https://x\"\nsecrett = \"typo\"",
        "type = \"pager\"\nurl = \"https://x\"",
        "type = \"email\"\nfrom = \"a@b\"\nto = []\nsmtp = { host = \"h\", port = 25, security = \"ssl\" }",
        "type = \"email\"\nfrom = \"a@b\"\nto = []\nsmtp = { host = \"h\", port = 25, security = \"none\", pass = \"x\" }",
    ] {
        assert!(toml::from_str::<Channel>(bad).is_err(), "accepted: {bad}");
    }
    assert!(toml::from_str::<OutboundPolicy>("allow = []\nallow_all = true").is_err());
}
