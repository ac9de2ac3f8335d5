//! What the routes that name one object by id share: reading the `{id}` of the path, the 404 of
//! an object that is absent (or another tenant's), and the actor a change is made and audited as.

use std::net::SocketAddr;

use axum::{
    Extension,
    extract::{ConnectInfo, Path, rejection::PathRejection},
};
use vigil_api_types::access::Principal;
use vigil_api_types::audit::AuditOutcome;
use vigil_state::Actor;

use crate::{ApiError, ErrorCode, audit};

/// The kinds of object routes name by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Object {
    Alert,
    Incident,
    Suppression,
    Attachment,
    Task,
    View,
}

impl Object {
    fn name(self) -> &'static str {
        match self {
            Object::Alert => "alert",
            Object::Incident => "incident",
            Object::Suppression => "suppression",
            Object::Attachment => "attachment",
            Object::Task => "task",
            Object::View => "saved view",
        }
    }

    /// The `{id}` of the path (percent-decoded; not UTF-8 is a `bad_request`).
    pub(crate) fn path_id(self, id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
        let hint = match self {
            Object::Alert => " (32 hexadecimal digits)",
            Object::Incident | Object::Suppression | Object::Attachment | Object::Task | Object::View => "",
        };
        id.map(|Path(id)| id)
            .map_err(|_| ApiError::param("id", format!("not a valid {} id{hint}", self.name())))
    }

    /// 404: no such object in the principal's tenant, and where to find the ids.
    pub(crate) fn not_found(self, id: &str) -> ApiError {
        let list = match self {
            Object::Alert => "vigil alerts lists them",
            Object::Incident => "vigil incidents list shows them",
            Object::Suppression => "vigil suppressions list shows them",
            Object::Attachment => "vigil incidents attachments ID lists them",
            Object::Task => "vigil incidents task ID lists them",
            Object::View => "GET /api/v1/views lists those you can see",
        };
        ApiError::new(
            ErrorCode::NotFound,
            format!("no {} has the id `{id}` ({list})", self.name()),
        )
    }
}

/// The `{id}` and the second id of a route under an incident (`{aid}`, `{oid}`, `{task_id}`);
/// `sub` names the second parameter and `what` its object in the 400.
pub(crate) fn incident_sub_ids(
    ids: Result<Path<(String, String)>, PathRejection>,
    sub: &str,
    what: &str,
) -> Result<(String, String), ApiError> {
    ids.map(|Path(ids)| ids)
        .map_err(|_| ApiError::bad_request(format!("id, {sub}: not a valid incident and {what} id")))
}

/// The client's address, when the server knows it.
pub(crate) fn peer_of(peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> Option<SocketAddr> {
    peer.map(|Extension(ConnectInfo(addr))| addr)
}

/// `principal` making a change audited as `action`, from `peer`, now.
pub(crate) fn actor(principal: &Principal, action: &str, peer: Option<SocketAddr>) -> Actor {
    let ip = peer.map(|p| p.ip());
    Actor {
        id: principal.id.clone(),
        audit: audit::entry(principal, action, AuditOutcome::Success, ip),
        at: None,
    }
}
