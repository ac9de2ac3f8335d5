//! Reading wildcard patterns.

/// One piece of a [`Query::Wildcard`](crate::Query::Wildcard) pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternPart {
    /// This character, literally.
    Char(char),
    /// `*`: any run of characters, possibly empty.
    AnyString,
    /// `?`: exactly one character.
    AnyChar,
}

/// Splits a wildcard pattern into literal characters and wildcards (`\x` is the literal `x`).
///
/// ```
/// use vigil_query::{pattern_parts, PatternPart::*};
/// assert_eq!(pattern_parts(r"a\*?*"), vec![Char('a'), Char('*'), AnyChar, AnyString]);
/// ```
pub fn pattern_parts(pattern: &str) -> Vec<PatternPart> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => match chars.next() {
                Some(next) => PatternPart::Char(next),
                None => PatternPart::Char('\\'),
            },
            '*' => PatternPart::AnyString,
            '?' => PatternPart::AnyChar,
            c => PatternPart::Char(c),
        });
    }
    out
}

/// Appends one literal character to a pattern in canonical form.
pub(crate) fn push_literal(pattern: &mut String, c: char) {
    if matches!(c, '*' | '?' | '\\') {
        pattern.push('\\');
    }
    pattern.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_round_trip() {
        let mut p = String::new();
        for c in ['a', '*', '\\', '?', ' '] {
            push_literal(&mut p, c);
        }
        p.push('*');
        assert_eq!(
            pattern_parts(&p),
            vec![
                PatternPart::Char('a'),
                PatternPart::Char('*'),
                PatternPart::Char('\\'),
                PatternPart::Char('?'),
                PatternPart::Char(' '),
                PatternPart::AnyString
            ]
        );
    }

    #[test]
    fn trailing_backslash_is_literal() {
        assert_eq!(
            pattern_parts("a\\"),
            vec![PatternPart::Char('a'), PatternPart::Char('\\')]
        );
    }
}
