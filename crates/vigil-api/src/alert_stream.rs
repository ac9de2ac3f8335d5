//! `GET /api/v1/alerts/stream`: the live alert queue as Server-Sent Events.
//!
//! Every insert and update of an alert row moves it past the state's change cursor
//! ([`vigil_state::alert_stream`]); a connection follows that cursor for its principal's tenant.
//! It looks at the cursor's clock (one row read by primary key) every [`POLL`], and only when the
//! clock moved reads the tenant's changed alerts (an indexed range): work per connection is
//! bounded whatever the alert rate, and writers in other processes (PostgreSQL) are seen too.
//!
//! A connection lives at most [`LIFETIME`]; the browser's `EventSource` then reconnects with
//! `Last-Event-ID` and loses nothing, and the reconnection authenticates again (a revoked key or
//! an expired session stops receiving). The request spends one unit of the principal's rate
//! limit; the events spend none.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::{
    Extension,
    extract::State as AxState,
    http::{HeaderMap, Uri},
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::stream::{self, Stream};
use tokio::time::Instant;
use vigil_api_types::access::Principal;
use vigil_api_types::console::{AlertStreamEvent, AlertStreamMessage, MAX_STREAM_BATCH};
use vigil_api_types::error::ErrorBody;

use crate::{ApiError, Ctx, Params, records::state_error};

/// How often a connection looks at the change clock.
pub const POLL: Duration = Duration::from_millis(500);
/// The comment sent when nothing else was (proxies and the connection's idle timeout).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long one connection lives before the client reconnects (and authenticates again).
pub const LIFETIME: Duration = Duration::from_secs(600);
/// What the client waits before reconnecting, in milliseconds (the `retry:` field).
const RETRY_MS: u64 = 2000;

/// Open streams, for `/metrics`.
static OPEN_STREAMS: AtomicU64 = AtomicU64::new(0);

/// The `/metrics` lines of the streams.
pub fn render_metrics() -> String {
    format!(
        "# HELP vigil_alert_streams_open Open live alert streams (GET /api/v1/alerts/stream).\n\
         # TYPE vigil_alert_streams_open gauge\nvigil_alert_streams_open {}\n",
        OPEN_STREAMS.load(Ordering::Relaxed)
    )
}

/// Counts a stream open while it lives.
struct OpenGuard;

impl OpenGuard {
    fn new() -> Self {
        OPEN_STREAMS.fetch_add(1, Ordering::Relaxed);
        OpenGuard
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        OPEN_STREAMS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What one connection follows.
struct Follow {
    ctx: Ctx,
    tenant: String,
    cursor: i64,
    /// The event to send before polling (the position, or a reset), with the `retry:` field.
    first: Option<AlertStreamEvent>,
    ends: Instant,
    _open: OpenGuard,
}

fn read_cursor(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|n| *n >= 0)
}

fn event_of(batch: &AlertStreamEvent) -> Event {
    let data = serde_json::to_string(batch).unwrap_or_else(|_| "{}".into());
    Event::default().event("alerts").id(batch.cursor.clone()).data(data)
}

fn position(cursor: i64, reset: bool) -> AlertStreamEvent {
    AlertStreamEvent {
        cursor: cursor.to_string(),
        alerts: Vec::new(),
        reset,
    }
}

/// `GET /api/v1/alerts/stream`.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/stream",
    operation_id = "stream_alerts",
    tag = "alerts",
    summary = "Follow alert changes live",
    description = "Server-Sent Events (`text/event-stream`) of the principal's tenant's alerts as they are created or change (a new alert, a grouped hit, a triage change, a suppression, an incident link). Each `event: alerts` has `id: <cursor>` and a JSON `data` of type `AlertStreamEvent`: the changed alerts as `GET /api/v1/alerts` gives them, at most 500; when more changed at once, or the cursor is not one this server gave, `reset` is true and `alerts` empty: list the alerts again and follow the new cursor. The first event is the stream's position (no alerts; with `retry:`): without a cursor the current one — open the stream, then list, and nothing is missed; with a cursor that cursor (or a reset). Resume with `Last-Event-ID` (sent by `EventSource` when it reconnects) or `?cursor=`; `Last-Event-ID` wins. A comment keeps the connection alive every 15 s; a connection ends after 10 minutes and `EventSource` reconnects (authenticating again). The request costs one unit of the rate limit; the events cost none.",
    params(("cursor" = Option<String>, Query, description = "Resume after this cursor (an event's `id`).")),
    responses(
        (status = 200, description = "The event stream: `AlertStreamMessage` describes each event, whose `data` is an `AlertStreamEvent` as JSON.", content_type = "text/event-stream", body = AlertStreamMessage),
        (status = 400, description = "`bad_request`: `cursor` is not a cursor, or an unknown parameter.", body = ErrorBody),
    )
)]
pub async fn stream(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let p = Params::of(&uri, &["cursor"])?;
    let query_cursor = p.read("cursor", |v| {
        read_cursor(v).ok_or_else(|| format!("`{v}` is not a cursor (the `id` of an event of this stream)"))
    })?;
    let last_event_id = headers
        .get("last-event-id")
        .map(|v| v.to_str().ok().and_then(read_cursor));
    let clock = ctx
        .state
        .alert_change_cursor()
        .await
        .map_err(|e| state_error("reading the alert change cursor", e))?;
    let asked = match last_event_id {
        Some(header) => Some(header.ok_or(())),
        None => query_cursor.map(Ok),
    };
    let (cursor, reset) = match asked {
        None => (clock, false),
        Some(Ok(c)) if c <= clock => (c, false),
        // A cursor this server never gave (or one from before a restore): start again.
        Some(_) => (clock, true),
    };
    let follow = Follow {
        ctx,
        tenant: principal.tenant.clone(),
        cursor,
        first: Some(position(cursor, reset)),
        ends: Instant::now() + LIFETIME,
        _open: OpenGuard::new(),
    };
    let events = stream::unfold(follow, next_event);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// Waits for the next batch of the connection's tenant; `None` ends the stream (its lifetime is
/// over, or the state failed: the client reconnects).
async fn next_event(mut f: Follow) -> Option<(Result<Event, Infallible>, Follow)> {
    if let Some(first) = f.first.take() {
        let event = event_of(&first).retry(Duration::from_millis(RETRY_MS));
        return Some((Ok(event), f));
    }
    loop {
        tokio::time::sleep(POLL).await;
        if Instant::now() >= f.ends {
            return None;
        }
        let clock = match f.ctx.state.alert_change_cursor().await {
            Ok(clock) => clock,
            Err(e) => return failed(&e),
        };
        if clock <= f.cursor {
            continue;
        }
        let limit = u32::try_from(MAX_STREAM_BATCH).unwrap_or(u32::MAX);
        let changes = match f
            .ctx
            .state
            .alerts_changed_after(&f.tenant, f.cursor, clock, limit)
            .await
        {
            Ok(changes) => changes,
            Err(e) => return failed(&e),
        };
        f.cursor = clock;
        let batch = if changes.more {
            position(clock, true)
        } else if changes.alerts.is_empty() {
            continue;
        } else {
            AlertStreamEvent {
                cursor: clock.to_string(),
                alerts: changes.alerts,
                reset: false,
            }
        };
        return Some((Ok(event_of(&batch)), f));
    }
}

fn failed<T>(e: &vigil_state::StateError) -> Option<T> {
    tracing::warn!(error = %e, "the live alert stream could not read the state; the client reconnects");
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_non_negative_numbers() {
        assert_eq!(read_cursor("42"), Some(42));
        assert_eq!(read_cursor(" 0 "), Some(0));
        assert_eq!(read_cursor("-1"), None);
        assert_eq!(read_cursor("abc"), None);
    }

    #[test]
    fn a_reset_says_so_and_a_batch_does_not() {
        let text = serde_json::to_string(&position(7, true)).unwrap();
        assert_eq!(text, r#"{"cursor":"7","alerts":[],"reset":true}"#);
        let text = serde_json::to_string(&position(7, false)).unwrap();
        assert_eq!(text, r#"{"cursor":"7","alerts":[]}"#);
    }
}
