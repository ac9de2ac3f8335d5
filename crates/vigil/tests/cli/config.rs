//! `vigil config`: the example's header shows a command that works, and `check` lists every
//! problem of a file with its line.

use crate::{stderr, stdout, vigil};

#[test]
fn the_example_header_shows_a_check_command_that_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = vigil(&["config", "example"]);
    assert!(example.status.success(), "{}", stderr(&example));
    let text = stdout(&example);
    // The command in backquotes after "Check a file with", its file name as written.
    let command = text
        .split("Check a file with `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("the header names a check command");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"vigil"), "{command}");
    let file = dir.path().join(words.last().expect("a file name"));
    std::fs::write(&file, &text).expect("write");
    let mut args: Vec<String> = words[1..words.len() - 1].iter().map(|w| w.to_string()).collect();
    args.push(file.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let check = vigil(&args);
    assert!(check.status.success(), "`{command}` failed: {}", stderr(&check));
    assert!(stdout(&check).contains(": ok"), "{}", stdout(&check));
}

#[test]
fn config_check_lists_every_problem_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vigil.toml");
    std::fs::write(
        &file,
        "version = 1\n[colour]\nshade = 1\n[store]\npartition = \"90m30s500ms\"\nmax_age = \"soon\"\n",
    )
    .expect("write");
    let out = vigil(&["config", "check", &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for want in [
        "line 2: colour: unknown section",
        "line 5: store.partition",
        "line 6: store.max_age",
    ] {
        assert!(err.contains(want), "{want:?} missing from {err}");
    }
}
