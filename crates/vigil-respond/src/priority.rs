//! Priority from impact and urgency, as ITIL defines it.
//!
//! Impact is how much of the business is affected, urgency how fast it gets worse; the matrix of
//! the two gives a priority from P1 (drop everything) to P5 (when time allows). The default is the
//! usual ITIL matrix; an organisation may configure its own (validated) matrix.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::error::RespondError;
use crate::status::Severity;
use crate::wire::wire_enum;

wire_enum! {
    /// How much of the business an incident affects.
    pub enum Impact {
        /// Many users, a critical service, or regulated data.
        High = "high",
        /// A department, or a service with a workaround.
        Medium = "medium",
        /// A single user or a non-critical system.
        Low = "low",
    }
}

wire_enum! {
    /// How fast the effect of an incident gets worse.
    pub enum Urgency {
        /// Damage grows by the minute (active attacker, spreading malware).
        High = "high",
        /// Damage grows over hours.
        Medium = "medium",
        /// Damage is stable.
        Low = "low",
    }
}

impl Impact {
    fn index(self) -> usize {
        match self {
            Self::High => 0,
            Self::Medium => 1,
            Self::Low => 2,
        }
    }
}

impl Urgency {
    fn index(self) -> usize {
        match self {
            Self::High => 0,
            Self::Medium => 1,
            Self::Low => 2,
        }
    }
}

/// A priority from 1 (P1, highest) to 5 (P5, lowest); on the wire the bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Priority(u8);

const PRIORITY_NAMES: [&str; 5] = ["P1", "P2", "P3", "P4", "P5"];

impl Priority {
    /// The number, 1..=5 (1 is the highest priority).
    pub fn get(self) -> u8 {
        self.0
    }

    /// The name: `P1` … `P5`.
    pub fn name(self) -> &'static str {
        PRIORITY_NAMES[usize::from(self.0.clamp(1, 5) - 1)]
    }
}

impl TryFrom<u8> for Priority {
    type Error = RespondError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        if (1..=5).contains(&value) {
            Ok(Self(value))
        } else {
            Err(RespondError::invalid(format!(
                "priority {value} is out of range; use 1 (P1, highest) to 5 (P5, lowest)"
            )))
        }
    }
}

impl From<Priority> for u8 {
    fn from(priority: Priority) -> u8 {
        priority.0
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl utoipa::PartialSchema for Priority {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(5))
            .description(Some("Priority: 1 (P1, highest) to 5 (P5, lowest)."))
            .examples([2])
            .into()
    }
}

impl utoipa::ToSchema for Priority {}

/// The impact × urgency matrix.
///
/// In configuration (TOML or JSON) it is written by impact, each row listing the priority for
/// urgency high, medium and low: `{ "high": [1, 2, 3], "medium": [2, 3, 4], "low": [3, 4, 5] }`.
/// Unknown keys and numbers outside 1..=5 are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MatrixRows", into = "MatrixRows")]
pub struct PriorityMatrix {
    /// `cells[impact][urgency]`, high first.
    cells: [[Priority; 3]; 3],
}

/// The configuration shape of [`PriorityMatrix`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixRows {
    high: [u8; 3],
    medium: [u8; 3],
    low: [u8; 3],
}

impl TryFrom<MatrixRows> for PriorityMatrix {
    type Error = RespondError;

    fn try_from(rows: MatrixRows) -> Result<Self, Self::Error> {
        Self::from_rows([rows.high, rows.medium, rows.low])
    }
}

impl From<PriorityMatrix> for MatrixRows {
    fn from(matrix: PriorityMatrix) -> Self {
        let [high, medium, low] = matrix.cells.map(|row| row.map(u8::from));
        Self { high, medium, low }
    }
}

impl Default for PriorityMatrix {
    /// The ITIL matrix: P1 for high/high down to P5 for low/low.
    fn default() -> Self {
        Self {
            cells: [
                [Priority(1), Priority(2), Priority(3)],
                [Priority(2), Priority(3), Priority(4)],
                [Priority(3), Priority(4), Priority(5)],
            ],
        }
    }
}

impl PriorityMatrix {
    /// A matrix from rows by impact (high, medium, low), each listing urgency high, medium, low.
    /// Every value must be 1..=5; the error names every bad cell.
    pub fn from_rows(rows: [[u8; 3]; 3]) -> Result<Self, RespondError> {
        let mut problems = Vec::new();
        let mut cells = [[Priority(1); 3]; 3];
        for (impact, row) in Impact::ALL.iter().zip(rows) {
            for (urgency, value) in Urgency::ALL.iter().zip(row) {
                match Priority::try_from(value) {
                    Ok(p) => cells[impact.index()][urgency.index()] = p,
                    Err(_) => problems.push(format!("{impact}/{urgency} is {value}")),
                }
            }
        }
        if problems.is_empty() {
            Ok(Self { cells })
        } else {
            Err(RespondError::invalid(format!(
                "priority matrix values must be 1 (P1) to 5 (P5): {}",
                problems.join(", ")
            )))
        }
    }

    /// The priority for this impact and urgency.
    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        self.cells[impact.index()][urgency.index()]
    }
}

/// The starting impact and urgency of an incident raised at `severity`, before an analyst
/// adjusts them: critical → high/high, high → high/medium, medium → medium/medium,
/// low → low/medium.
pub fn default_impact_urgency(severity: Severity) -> (Impact, Urgency) {
    match severity.get() {
        4.. => (Impact::High, Urgency::High),
        3 => (Impact::High, Urgency::Medium),
        2 => (Impact::Medium, Urgency::Medium),
        _ => (Impact::Low, Urgency::Medium),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix_cells() {
        let m = PriorityMatrix::default();
        let expected = [
            (Impact::High, Urgency::High, "P1"),
            (Impact::High, Urgency::Medium, "P2"),
            (Impact::High, Urgency::Low, "P3"),
            (Impact::Medium, Urgency::High, "P2"),
            (Impact::Medium, Urgency::Medium, "P3"),
            (Impact::Medium, Urgency::Low, "P4"),
            (Impact::Low, Urgency::High, "P3"),
            (Impact::Low, Urgency::Medium, "P4"),
            (Impact::Low, Urgency::Low, "P5"),
        ];
        for (impact, urgency, name) in expected {
            assert_eq!(m.priority(impact, urgency).to_string(), name, "{impact}/{urgency}");
        }
    }

    #[test]
    fn custom_matrix_from_rows_and_json() {
        let m = PriorityMatrix::from_rows([[1, 1, 2], [2, 3, 4], [3, 4, 5]]);
        assert_eq!(m.map(|m| m.priority(Impact::High, Urgency::Medium).get()), Ok(1));
        let json = r#"{ "high": [1, 2, 3], "medium": [2, 3, 4], "low": [3, 4, 5] }"#;
        let parsed: Result<PriorityMatrix, _> = serde_json::from_str(json);
        assert_eq!(parsed.ok(), Some(PriorityMatrix::default()));
        let back = serde_json::to_value(PriorityMatrix::default()).unwrap_or_default();
        assert_eq!(back["medium"], serde_json::json!([2, 3, 4]));
    }

    #[test]
    fn bad_matrices_are_refused_with_every_bad_cell() {
        let err = PriorityMatrix::from_rows([[0, 2, 3], [2, 3, 4], [3, 4, 6]]);
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("priority matrix values must be 1 (P1) to 5 (P5): high/high is 0, low/low is 6".to_owned())
        );
        let bad_value = r#"{ "high": [1, 2, 3], "medium": [2, 3, 4], "low": [3, 4, 9] }"#;
        let err = serde_json::from_str::<PriorityMatrix>(bad_value).map_err(|e| e.to_string());
        assert!(matches!(&err, Err(m) if m.contains("low/low is 9")), "{err:?}");
        let unknown_key = r#"{ "high": [1, 2, 3], "medium": [2, 3, 4], "low": [3, 4, 5], "urgent": [1, 1, 1] }"#;
        assert!(serde_json::from_str::<PriorityMatrix>(unknown_key).is_err());
        let short_row = r#"{ "high": [1, 2], "medium": [2, 3, 4], "low": [3, 4, 5] }"#;
        assert!(serde_json::from_str::<PriorityMatrix>(short_row).is_err());
        let missing_row = r#"{ "high": [1, 2, 3], "medium": [2, 3, 4] }"#;
        assert!(serde_json::from_str::<PriorityMatrix>(missing_row).is_err());
    }

    #[test]
    fn priority_numbers() {
        assert!(Priority::try_from(0).is_err());
        assert!(Priority::try_from(6).is_err());
        assert_eq!(Priority::try_from(5).map(Priority::name), Ok("P5"));
        assert_eq!(serde_json::to_string(&Priority(2)).ok().as_deref(), Some("2"));
        assert!(serde_json::from_str::<Priority>("0").is_err());
        assert!(Priority(1) < Priority(5));
    }

    #[test]
    fn impact_and_urgency_from_severity() {
        let got: Vec<_> = Severity::ALL.iter().map(|s| default_impact_urgency(*s)).collect();
        assert_eq!(
            got,
            [
                (Impact::Low, Urgency::Medium),
                (Impact::Medium, Urgency::Medium),
                (Impact::High, Urgency::Medium),
                (Impact::High, Urgency::High),
            ]
        );
        let json = serde_json::to_string(&(Impact::High, Urgency::Low)).ok();
        assert_eq!(json.as_deref(), Some(r#"["high","low"]"#));
    }
}
