//! Sharing and action markings: the Traffic Light Protocol (TLP 2.0) and the Permissible Actions
//! Protocol (PAP), as FIRST and MISP name them.

use crate::wire::wire_enum;

wire_enum! {
    /// Traffic Light Protocol 2.0 (FIRST): who the information may be shared with.
    pub enum Tlp {
        /// TLP:CLEAR: no limit on disclosure.
        Clear = "clear",
        /// TLP:GREEN: the recipient's community, not public channels.
        Green = "green",
        /// TLP:AMBER: the recipient's organisation and its clients, on a need-to-know basis.
        Amber = "amber",
        /// TLP:AMBER+STRICT: the recipient's organisation only.
        AmberStrict = "amber+strict",
        /// TLP:RED: the named recipients only.
        Red = "red",
    }
}

wire_enum! {
    /// Permissible Actions Protocol: what may be done with the information.
    pub enum Pap {
        /// PAP:CLEAR: no restriction on use.
        Clear = "clear",
        /// PAP:GREEN: active actions allowed, e.g. blocking or querying the indicator.
        Green = "green",
        /// PAP:AMBER: passive cross-checks only, e.g. searching logs or offline lookups.
        Amber = "amber",
        /// PAP:RED: no action that the adversary could detect; internal, offline use only.
        Red = "red",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_wire_names() {
        let names: Vec<_> = Tlp::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["clear", "green", "amber", "amber+strict", "red"]);
        let json = serde_json::to_string(&Tlp::AmberStrict).ok();
        assert_eq!(json.as_deref(), Some("\"amber+strict\""));
        let back = serde_json::from_str::<Tlp>("\"amber+strict\"").ok();
        assert_eq!(back, Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("white"), None);
        assert_eq!(Tlp::parse("red"), Some(Tlp::Red));
    }

    #[test]
    fn pap_wire_names() {
        for p in Pap::ALL {
            assert_eq!(Pap::parse(p.as_str()), Some(*p));
        }
        assert_eq!(Pap::ALL.len(), 4);
        assert_eq!(Pap::parse("amber+strict"), None);
    }

    #[test]
    fn schemas_list_the_wire_names() {
        let schema = <Tlp as utoipa::PartialSchema>::schema();
        let json = serde_json::to_value(&schema).unwrap_or_default();
        let values: Vec<_> = json["enum"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(values, ["clear", "green", "amber", "amber+strict", "red"]);
    }
}
