//! `GET /api/v1/oncall`: the on-call rotations of `[respond.oncall]` at the server's time.

use axum::{Json, extract::State as AxState, http::Uri};
use jiff::Timestamp;
use vigil_api_types::oncall::{OnCallList, OnCallNow};

use super::{ApiError, Ctx, Params};

/// `GET /api/v1/oncall`.
#[utoipa::path(
    get,
    path = "/api/v1/oncall",
    operation_id = "list_oncall",
    tag = "incidents",
    summary = "Who is on call",
    description = "For each on-call rotation of `[respond.oncall]`: who is on call now and whether by an override, until when (the next weekly handover, or an override's start or end), and who takes over then. Escalations and notify lists name a rotation as `oncall:<name>`.",
    responses((status = 200, description = "The rotations, by name.", body = OnCallList))
)]
pub async fn list(AxState(ctx): AxState<Ctx>, uri: Uri) -> Result<Json<OnCallList>, ApiError> {
    Params::of(&uri, &[])?;
    let at = Timestamp::now();
    let rotations = ctx
        .respond
        .oncall
        .iter()
        .map(|(name, rotation)| OnCallNow::of(name, rotation, at))
        .collect();
    Ok(Json(OnCallList { at, rotations }))
}
