//! Severity: how bad an alert or incident is, from 1 (low) to 4 (critical).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::error::{RespondError, quoted};

/// How bad an alert or incident is: 1 low, 2 medium, 3 high, 4 critical.
///
/// On the wire it is the bare number; any other number is refused when deserializing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Severity(u8);

const NAMES: [&str; 4] = ["low", "medium", "high", "critical"];

impl Severity {
    /// 1: low.
    pub const LOW: Self = Self(1);
    /// 2: medium.
    pub const MEDIUM: Self = Self(2);
    /// 3: high.
    pub const HIGH: Self = Self(3);
    /// 4: critical.
    pub const CRITICAL: Self = Self(4);
    /// Every severity, lowest first.
    pub const ALL: [Self; 4] = [Self::LOW, Self::MEDIUM, Self::HIGH, Self::CRITICAL];

    /// The number, 1..=4.
    pub fn get(self) -> u8 {
        self.0
    }

    /// The name: `low`, `medium`, `high` or `critical`.
    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0.clamp(1, 4) - 1)]
    }

    /// The severity with this exact name (`low`, `medium`, `high`, `critical`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Maps a Sigma rule `level` (case-insensitive): `informational` and `low` → low, `medium` →
    /// medium, `high` → high, `critical` → critical; anything else (missing, misspelt) → medium.
    pub fn from_sigma_level(level: &str) -> Severity {
        match level.trim().to_ascii_lowercase().as_str() {
            "informational" | "low" => Self::LOW,
            "high" => Self::HIGH,
            "critical" => Self::CRITICAL,
            _ => Self::MEDIUM,
        }
    }
}

impl TryFrom<u8> for Severity {
    type Error = RespondError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        if (1..=4).contains(&value) {
            Ok(Self(value))
        } else {
            Err(RespondError::invalid(format!(
                "severity {value} is out of range; use 1 (low), 2 (medium), 3 (high) or 4 (critical)"
            )))
        }
    }
}

impl From<Severity> for u8 {
    fn from(severity: Severity) -> u8 {
        severity.0
    }
}

impl std::str::FromStr for Severity {
    type Err = RespondError;

    /// Accepts the number (`"3"`) or the name (`"high"`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(found) = Self::from_name(text) {
            return Ok(found);
        }
        match text.parse::<u8>() {
            Ok(number) => Self::try_from(number),
            Err(_) => Err(RespondError::invalid(format!(
                "unknown severity {}; use 1-4 or low, medium, high, critical",
                quoted(text)
            ))),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl utoipa::PartialSchema for Severity {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(4))
            .description(Some("Severity: 1 low, 2 medium, 3 high, 4 critical."))
            .examples([3])
            .into()
    }
}

impl utoipa::ToSchema for Severity {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        let names: Vec<_> = Severity::ALL.iter().map(|s| (s.get(), s.name())).collect();
        assert_eq!(names, [(1, "low"), (2, "medium"), (3, "high"), (4, "critical")]);
        assert!(Severity::try_from(0).is_err());
        assert!(Severity::try_from(5).is_err());
        assert_eq!(Severity::try_from(4), Ok(Severity::CRITICAL));
        assert_eq!("high".parse::<Severity>(), Ok(Severity::HIGH));
        assert_eq!("2".parse::<Severity>(), Ok(Severity::MEDIUM));
        assert!("9".parse::<Severity>().is_err());
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::LOW < Severity::CRITICAL);
        assert_eq!(Severity::HIGH.to_string(), "high");
    }

    #[test]
    fn serde_is_a_validated_number() {
        assert_eq!(serde_json::to_string(&Severity::HIGH).ok(), Some("3".to_owned()));
        assert_eq!(serde_json::from_str::<Severity>("1").ok(), Some(Severity::LOW));
        let err = serde_json::from_str::<Severity>("7").map_err(|e| e.to_string());
        assert!(matches!(err, Err(m) if m.contains("out of range")));
        assert!(serde_json::from_str::<Severity>("\"high\"").is_err());
        assert!(serde_json::from_str::<Severity>("-1").is_err());
    }

    #[test]
    fn sigma_levels() {
        let cases = [
            ("informational", 1),
            ("low", 1),
            ("medium", 2),
            ("high", 3),
            ("critical", 4),
            ("Critical", 4),
            ("", 2),
            ("severe", 2),
        ];
        for (level, expected) in cases {
            assert_eq!(Severity::from_sigma_level(level).get(), expected, "{level}");
        }
    }

    #[test]
    fn schema_is_an_integer_from_1_to_4() {
        let schema = <Severity as utoipa::PartialSchema>::schema();
        let json = serde_json::to_value(&schema).unwrap_or_default();
        assert_eq!(json["type"], "integer");
        assert_eq!(json["minimum"], 1);
        assert_eq!(json["maximum"], 4);
        assert_eq!(<Severity as utoipa::ToSchema>::name(), "Severity");
    }
}
