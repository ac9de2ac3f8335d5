//! Webhooks against a real HTTP receiver on 127.0.0.1.

use std::time::Duration;

use vigil_notify::{Channel, NotifyError, Timeouts, verify_signature};

use crate::support::{Answer, Receiver, allow, free_port, notification, notifier};

const SECRET: &str = "whsec-test-0123";
const LOOPBACK: &[&str] = &["127.0.0.1/32"];

fn webhook(url: String) -> Channel {
    Channel::Webhook {
        url,
        secret: Some(SECRET.into()),
    }
}

#[tokio::test]
async fn webhook_is_signed_json_with_the_delivery_id() {
    let receiver = Receiver::start(Answer::status(200).body("accepted")).await;
    let n = notification();
    let channel = webhook(receiver.url("/hooks/vigil?token=abc"));

    let delivered = notifier(allow(LOOPBACK)).send(&channel, &n).await.expect("delivered");
    assert_eq!(delivered.status, Some(200));
    assert_eq!(delivered.detail, "accepted");

    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.path_and_query, "/hooks/vigil?token=abc");
    assert_eq!(req.header("x-vigil-delivery"), n.id);
    assert_eq!(req.header("content-type"), "application/json");
    let timestamp = req.header("x-vigil-timestamp");
    let age = jiff::Timestamp::now().as_second() - timestamp.parse::<i64>().expect("unix seconds");
    assert!((0..60).contains(&age), "timestamp {timestamp} is {age} s old");
    let signature = req.header("x-vigil-signature");
    assert!(signature.starts_with("sha256="), "{signature}");
    assert!(verify_signature(SECRET, timestamp, &req.body, signature));
    assert!(!verify_signature("other-secret", timestamp, &req.body, signature));

    let body: serde_json::Value = serde_json::from_slice(&req.body).expect("JSON body");
    assert_eq!(body, serde_json::to_value(&n).expect("notification as JSON"));
    assert_eq!(body["at"], "2026-12-06T10:00:00Z");
    let back: vigil_notify::Notification = serde_json::from_value(body).expect("round trip");
    assert_eq!(back, n);
}

#[tokio::test]
async fn webhook_without_secret_is_unsigned() {
    let receiver = Receiver::start(Answer::status(204)).await;
    let channel = Channel::Webhook {
        url: receiver.url("/"),
        secret: None,
    };
    let delivered = notifier(allow(LOOPBACK))
        .send(&channel, &notification())
        .await
        .expect("delivered");
    assert_eq!(delivered.status, Some(204));
    let req = &receiver.seen()[0];
    assert!(req.headers.get("x-vigil-signature").is_none());
    assert!(req.headers.get("x-vigil-timestamp").is_none());
    assert_eq!(req.header("x-vigil-delivery"), notification().id);
}

async fn answer_to(answer: Answer) -> (NotifyError, Receiver) {
    let receiver = Receiver::start(answer).await;
    let channel = webhook(receiver.url("/hook?token=very-secret"));
    let err = notifier(allow(LOOPBACK))
        .send(&channel, &notification())
        .await
        .expect_err("not delivered");
    assert_eq!(receiver.seen().len(), 1);
    assert!(!err.to_string().contains("very-secret"), "{err}");
    (err, receiver)
}

#[tokio::test]
async fn server_error_is_retryable() {
    let (err, _r) = answer_to(Answer::status(500).body("boom")).await;
    assert!(
        matches!(
            err,
            NotifyError::Retryable {
                status: Some(500),
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("boom"), "{err}");
}

#[tokio::test]
async fn bad_request_is_permanent() {
    let (err, _r) = answer_to(Answer::status(400).body("invalid_payload")).await;
    assert!(
        matches!(err, NotifyError::Permanent { status: Some(400), .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn request_timeout_status_is_retryable() {
    let (err, _r) = answer_to(Answer::status(408)).await;
    assert!(
        matches!(err, NotifyError::Retryable { status: Some(408), .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn too_many_requests_is_retryable_after_the_given_delay() {
    let (err, _r) = answer_to(Answer::status(429).header("retry-after", "7")).await;
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn redirect_is_reported_not_followed() {
    let target = Receiver::start(Answer::status(200)).await;
    let location = target.url("/elsewhere?token=very-secret");
    let (err, _r) = answer_to(Answer::status(302).header("location", location)).await;
    assert!(
        matches!(err, NotifyError::Permanent { status: Some(302), .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("redirect to 127.0.0.1"), "{err}");
    assert!(target.seen().is_empty(), "the redirect target was called");
}

#[tokio::test]
async fn slow_receiver_times_out_as_retryable() {
    let receiver = Receiver::start(Answer::status(200).delay(Duration::from_secs(5))).await;
    let timeouts = Timeouts {
        connect: Duration::from_secs(1),
        total: Duration::from_millis(300),
    };
    let notifier = vigil_notify::Notifier::with_timeouts(allow(LOOPBACK), timeouts).expect("notifier");
    let err = notifier
        .send(&webhook(receiver.url("/")), &notification())
        .await
        .expect_err("timed out");
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn closed_port_is_retryable() {
    let url = format!("http://127.0.0.1:{}/hook?token=very-secret", free_port());
    let err = notifier(allow(LOOPBACK))
        .send(&webhook(url), &notification())
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, NotifyError::Retryable { status: None, .. }), "{err:?}");
    assert!(err.to_string().contains("cannot connect to 127.0.0.1"), "{err}");
    assert!(!err.to_string().contains("very-secret"), "{err}");
}

#[tokio::test]
async fn large_answers_are_cut_short() {
    let receiver = Receiver::start(Answer::status(200).body("x".repeat(4 << 20))).await;
    let delivered = notifier(allow(LOOPBACK))
        .send(&webhook(receiver.url("/")), &notification())
        .await
        .expect("delivered");
    assert!(delivered.detail.chars().count() <= 301, "{}", delivered.detail.len());
}

#[tokio::test]
async fn chat_webhooks_post_their_payloads() {
    let receiver = Receiver::start(Answer::status(200).body("ok")).await;
    let n = notification();
    let cases = [
        (
            Channel::Slack {
                url: receiver.url("/slack"),
            },
            vigil_notify::payload::slack(&n),
        ),
        (
            Channel::Teams {
                url: receiver.url("/teams"),
            },
            vigil_notify::payload::teams(&n),
        ),
        (
            Channel::Mattermost {
                url: receiver.url("/mm"),
            },
            vigil_notify::payload::mattermost(&n),
        ),
    ];
    let notifier = notifier(allow(LOOPBACK));
    for (channel, _) in &cases {
        notifier.send(channel, &n).await.expect("delivered");
    }
    let seen = receiver.seen();
    assert_eq!(seen.len(), 3);
    for (req, (_, expected)) in seen.iter().zip(&cases) {
        let body: serde_json::Value = serde_json::from_slice(&req.body).expect("JSON");
        assert_eq!(&body, expected, "{}", req.path_and_query);
        assert_eq!(req.header("x-vigil-delivery"), n.id);
    }
}

#[tokio::test]
async fn invalid_delivery_id_is_permanent_and_sends_nothing() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let mut n = notification();
    n.id = "id\r\nX-Injected: 1".into();
    let err = notifier(allow(LOOPBACK))
        .send(&webhook(receiver.url("/")), &n)
        .await
        .expect_err("invalid id");
    assert!(matches!(err, NotifyError::Permanent { status: None, .. }), "{err:?}");
    assert!(receiver.seen().is_empty());
}
