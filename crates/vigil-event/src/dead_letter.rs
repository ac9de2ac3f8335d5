//! Why a record became a dead letter: one table of stable codes for every place that rejects a
//! record (the inputs' framing and decoding, the parsers, the pipeline). Codes are part of the
//! contract with operators (dashboards, alerts, `GET /api/v1/dead-letters?code=`): never rename one,
//! only add. A cause that had two names keeps the other as a *former* name, which still reads
//! (stored letters, filters) as the code it became.

use std::fmt;

macro_rules! dead_letter_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal $(, was [$($old:literal),+])? : $meaning:literal; )*) => {
        /// A stable dead-letter code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DeadLetterCode {
            $( $(#[$doc])* $variant, )*
        }

        impl DeadLetterCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [DeadLetterCode] = &[$(DeadLetterCode::$variant),*];

            /// The code as stored and sent.
            pub const fn as_str(self) -> &'static str {
                match self { $(DeadLetterCode::$variant => $code,)* }
            }

            /// What it means, for people (documentation).
            pub const fn meaning(self) -> &'static str {
                match self { $(DeadLetterCode::$variant => $meaning,)* }
            }

            /// Names this code had before it was unified with another of the same cause.
            pub const fn former_names(self) -> &'static [&'static str] {
                match self { $(DeadLetterCode::$variant => &[$($($old),+)?],)* }
            }
        }
    };
}

dead_letter_codes! {
    TooLarge = "too_large", was ["frame_too_large"]:
        "A record is larger than a limit it met: a syslog frame over `[syslog] max_message`, a record larger than the spool can take, a line over the parser's limit.";
    BadOctetCount = "bad_octet_count":
        "An octet-counted syslog frame does not start with a valid `LEN SP` header; the connection is closed.";
    TruncatedFrame = "truncated_frame":
        "The connection ended in the middle of an octet-counted syslog frame.";
    InvalidJson = "invalid_json", was ["bad_json"]:
        "A record that must be JSON is not (a syntax error; on the HTTP inputs also a JSON value that is not an object).";
    NotAnObject = "not_an_object":
        "A JSON line parsed, but is not an object (an array, a string, a number).";
    BadBulkAction = "bad_bulk_action":
        "An Elasticsearch `_bulk` action/metadata line is malformed (the whole request is refused).";
    MissingSource = "missing_source":
        "A `_bulk` `index`/`create` action without a source line.";
    MissingIndex = "missing_index":
        "A `_bulk` action names no index (neither `_index` nor the URL).";
    UnsupportedAction = "unsupported_action":
        "A `_bulk` `delete` or `update` action: Vigil only appends.";
    BadEnvelope = "bad_envelope":
        "A Splunk HEC envelope is invalid (not an object, bad `time`, bad `fields`, missing or blank `event`).";
    BadProtobuf = "bad_protobuf":
        "An OTLP protobuf body does not decode.";
    BadOtlpRecord = "bad_otlp_record":
        "One OTLP/JSON log record is malformed (the others of the request are accepted).";
    BadEncoding = "bad_encoding":
        "A compressed body does not decompress.";
    InvalidSyslog = "invalid_syslog":
        "A syslog message does not parse as RFC 3164 or RFC 5424.";
    InvalidCef = "invalid_cef":
        "A CEF record does not parse.";
    InvalidAuditd = "invalid_auditd":
        "An auditd record does not parse.";
    InvalidEvtx = "invalid_evtx":
        "An EVTX record does not parse.";
    NotUtf8 = "not_utf8":
        "A text record is not valid UTF-8.";
    Empty = "empty":
        "An empty record.";
    IoError = "io_error":
        "The input could not be read (files).";
    BadSpoolRecord = "bad_spool_record":
        "A spooled record could not be decoded (damage on disk, or a spool written by an incompatible version).";
}

impl DeadLetterCode {
    /// The code named `text`, by its name or by a former name.
    pub fn parse(text: &str) -> Option<DeadLetterCode> {
        DeadLetterCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == text || c.former_names().contains(&text))
    }

    /// A stored code as it reads today: a former name becomes the code it was unified into; any
    /// other text is kept as it is.
    pub fn canonical(stored: &str) -> &str {
        match DeadLetterCode::parse(stored) {
            Some(code) => code.as_str(),
            None => stored,
        }
    }

    /// The code and its former names: every spelling a stored letter of this cause may have.
    pub fn spellings(self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.as_str()).chain(self.former_names().iter().copied())
    }

    /// The table as Markdown (code, former names, meaning), for the documentation.
    pub fn markdown_table() -> String {
        let mut out = String::from("| code | formerly | meaning |\n|---|---|---|\n");
        for c in DeadLetterCode::ALL {
            let former: Vec<String> = c.former_names().iter().map(|n| format!("`{n}`")).collect();
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.as_str(),
                former.join(", "),
                c.meaning()
            ));
        }
        out
    }
}

impl fmt::Display for DeadLetterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_former_names_read_as_today() {
        let mut names: Vec<&str> = DeadLetterCode::ALL.iter().flat_map(|c| c.spellings()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a name is used twice");
        assert_eq!(DeadLetterCode::parse("bad_json"), Some(DeadLetterCode::InvalidJson));
        assert_eq!(DeadLetterCode::canonical("bad_json"), "invalid_json");
        assert_eq!(DeadLetterCode::canonical("frame_too_large"), "too_large");
        assert_eq!(DeadLetterCode::canonical("something_else"), "something_else");
        let spellings: Vec<_> = DeadLetterCode::InvalidJson.spellings().collect();
        assert_eq!(spellings, ["invalid_json", "bad_json"]);
        assert!(DeadLetterCode::markdown_table().contains("| `invalid_json` | `bad_json` |"));
    }
}
