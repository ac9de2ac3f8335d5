//! Integration tests of vigil-detect: one test binary (see STYLE.md).

mod correlation;
mod lint;
mod regression;
mod routing;
mod ruletests;

use std::path::{Path, PathBuf};

use vigil_detect::{Detector, DetectorOptions, RuleFilter, RuleSet};

/// `../shared` beside the project, when present.
pub fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    dir.is_dir().then(|| dir.canonicalize().unwrap_or(dir))
}

/// Builds a detector from YAML rule text.
pub fn detector_from(yaml: &str) -> (RuleSet, Detector) {
    let mut set = RuleSet::default();
    set.add_text(yaml, Path::new("inline.yml").into(), &RuleFilter::default());
    assert!(set.problems.is_empty(), "rule problems: {:?}", set.problems);
    let (detector, problems) = Detector::build(&set, &DetectorOptions::default());
    assert!(problems.is_empty(), "compile problems: {problems:?}");
    (set, detector)
}
