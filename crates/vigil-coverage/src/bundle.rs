//! MITRE ATT&CK Enterprise from a STIX 2.1 bundle.
//!
//! Read: `x-mitre-matrix` (the tactic order), `x-mitre-tactic`, `attack-pattern` (techniques and
//! sub-techniques; revoked or deprecated ones are left out), `x-mitre-detection-strategy` with its
//! `detects` relationships, `x-mitre-analytic` and `x-mitre-data-component`. Everything else in the
//! bundle is ignored, and so are unknown properties.

use std::{
    collections::{BTreeSet, HashMap},
    path::Path,
};

use serde::{Deserialize, Serialize};

/// Why a bundle cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    #[error("reading {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// Not JSON, or an object whose properties have the wrong types (line and column of the text).
    #[error("not a STIX 2.1 bundle: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a STIX 2.1 bundle: `type` is `{0}`, not `bundle`")]
    NotABundle(String),
    #[error("no enterprise-attack x-mitre-matrix in the bundle: not an ATT&CK Enterprise bundle")]
    NoMatrix,
    #[error("the matrix names tactic {0}, which the bundle does not hold")]
    MissingTactic(String),
    #[error("the bundle holds no active technique (attack-pattern)")]
    NoTechniques,
}

/// An ATT&CK tactic (a column of the matrix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tactic {
    /// `TA0002`.
    pub id: String,
    /// The kill-chain phase name, also the Navigator's tactic id: `execution`.
    pub shortname: String,
    /// `Execution`.
    pub name: String,
}

/// A data component that would detect a technique (ATT&CK v18: through detection strategies and
/// their analytics).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DataComponent {
    /// `DC0032`.
    pub id: String,
    /// `Process Creation`.
    pub name: String,
}

/// An active technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Technique {
    /// `T1059` or `T1059.001`.
    pub id: String,
    pub name: String,
    /// Tactic shortnames (`execution`), in matrix order.
    pub tactics: Vec<String>,
    /// `Windows`, `Linux`, …
    pub platforms: Vec<String>,
    /// The parent technique of a sub-technique (`T1059` for `T1059.001`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// What would detect it, by id.
    pub data_components: Vec<DataComponent>,
}

/// ATT&CK Enterprise as coverage needs it.
#[derive(Debug, Clone)]
pub struct Attack {
    /// The ATT&CK release (`18.1`) when the bundle or its file name says so.
    pub version: Option<String>,
    /// Tactics in matrix order.
    pub tactics: Vec<Tactic>,
    /// Active techniques and sub-techniques, ordered by id.
    pub techniques: Vec<Technique>,
    by_id: HashMap<String, usize>,
}

#[derive(Deserialize)]
struct RawBundle {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    objects: Vec<RawObject>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawObject {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    name: String,
    revoked: bool,
    x_mitre_deprecated: bool,
    external_references: Vec<ExternalRef>,
    kill_chain_phases: Vec<KillChainPhase>,
    x_mitre_platforms: Vec<String>,
    x_mitre_shortname: String,
    tactic_refs: Vec<String>,
    x_mitre_analytic_refs: Vec<String>,
    x_mitre_log_source_references: Vec<LogSourceRef>,
    x_mitre_version: String,
    relationship_type: String,
    source_ref: String,
    target_ref: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExternalRef {
    source_name: String,
    external_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KillChainPhase {
    kill_chain_name: String,
    phase_name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogSourceRef {
    x_mitre_data_component_ref: String,
}

impl RawObject {
    /// The ATT&CK id (`T1059.001`, `TA0002`, `DC0032`, `enterprise-attack`).
    fn attack_id(&self) -> Option<&str> {
        self.external_references
            .iter()
            .find(|r| r.source_name == "mitre-attack")
            .and_then(|r| r.external_id.as_deref())
    }

    fn active(&self) -> bool {
        !self.revoked && !self.x_mitre_deprecated
    }
}

impl Attack {
    /// Reads a bundle file. The ATT&CK version comes from an `x-mitre-collection` object, else
    /// from a file name like `enterprise-attack-18.1.json`.
    pub fn load(path: &Path) -> Result<Attack, BundleError> {
        let bytes = std::fs::read(path).map_err(|source| BundleError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut attack = Attack::from_slice(&bytes)?;
        if attack.version.is_none() {
            attack.version = path.file_name().and_then(|n| version_in_name(&n.to_string_lossy()));
        }
        Ok(attack)
    }

    /// Parses a bundle's JSON text.
    pub fn from_slice(bytes: &[u8]) -> Result<Attack, BundleError> {
        let raw: RawBundle = serde_json::from_slice(bytes)?;
        if raw.kind != "bundle" {
            return Err(BundleError::NotABundle(raw.kind));
        }
        build(raw.objects)
    }

    /// A technique by id (`T1059.001`).
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.by_id.get(id).map(|&i| &self.techniques[i])
    }

    /// Every platform any technique names, sorted.
    pub fn platforms(&self) -> Vec<String> {
        let all: BTreeSet<&String> = self.techniques.iter().flat_map(|t| &t.platforms).collect();
        all.into_iter().cloned().collect()
    }

    /// The ATT&CK major version (`18` of `18.1`), as Navigator layers name it.
    pub fn major_version(&self) -> Option<&str> {
        self.version.as_deref().map(|v| v.split('.').next().unwrap_or(v))
    }
}

/// `enterprise-attack-18.1-core.json` → `18.1`.
fn version_in_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("enterprise-attack-")?;
    let v: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let v = v.trim_end_matches('.');
    (!v.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())).then(|| v.to_string())
}

fn build(objects: Vec<RawObject>) -> Result<Attack, BundleError> {
    let by_stix: HashMap<&str, &RawObject> = objects.iter().map(|o| (o.id.as_str(), o)).collect();
    let version = objects
        .iter()
        .find(|o| o.kind == "x-mitre-collection" && !o.x_mitre_version.is_empty())
        .map(|o| o.x_mitre_version.clone());
    let tactics = matrix_tactics(&objects, &by_stix)?;
    let components = technique_components(&objects, &by_stix);
    let order: HashMap<&str, usize> = tactics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.shortname.as_str(), i))
        .collect();
    let mut techniques: Vec<Technique> = objects
        .iter()
        .filter(|o| o.kind == "attack-pattern" && o.active())
        .filter_map(|o| {
            let id = o.attack_id()?.to_string();
            let mut phases: Vec<&str> = o
                .kill_chain_phases
                .iter()
                .filter(|p| p.kill_chain_name == "mitre-attack" && order.contains_key(p.phase_name.as_str()))
                .map(|p| p.phase_name.as_str())
                .collect();
            phases.sort_by_key(|p| order.get(p).copied());
            phases.dedup();
            let data_components = components.get(o.id.as_str()).cloned().unwrap_or_default();
            Some(Technique {
                parent: id.split_once('.').map(|(p, _)| p.to_string()),
                id,
                name: o.name.clone(),
                tactics: phases.into_iter().map(str::to_string).collect(),
                platforms: o.x_mitre_platforms.clone(),
                data_components: data_components.into_iter().collect(),
            })
        })
        .collect();
    if techniques.is_empty() {
        return Err(BundleError::NoTechniques);
    }
    techniques.sort_by(|a, b| a.id.cmp(&b.id));
    techniques.dedup_by(|a, b| a.id == b.id);
    let by_id = techniques.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();
    Ok(Attack {
        version,
        tactics,
        techniques,
        by_id,
    })
}

/// The tactics of the enterprise matrix, in its order.
fn matrix_tactics(objects: &[RawObject], by_stix: &HashMap<&str, &RawObject>) -> Result<Vec<Tactic>, BundleError> {
    let matrices: Vec<&RawObject> = objects
        .iter()
        .filter(|o| o.kind == "x-mitre-matrix" && o.active())
        .collect();
    let matrix = matrices
        .iter()
        .find(|m| m.attack_id() == Some("enterprise-attack"))
        .or(matrices.first())
        .ok_or(BundleError::NoMatrix)?;
    matrix
        .tactic_refs
        .iter()
        .map(|r| {
            let t = by_stix
                .get(r.as_str())
                .filter(|t| t.kind == "x-mitre-tactic")
                .ok_or_else(|| BundleError::MissingTactic(r.clone()))?;
            Ok(Tactic {
                id: t.attack_id().unwrap_or_default().to_string(),
                shortname: t.x_mitre_shortname.clone(),
                name: t.name.clone(),
            })
        })
        .collect()
}

/// STIX id of each technique → the data components its detection strategies' analytics use.
fn technique_components<'a>(
    objects: &'a [RawObject],
    by_stix: &HashMap<&str, &'a RawObject>,
) -> HashMap<&'a str, BTreeSet<DataComponent>> {
    let mut out: HashMap<&str, BTreeSet<DataComponent>> = HashMap::new();
    let live = |id: &str| by_stix.get(id).filter(|o| o.active()).copied();
    for rel in objects
        .iter()
        .filter(|o| o.kind == "relationship" && o.relationship_type == "detects")
    {
        let Some(strategy) = live(&rel.source_ref).filter(|s| s.kind == "x-mitre-detection-strategy") else {
            continue;
        };
        let set = out.entry(rel.target_ref.as_str()).or_default();
        for analytic in strategy.x_mitre_analytic_refs.iter().filter_map(|a| live(a)) {
            for src in &analytic.x_mitre_log_source_references {
                let Some(dc) = live(&src.x_mitre_data_component_ref) else {
                    continue;
                };
                if let Some(id) = dc.attack_id() {
                    set.insert(DataComponent {
                        id: id.to_string(),
                        name: dc.name.clone(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_file_names() {
        assert_eq!(
            version_in_name("enterprise-attack-18.1-core.json").as_deref(),
            Some("18.1")
        );
        assert_eq!(version_in_name("enterprise-attack-17.json").as_deref(), Some("17"));
        assert_eq!(version_in_name("enterprise-attack.json"), None);
        assert_eq!(version_in_name("attack-18.json"), None);
    }
}
