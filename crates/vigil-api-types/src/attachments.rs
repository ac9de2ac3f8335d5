//! Evidence attachments of an incident: `/api/v1/incidents/{id}/attachments` and
//! `/api/v1/incidents/{id}/attachments/{aid}`.
//!
//! A file is uploaded as the raw request body (`?name=…&description=…`, its media type as the
//! `Content-Type`); Vigil stores it with the SHA-256 it computed and its size, never changes it,
//! and serves it back only as a download (`application/octet-stream`, `Content-Disposition:
//! attachment`): evidence may be malware.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::incidents::Incident;

/// `[respond] attachment_max_bytes` unless configured: the largest attachment stored, in bytes.
pub const DEFAULT_MAX_BYTES: u64 = 10 << 20;
/// Longest file name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2048;
/// Longest media type, in bytes.
pub const MAX_MEDIA_TYPE_BYTES: usize = 255;
/// The media type of an upload that names none.
pub const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";
/// The header a download carries its SHA-256 in (lower-case hex).
pub const SHA256_HEADER: &str = "x-vigil-sha256";
/// The header a download carries the media type it was uploaded with in (its `Content-Type` is
/// always `application/octet-stream`).
pub const MEDIA_TYPE_HEADER: &str = "x-vigil-media-type";

/// An attachment's metadata (its content is downloaded on its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    /// `att-` and 16 hexadecimal digits.
    pub id: String,
    pub incident_id: String,
    /// The file's base name, as uploaded.
    pub name: String,
    /// The media type it was uploaded with (never used to serve it).
    pub media_type: String,
    /// Bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content, computed by Vigil when it was stored.
    pub sha256: String,
    pub description: String,
    pub created: Timestamp,
    /// The principal who uploaded it.
    pub created_by: String,
}

/// `GET /api/v1/incidents/{id}/attachments`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    pub attachments: Vec<Attachment>,
}

/// `GET /api/v1/incidents/{id}/export?format=json`: the incident with its timeline and SLA
/// timers, and the metadata of its attachments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentExport {
    #[serde(flatten)]
    pub incident: Incident,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Its observables, with their related incidents.
    #[serde(default)]
    pub observables: Vec<crate::observables::Observable>,
}

/// The base name of an uploaded file's `name`: what follows its last `/` or `\` (a client may
/// send a whole path). Refused: a name that is empty or only dots there, longer than
/// [`MAX_NAME_CHARS`], or with control characters or bidirectional overrides (which make
/// `invoice\u{202e}fdp.exe` read as `invoiceexe.pdf`).
pub fn base_name(name: &str) -> Result<String, String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base.chars().all(|c| c == '.') {
        return Err("name: give the file's name (not empty, not a directory)".into());
    }
    if base.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name: at most {MAX_NAME_CHARS} characters"));
    }
    if base.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err("name: control characters and bidirectional overrides are not allowed".into());
    }
    Ok(base.to_owned())
}

/// Unicode's explicit bidirectional formatting characters.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A description: at most [`MAX_DESCRIPTION_CHARS`], no control characters but line breaks and
/// tabs (empty is allowed).
pub fn check_description(text: &str) -> Result<(), String> {
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!("description: at most {MAX_DESCRIPTION_CHARS} characters"));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
        return Err("description: control characters are not allowed".into());
    }
    Ok(())
}

/// A media type as given (`type/subtype`, parameters allowed), checked to be printable ASCII of
/// that shape and at most [`MAX_MEDIA_TYPE_BYTES`] long; it is kept as given.
pub fn check_media_type(media: &str) -> Result<(), String> {
    let problem = || Err(format!("media type `{}`: not `type/subtype`", media.escape_default()));
    if media.len() > MAX_MEDIA_TYPE_BYTES || !media.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return problem();
    }
    let essence = media.split(';').next().unwrap_or("").trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => Ok(()),
        _ => problem(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_becomes_its_base_name() {
        assert_eq!(base_name("report.pdf").as_deref(), Ok("report.pdf"));
        assert_eq!(base_name("../../etc/passwd").as_deref(), Ok("passwd"));
        assert_eq!(base_name(r"C:\Users\bob\dropper.exe").as_deref(), Ok("dropper.exe"));
        assert_eq!(
            base_name("évidence capture.pcap").as_deref(),
            Ok("évidence capture.pcap")
        );
        for bad in [
            "",
            "dir/",
            "..",
            "a/..",
            "x\u{1b}[31m.txt",
            "a\nb",
            "invoice\u{202e}fdp.exe",
        ] {
            assert!(base_name(bad).is_err(), "{bad:?}");
        }
        assert!(base_name(&"a".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn media_types_are_type_slash_subtype() {
        for ok in [
            "application/pdf",
            "text/plain; charset=utf-8",
            "application/vnd.tcpdump.pcap",
        ] {
            assert_eq!(check_media_type(ok), Ok(()), "{ok}");
        }
        for bad in ["", "pdf", "text/", "/x", "text/plain\r\nX: y", "tëxt/plain"] {
            assert!(check_media_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn descriptions_keep_line_breaks_only() {
        assert!(check_description("").is_ok());
        assert!(check_description("line one\nline two").is_ok());
        assert!(check_description("bell\u{7}").is_err());
    }
}
