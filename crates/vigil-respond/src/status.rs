//! Alert and incident statuses, dispositions, the incident life cycle and its milestones.
//!
//! The life cycle follows the NIST SP 800-61 phases as SOC teams run them: an incident is
//! acknowledged, investigated, contained, eradicated, recovered and closed. The work is not
//! linear (containment may fail, new evidence reopens the investigation), so [`check_transition`]
//! allows moving between any open statuses; only a closed incident is constrained. Who may make a
//! transition is decided elsewhere (the permission check of the API).

mod marking;
mod severity;

pub use marking::{Pap, Tlp};
pub use severity::Severity;

use crate::error::RespondError;
use crate::wire::wire_enum;

wire_enum! {
    /// Where an alert stands in triage.
    pub enum AlertStatus {
        /// Raised, nobody has looked at it yet.
        New = "new",
        /// An analyst has taken it.
        Acknowledged = "acknowledged",
        /// Triaged to an end (see its [`Disposition`]).
        Closed = "closed",
        /// Folded into another alert or an incident.
        Merged = "merged",
    }
}

impl AlertStatus {
    /// Whether the alert still waits for triage (`new` or `acknowledged`).
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::Acknowledged)
    }
}

wire_enum! {
    /// The verdict of triage on an alert.
    pub enum Disposition {
        /// Malicious activity the rule was written to catch.
        TruePositive = "true_positive",
        /// The rule fired correctly, but the activity is authorised or harmless.
        BenignPositive = "benign_positive",
        /// The rule fired on something it should not match.
        FalsePositive = "false_positive",
        /// Another alert already covers this activity.
        Duplicate = "duplicate",
        /// Not enough evidence to decide.
        Indeterminate = "indeterminate",
        /// None of the above (explained in the closing note).
        Other = "other",
    }
}

wire_enum! {
    /// Where an incident stands in its life cycle.
    pub enum IncidentStatus {
        /// Declared, nobody has taken it yet.
        New = "new",
        /// A responder owns it.
        Acknowledged = "acknowledged",
        /// Scope and cause are being established.
        Investigating = "investigating",
        /// The damage can no longer spread.
        Contained = "contained",
        /// The cause has been removed.
        Eradicated = "eradicated",
        /// Affected services are back to normal: the incident is resolved.
        Recovered = "recovered",
        /// Finished (the post-incident review may follow).
        Closed = "closed",
        /// Waiting on something outside the team (a third party, a change window).
        OnHold = "on_hold",
    }
}

wire_enum! {
    /// The points of the life cycle that SLA timers and KPIs (MTTA, MTTC, MTTR) measure to.
    pub enum Milestone {
        /// First acknowledgement.
        Acknowledged = "acknowledged",
        /// First containment.
        Contained = "contained",
        /// First resolution (recovery).
        Resolved = "resolved",
        /// First closure.
        Closed = "closed",
    }
}

impl IncidentStatus {
    /// Whether work on the incident may continue: every status but `closed` (`on_hold` is open).
    pub fn is_open(self) -> bool {
        self != Self::Closed
    }

    /// The milestone this status stands for, if any: `acknowledged`, `contained`, `recovered`
    /// (resolved) and `closed`. `eradicated` is not a milestone of its own: an incident is
    /// resolved when it has recovered.
    pub fn milestone(self) -> Option<Milestone> {
        match self {
            Self::Acknowledged => Some(Milestone::Acknowledged),
            Self::Contained => Some(Milestone::Contained),
            Self::Recovered => Some(Milestone::Resolved),
            Self::Closed => Some(Milestone::Closed),
            Self::New | Self::Investigating | Self::Eradicated | Self::OnHold => None,
        }
    }
}

/// Checks a status change of an incident (not who makes it: permissions are checked elsewhere).
///
/// - From an open status (including `on_hold`) to any other status: allowed, forward or backward.
/// - From `closed`: only reopening to `investigating` or `acknowledged`.
/// - To the same status: refused ("already …").
pub fn check_transition(from: IncidentStatus, to: IncidentStatus) -> Result<(), RespondError> {
    if from == to {
        return Err(RespondError::invalid(format!("the incident is already {to}")));
    }
    if from == IncidentStatus::Closed && !matches!(to, IncidentStatus::Investigating | IncidentStatus::Acknowledged) {
        return Err(RespondError::invalid(format!(
            "a closed incident can only be reopened to investigating or acknowledged, not {to}"
        )));
    }
    Ok(())
}

/// Every milestone implied by reaching `to`, in life-cycle order.
///
/// The caller stores the first time each milestone is reached (later transitions never move it).
/// A jump forward reaches all earlier milestones at once: `new → recovered` means the incident was
/// also acknowledged and contained at that moment. `on_hold` and `new` reach none.
pub fn milestones_reached(to: IncidentStatus) -> &'static [Milestone] {
    use Milestone as M;
    match to {
        IncidentStatus::New | IncidentStatus::OnHold => &[],
        IncidentStatus::Acknowledged | IncidentStatus::Investigating => &[M::Acknowledged],
        IncidentStatus::Contained | IncidentStatus::Eradicated => &[M::Acknowledged, M::Contained],
        IncidentStatus::Recovered => &[M::Acknowledged, M::Contained, M::Resolved],
        IncidentStatus::Closed => &[M::Acknowledged, M::Contained, M::Resolved, M::Closed],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus as S;

    #[test]
    fn wire_names_round_trip_through_serde_and_parse() {
        for s in AlertStatus::ALL {
            let json = serde_json::to_string(s).map_err(|e| e.to_string());
            assert_eq!(json, Ok(format!("\"{}\"", s.as_str())));
            assert_eq!(AlertStatus::parse(s.as_str()), Some(*s));
        }
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(&d.to_string()), Some(*d));
        }
        for s in IncidentStatus::ALL {
            let back: Result<IncidentStatus, _> = serde_json::from_str(&format!("\"{}\"", s.as_str()));
            assert_eq!(back.ok(), Some(*s));
        }
        assert_eq!(S::OnHold.as_str(), "on_hold");
        assert_eq!(Disposition::TruePositive.as_str(), "true_positive");
        assert_eq!(Milestone::Resolved.as_str(), "resolved");
        assert_eq!(S::parse("On_Hold"), None);
        assert!(serde_json::from_str::<AlertStatus>("\"open\"").is_err());
        assert_eq!(S::ALL.len(), 8);
    }

    #[test]
    fn open_statuses() {
        let open: Vec<_> = S::ALL.iter().filter(|s| s.is_open()).collect();
        assert_eq!(open.len(), 7);
        assert!(!S::Closed.is_open());
        assert!(S::OnHold.is_open());
        assert!(AlertStatus::Acknowledged.is_open());
        assert!(!AlertStatus::Merged.is_open());
    }

    #[test]
    fn transition_table() {
        // Rows: from; columns: to, in `IncidentStatus::ALL` order
        // (new, acknowledged, investigating, contained, eradicated, recovered, closed, on_hold).
        let table: [(S, [u8; 8]); 8] = [
            (S::New, [0, 1, 1, 1, 1, 1, 1, 1]),
            (S::Acknowledged, [1, 0, 1, 1, 1, 1, 1, 1]),
            (S::Investigating, [1, 1, 0, 1, 1, 1, 1, 1]),
            (S::Contained, [1, 1, 1, 0, 1, 1, 1, 1]),
            (S::Eradicated, [1, 1, 1, 1, 0, 1, 1, 1]),
            (S::Recovered, [1, 1, 1, 1, 1, 0, 1, 1]),
            (S::Closed, [0, 1, 1, 0, 0, 0, 0, 0]),
            (S::OnHold, [1, 1, 1, 1, 1, 1, 1, 0]),
        ];
        for (from, row) in table {
            for (to, allowed) in S::ALL.iter().zip(row) {
                let got = check_transition(from, *to).is_ok();
                assert_eq!(got, allowed == 1, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        let err = check_transition(S::Contained, S::Contained).map_err(|e| e.to_string());
        assert_eq!(err, Err("the incident is already contained".to_owned()));
        let err = check_transition(S::Closed, S::Recovered).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("a closed incident can only be reopened to investigating or acknowledged, not recovered".to_owned())
        );
    }

    #[test]
    fn milestones_of_each_status() {
        assert_eq!(S::Acknowledged.milestone(), Some(Milestone::Acknowledged));
        assert_eq!(S::Contained.milestone(), Some(Milestone::Contained));
        assert_eq!(S::Eradicated.milestone(), None);
        assert_eq!(S::Recovered.milestone(), Some(Milestone::Resolved));
        assert_eq!(S::Closed.milestone(), Some(Milestone::Closed));
        assert_eq!(S::Investigating.milestone(), None);
        assert_eq!(S::OnHold.milestone(), None);
        use Milestone as M;
        assert_eq!(milestones_reached(S::New), &[] as &[M]);
        assert_eq!(milestones_reached(S::OnHold), &[] as &[M]);
        assert_eq!(milestones_reached(S::Investigating), &[M::Acknowledged]);
        assert_eq!(milestones_reached(S::Eradicated), &[M::Acknowledged, M::Contained]);
        assert_eq!(
            milestones_reached(S::Recovered),
            &[M::Acknowledged, M::Contained, M::Resolved]
        );
        assert_eq!(milestones_reached(S::Closed), M::ALL);
    }

    #[test]
    fn a_status_with_a_milestone_reaches_it() {
        for s in S::ALL {
            if let Some(m) = s.milestone() {
                assert_eq!(milestones_reached(*s).last(), Some(&m), "{s}");
            }
        }
    }
}
