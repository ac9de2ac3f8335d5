//! The report model: plain figures in sections, serialized as the JSON report.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One report: a tenant's figures over `[from, to)`, compared with the period of the same length
/// before it (`[previous_from, from)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub title: String,
    pub tenant: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// Start of the comparison period, which ends at `from`.
    #[schema(value_type = String, format = DateTime)]
    pub previous_from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub generated: Timestamp,
    pub sections: Vec<Section>,
}

/// One section: a table of rows, drawn as `chart`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Section {
    /// Stable key (`summary`, `sla`, `incidents`, `rules`, `sources`, …): the CSV's first column.
    pub id: String,
    pub title: String,
    /// What the figures are and how they are counted.
    pub description: String,
    /// Why there are no figures, when this build or this server cannot give them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    pub chart: Chart,
    pub rows: Vec<Row>,
}

impl Section {
    /// A section with rows.
    pub fn new(id: &str, title: &str, description: &str, chart: Chart, rows: Vec<Row>) -> Section {
        Section {
            id: id.to_owned(),
            title: title.to_owned(),
            description: description.to_owned(),
            unavailable: None,
            chart,
            rows,
        }
    }

    /// A section this build cannot fill, saying why.
    pub fn unavailable(id: &str, title: &str, description: &str, why: &str) -> Section {
        Section {
            unavailable: Some(why.to_owned()),
            ..Section::new(id, title, description, Chart::None, Vec::new())
        }
    }
}

/// How a section is drawn in HTML (inline SVG) and PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// Table only.
    None,
    /// Horizontal bars, one per row (`group` and `metric` label it).
    Bars,
    /// A line over the rows in order (`group` is the x label, e.g. a week).
    Trend,
    /// A grid: one line per `group` (an ATT&CK tactic), one cell per row (a technique) coloured
    /// by its value from 0 (red) to 1 (green).
    Heatmap,
}

/// What a row's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A duration in seconds.
    Seconds,
    /// A fraction from 0 to 1 (shown as a percentage).
    Ratio,
    /// A count.
    Count,
    /// No number: `text` says it.
    Text,
}

impl Unit {
    /// The CSV name.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Ratio => "ratio",
            Unit::Count => "count",
            Unit::Text => "text",
        }
    }
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Row {
    /// What it is about: a priority, a rule, a source, a week; empty for the whole tenant.
    pub group: String,
    /// The KPI or count, such as `mttr` or `incidents`.
    pub metric: String,
    /// `None` when there were no samples.
    pub value: Option<f64>,
    pub unit: Unit,
    /// The samples behind the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    /// The same figure over the previous period (the trend arrow compares them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// The value of a `text` row, or a note beside a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Row {
    /// A row with a value and nothing else.
    pub fn new(group: impl Into<String>, metric: impl Into<String>, value: Option<f64>, unit: Unit) -> Row {
        Row {
            group: group.into(),
            metric: metric.into(),
            value,
            unit,
            n: None,
            previous: None,
            formula: None,
            text: None,
        }
    }

    /// A count row.
    pub fn count(group: impl Into<String>, metric: impl Into<String>, n: u64) -> Row {
        Row::new(group, metric, Some(n as f64), Unit::Count)
    }

    /// Whether a smaller value is better (times, false-positive rates, misses, backlog).
    pub fn lower_is_better(&self) -> bool {
        self.unit == Unit::Seconds
            || ["false_positive", "backlog", "silent", "missed"]
                .iter()
                .any(|w| self.metric.contains(w))
    }

    /// How the value moved against the previous period; `None` without both values.
    pub fn trend(&self) -> Option<Trend> {
        let (now, before) = (self.value?, self.previous?);
        let scale = now.abs().max(before.abs());
        let direction = if scale == 0.0 || (now - before).abs() / scale < 0.005 {
            return Some(Trend::Flat);
        } else {
            now > before
        };
        // Counts are neither good nor bad; for the rest, a move is better when it goes the right way.
        Some(if self.unit == Unit::Count && !self.lower_is_better() {
            if direction { Trend::Up } else { Trend::Down }
        } else if direction != self.lower_is_better() {
            if direction { Trend::UpBetter } else { Trend::DownBetter }
        } else if direction {
            Trend::UpWorse
        } else {
            Trend::DownWorse
        })
    }
}

/// A value against the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Within half a percent.
    Flat,
    /// Up or down, neither better nor worse (volumes).
    Up,
    Down,
    UpBetter,
    UpWorse,
    DownBetter,
    DownWorse,
}

impl Trend {
    /// The arrow: ↑ ↓ →.
    pub fn arrow(self) -> char {
        match self {
            Trend::Flat => '→',
            Trend::Up | Trend::UpBetter | Trend::UpWorse => '↑',
            Trend::Down | Trend::DownBetter | Trend::DownWorse => '↓',
        }
    }

    /// `better`, `worse` or `neutral` (the HTML class).
    pub fn verdict(self) -> &'static str {
        match self {
            Trend::UpBetter | Trend::DownBetter => "better",
            Trend::UpWorse | Trend::DownWorse => "worse",
            Trend::Flat | Trend::Up | Trend::Down => "neutral",
        }
    }
}
