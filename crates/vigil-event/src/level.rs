//! Sigma levels: the one definition every crate parses, ranks and names them with (rule filters,
//! the alert store, the API's `min_level`, the configuration).

use std::fmt;
use std::str::FromStr;

/// A Sigma rule's level, in ascending severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

/// A text that is not a level; its `Display` names the valid ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLevel(pub String);

impl fmt::Display for UnknownLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a level: use informational, low, medium, high or critical",
            self.0
        )
    }
}

impl std::error::Error for UnknownLevel {}

impl Level {
    /// Every level, least severe first.
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    /// The lowercase name Sigma uses.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// 0 (informational) … 4 (critical).
    pub const fn rank(self) -> u8 {
        self as u8
    }

    /// Reads a level: its name in any case, or the short forms `info`, `med` and `crit`;
    /// surrounding spaces are ignored.
    pub fn parse(text: &str) -> Result<Level, UnknownLevel> {
        let t = text.trim();
        let found = Level::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(t));
        found
            .or(match t.to_ascii_lowercase().as_str() {
                "info" => Some(Level::Informational),
                "med" => Some(Level::Medium),
                "crit" => Some(Level::Critical),
                _ => None,
            })
            .ok_or_else(|| UnknownLevel(text.to_string()))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Level, UnknownLevel> {
        Level::parse(s)
    }
}

impl serde::Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Level::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ranks_and_short_forms() {
        assert_eq!(Level::parse("HIGH"), Ok(Level::High));
        assert_eq!(Level::parse(" crit "), Ok(Level::Critical));
        assert_eq!(Level::parse("info"), Ok(Level::Informational));
        assert_eq!(Level::parse("med"), Ok(Level::Medium));
        let ranks: Vec<u8> = Level::ALL.iter().map(|l| l.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        for l in Level::ALL {
            assert_eq!(l.name().parse::<Level>(), Ok(l));
        }
        let e = Level::parse("hihg").expect_err("typo");
        assert_eq!(
            e.to_string(),
            "`hihg` is not a level: use informational, low, medium, high or critical"
        );
        assert!(Level::Low < Level::High);
        let json: Level = serde_json::from_str("\"Medium\"").expect("level");
        assert_eq!(json, Level::Medium);
        assert!(serde_json::from_str::<Level>("\"severe\"").is_err());
        assert_eq!(serde_json::to_string(&Level::High).expect("json"), "\"high\"");
    }
}
