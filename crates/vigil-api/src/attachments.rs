//! Evidence attachments of an incident over HTTP: upload (the raw body, at most `[respond]
//! attachment_max_bytes`), list (metadata), download and delete. Uploading and deleting are
//! audited (`attachment.create`, `attachment.delete`) with their timeline entry, in the
//! transaction that makes the change.
//!
//! A download is never shown inline: it is `application/octet-stream` with `Content-Disposition:
//! attachment` and `nosniff` whatever media type it was uploaded with (evidence may be malware);
//! the media type and the SHA-256 travel in their own headers.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    body::Body,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use futures_util::StreamExt as _;
use vigil_api_types::access::Principal;
use vigil_api_types::attachments::{
    Attachment, AttachmentList, DEFAULT_MAX_BYTES, DEFAULT_MEDIA_TYPE, MEDIA_TYPE_HEADER, SHA256_HEADER, base_name,
    check_description, check_media_type,
};
use vigil_api_types::error::ErrorBody;
use vigil_state::attachments::{NewAttachment, actions};

use super::objects::{Object, actor, peer_of};
use super::{ApiError, Ctx, ErrorCode, Params, records};

/// `[respond] attachment_max_bytes`: the largest attachment stored, in bytes (10 MiB unless
/// configured). Uploads are read against it, not against `[http] max_body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimit(pub u64);

impl Default for AttachmentLimit {
    fn default() -> Self {
        AttachmentLimit(DEFAULT_MAX_BYTES)
    }
}

/// The `{id}` and `{aid}` of the path.
fn path_ids(ids: Result<Path<(String, String)>, PathRejection>) -> Result<(String, String), ApiError> {
    super::objects::incident_sub_ids(ids, "aid", "attachment")
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        ErrorCode::BodyTooLarge,
        format!("the file is larger than {limit} bytes ([respond] attachment_max_bytes); nothing was stored"),
    )
}

/// The body, at most `limit` bytes: a `Content-Length` above it is refused before anything is
/// read, and a body without one is read no further than the limit.
async fn read_limited(headers: &HeaderMap, body: Body, limit: u64) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let capacity = usize::try_from(declared.unwrap_or(0).min(limit)).unwrap_or(0);
    let mut out = Vec::with_capacity(capacity);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The upload's media type: its `Content-Type` as given, or `application/octet-stream`.
fn media_type(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(DEFAULT_MEDIA_TYPE.to_owned());
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Content-Type: not printable ASCII"))?;
    check_media_type(text).map_err(|e| ApiError::bad_request(format!("Content-Type: {e}")))?;
    Ok(text.to_owned())
}

/// `POST /api/v1/incidents/{id}/attachments`: store a file.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/attachments",
    operation_id = "upload_incident_attachment",
    tag = "incidents",
    summary = "Attach evidence",
    description = "Stores the request body as an evidence attachment of the incident, with the SHA-256 and size Vigil computes; the `Content-Type` is kept as its media type (default `application/octet-stream`). At most `[respond] attachment_max_bytes` (10 MiB unless configured; `[http] max_body` does not apply); an empty file is refused. `name` is kept as its base name (a path is cut at its last `/` or `\\`). A timeline entry `attachment` names the file, size and SHA-256. Audited as `attachment.create`.",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("name" = String, Query, description = "The file's name (1 to 255 characters, no control characters)."),
        ("description" = Option<String>, Query, description = "What it is (at most 2048 characters)."),
    ),
    request_body(
        description = "The file's bytes, any media type.",
        content((String = "application/octet-stream")),
    ),
    responses(
        (status = 201, description = "Stored: its metadata.", body = Attachment),
        (status = 400, description = "`bad_request`: no name or an invalid one, an invalid description or media type, an empty file.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: the file is larger than `[respond] attachment_max_bytes`; nothing was stored.", body = ErrorBody),
    )
)]
pub async fn upload(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    let p = Params::of(&uri, &["name", "description"])?;
    let id = Object::Incident.path_id(id)?;
    let name = p
        .text("name")
        .ok_or_else(|| ApiError::param("name", "give the file's name (?name=report.pdf)"))?;
    let name = base_name(&name).map_err(ApiError::bad_request)?;
    let description = p.text("description").unwrap_or_default();
    check_description(&description).map_err(ApiError::bad_request)?;
    let media_type = media_type(&headers)?;
    let content = read_limited(&headers, body, ctx.respond.attachment_max_bytes.0).await?;
    if content.is_empty() {
        return Err(ApiError::bad_request("the file is empty: there is nothing to keep"));
    }
    let new = NewAttachment {
        name: &name,
        media_type: &media_type,
        description: &description,
        content: &content,
    };
    let who = actor(&principal, actions::CREATE, peer_of(peer));
    let stored = ctx
        .state
        .add_attachment(&principal.tenant, &id, &new, &who)
        .await
        .map_err(|e| records::state_error("storing an attachment", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `GET /api/v1/incidents/{id}/attachments`.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/attachments",
    operation_id = "list_incident_attachments",
    tag = "incidents",
    summary = "List attachments",
    description = "The incident's attachments, oldest first: name, media type, size, SHA-256, who added them and when (not their content).",
    params(("id" = String, Path, description = "The incident's id.")),
    responses(
        (status = 200, description = "The attachments.", body = AttachmentList),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<AttachmentList>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let attachments = ctx
        .state
        .list_attachments(&principal.tenant, &id)
        .await
        .map_err(|e| records::state_error("listing attachments", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    Ok(Json(AttachmentList { attachments }))
}

/// `Content-Disposition: attachment` with the name as an ASCII fallback and as RFC 8187 UTF-8.
fn disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// `GET /api/v1/incidents/{id}/attachments/{aid}`: the content, as a download.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/attachments/{aid}",
    operation_id = "download_incident_attachment",
    tag = "incidents",
    summary = "Download an attachment",
    description = "The attachment's bytes as stored, always as `application/octet-stream` with `Content-Disposition: attachment` (never shown inline: evidence may be malware). `X-Vigil-Sha256` carries the SHA-256 Vigil computed when it was stored (check it after the download), `X-Vigil-Media-Type` the media type it was uploaded with.",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("aid" = String, Path, description = "The attachment's id."),
    ),
    responses(
        (status = 200, description = "The content.", content((String = "application/octet-stream")),
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"…\"; filename*=UTF-8''…`."),
                ("X-Vigil-Sha256" = String, description = "Lower-case hex SHA-256 of the content."),
                ("X-Vigil-Media-Type" = String, description = "The media type it was uploaded with."),
            )),
        (status = 404, description = "`not_found`: the incident has no such attachment, or no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn download(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    Params::of(&uri, &[])?;
    let (id, aid) = path_ids(ids)?;
    let (a, content) = ctx
        .state
        .get_attachment(&principal.tenant, &id, &aid)
        .await
        .map_err(|e| records::state_error("reading an attachment", e))?
        .ok_or_else(|| Object::Attachment.not_found(&aid))?;
    let value = |text: &str| HeaderValue::from_str(text).map_err(|e| ApiError::internal("an attachment's header", &e));
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_DISPOSITION, value(&disposition(&a.name))?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(SHA256_HEADER, value(&a.sha256)?);
    headers.insert(MEDIA_TYPE_HEADER, value(&a.media_type)?);
    Ok(response)
}

/// `DELETE /api/v1/incidents/{id}/attachments/{aid}`.
#[utoipa::path(
    delete,
    path = "/api/v1/incidents/{id}/attachments/{aid}",
    operation_id = "delete_incident_attachment",
    tag = "incidents",
    summary = "Delete an attachment",
    description = "Deletes the attachment; the timeline keeps an `attachment_deleted` entry naming its file and SHA-256, and the audit trail its metadata (`attachment.delete`).",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("aid" = String, Path, description = "The attachment's id."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "`not_found`: the incident has no such attachment, or no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn delete(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    Params::of(&uri, &[])?;
    let (id, aid) = path_ids(ids)?;
    let who = actor(&principal, actions::DELETE, peer_of(peer));
    ctx.state
        .delete_attachment(&principal.tenant, &id, &aid, &who)
        .await
        .map_err(|e| records::state_error("deleting an attachment", e))?
        .ok_or_else(|| Object::Attachment.not_found(&aid))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The attachments of `id` for its export (none when it has none or is gone meanwhile).
pub(crate) async fn of_incident(ctx: &Ctx, tenant: &str, id: &str) -> Result<Vec<Attachment>, ApiError> {
    Ok(ctx
        .state
        .list_attachments(tenant, id)
        .await
        .map_err(|e| records::state_error("listing attachments", e))?
        .unwrap_or_default())
}

/// The report's rows of attachments: (name, "size bytes, media type, sha256 …, by … at …").
pub(crate) fn report_rows(attachments: &[Attachment]) -> Vec<(String, String)> {
    if attachments.is_empty() {
        return vec![("Files".into(), "none".into())];
    }
    attachments
        .iter()
        .map(|a| {
            let mut text = format!(
                "{} bytes, {}, sha256 {}, added by {} at {}",
                a.size,
                a.media_type,
                a.sha256,
                a.created_by,
                a.created.strftime("%Y-%m-%d %H:%M:%S UTC")
            );
            if !a.description.is_empty() {
                text.push_str(&format!(": {}", a.description));
            }
            (a.name.clone(), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disposition_is_a_download_with_a_safe_and_an_exact_name() {
        assert_eq!(
            disposition("report 1.pdf"),
            "attachment; filename=\"report 1.pdf\"; filename*=UTF-8''report%201.pdf"
        );
        assert_eq!(
            disposition("évi\"dence;.exe"),
            "attachment; filename=\"_vi_dence;.exe\"; filename*=UTF-8''%C3%A9vi%22dence%3B.exe"
        );
    }

    #[tokio::test]
    async fn a_body_is_read_up_to_the_limit_only() {
        let headers = HeaderMap::new();
        let ok = read_limited(&headers, Body::from(vec![7u8; 10]), 10)
            .await
            .expect("fits");
        assert_eq!(ok.len(), 10);
        let err = read_limited(&headers, Body::from(vec![7u8; 11]), 10)
            .await
            .expect_err("too large");
        assert_eq!(err.code, ErrorCode::BodyTooLarge);
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("11"));
        let err = read_limited(&declared, Body::empty(), 10)
            .await
            .expect_err("declared too large");
        assert_eq!(err.code, ErrorCode::BodyTooLarge);
    }

    #[test]
    fn the_media_type_is_kept_as_given_or_defaults() {
        let mut headers = HeaderMap::new();
        assert_eq!(media_type(&headers).expect("default"), DEFAULT_MEDIA_TYPE);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        assert_eq!(media_type(&headers).expect("given"), "text/html; charset=utf-8");
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("html"));
        assert!(media_type(&headers).is_err());
    }
}
