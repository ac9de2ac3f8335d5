//! Runbooks (task templates): the built-in set shipped in the binary (`runbooks/*.toml` of this
//! crate), or the `*.toml` files of the directory `[respond] runbooks` names, which replaces it.
//! One file per runbook, reviewed like code; every problem of every file is reported at once,
//! with the file and line.

use std::path::Path;

use vigil_respond::{Runbooks, TaskTemplate};

/// The built-in runbooks: `(file name, text)`.
const BUILT_IN: &[(&str, &str)] = &[
    ("default.toml", include_str!("../runbooks/default.toml")),
    ("malware.toml", include_str!("../runbooks/malware.toml")),
    (
        "account-compromise.toml",
        include_str!("../runbooks/account-compromise.toml"),
    ),
    ("phishing.toml", include_str!("../runbooks/phishing.toml")),
    ("data-breach.toml", include_str!("../runbooks/data-breach.toml")),
    (
        "denial-of-service.toml",
        include_str!("../runbooks/denial-of-service.toml"),
    ),
];

/// The runbooks in force and where they came from (by default the built-in ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookSet {
    /// `built-in`, or the directory they were read from.
    pub source: String,
    pub runbooks: Runbooks,
}

impl Default for RunbookSet {
    fn default() -> RunbookSet {
        built_in()
    }
}

/// The line (1-based) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |head| head.matches('\n').count()) + 1
}

/// Parses runbook files (`(name, text)`), then checks them together; every problem, each naming
/// its file (and line, where TOML says).
pub fn parse_all(files: &[(String, String)]) -> Result<Runbooks, Vec<String>> {
    let mut templates = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in files {
        match toml::from_str::<TaskTemplate>(text) {
            Ok(t) => templates.push(t),
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| format!(" line {}", line_of(text, s.start)))
                    .unwrap_or_default();
                problems.push(format!("{name}{line}: {}", e.message()));
            }
        }
    }
    match Runbooks::new(templates) {
        Ok(books) if problems.is_empty() => Ok(books),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// The built-in runbooks.
pub fn built_in() -> RunbookSet {
    let files: Vec<(String, String)> = BUILT_IN.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    RunbookSet {
        source: "built-in".into(),
        // Checked by a test; an empty set rather than a panic should one ever be wrong.
        runbooks: parse_all(&files).unwrap_or_default(),
    }
}

/// The runbooks of `dir`: every `*.toml` in it (not below), in name order.
pub fn load_dir(dir: &Path) -> Result<RunbookSet, Vec<String>> {
    let entries = std::fs::read_dir(dir).map_err(|e| vec![format!("{}: {e}", dir.display())])?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(vec![format!("{}: no runbook (*.toml) in it", dir.display())]);
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in &paths {
        match std::fs::read_to_string(p) {
            Ok(text) => files.push((p.display().to_string(), text)),
            Err(e) => problems.push(format!("{}: {e}", p.display())),
        }
    }
    let runbooks = parse_all(&files).map_err(|mut more| {
        problems.append(&mut more);
        problems.clone()
    })?;
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RunbookSet {
        source: dir.display().to_string(),
        runbooks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_runbooks_are_valid_and_cover_every_classification() {
        let files: Vec<(String, String)> = BUILT_IN.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
        let books = parse_all(&files).expect("built-in runbooks");
        assert_eq!(books.all().len(), BUILT_IN.len());
        for c in vigil_respond::rsit::all() {
            assert!(books.for_classification(&c.name()).is_some(), "{}", c.name());
        }
        let pick = |c: &str| books.for_classification(c).map(|t| t.name.clone());
        assert_eq!(pick("malicious-code:infected-system").as_deref(), Some("malware"));
        assert_eq!(pick("fraud:phishing").as_deref(), Some("phishing"));
        assert_eq!(pick("vulnerable:weak-crypto").as_deref(), Some("default"));
        assert_eq!(built_in().runbooks, books);
    }

    #[test]
    fn a_directory_replaces_them_and_every_problem_is_reported_with_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "name = \"a\"\nversion = 1\nclassifications = [\"fraud:*\"]\n\n[[tasks]]\ntitle = \"x\"\nmandatory = \"yes\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.toml"),
            "name = \"b\"\nversion = 1\nclassifications = [\"nope:*\"]\n[[tasks]]\ntitle = \"y\"\ndue = \"soon\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.md"), "not a runbook").unwrap();
        let problems = load_dir(dir.path()).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].contains("a.toml line 7"), "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("\"nope\" is not an RSIT category")));
        assert!(problems.iter().any(|p| p.contains("due \"soon\"")));
        std::fs::write(
            dir.path().join("a.toml"),
            "name = \"a\"\nversion = 3\nclassifications = [\"*\"]\n[[tasks]]\ntitle = \"x\"\n",
        )
        .unwrap();
        std::fs::remove_file(dir.path().join("b.toml")).unwrap();
        let set = load_dir(dir.path()).unwrap();
        assert_eq!(set.runbooks.all().len(), 1);
        assert_eq!(set.runbooks.for_classification("fraud:phishing").unwrap().tag(), "a@3");
        assert!(load_dir(&dir.path().join("missing")).is_err());
    }
}
