//! The one error type of the response domain.

/// Why a value of the response domain was refused.
///
/// Messages are written for people (an analyst reading an API answer or an operator reading a
/// configuration check): they name the offending value and list what would have been accepted.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RespondError {
    /// A value that is not part of the domain (unknown name, out of range, forbidden transition).
    #[error("{0}")]
    Invalid(String),
}

impl RespondError {
    /// Shorthand for [`RespondError::Invalid`].
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}

/// `text` quoted for an error message, cut to a readable length on a character boundary.
pub(crate) fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{head:?}…")
    } else {
        format!("{head:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_cuts_long_input_on_a_char_boundary() {
        let long = "é".repeat(200);
        let q = quoted(&long);
        assert!(q.ends_with('…'));
        assert_eq!(q.chars().filter(|c| *c == 'é').count(), 80);
        assert_eq!(quoted("a:b"), "\"a:b\"");
    }
}
