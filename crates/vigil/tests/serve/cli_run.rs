//! Running the `vigil` CLI against a test server, as the CLI suites do: keys made before the
//! server starts, every command's output checked for raw control and bidi characters.

use std::process::{Command, Output};

use crate::harness::{Env, Server, VIGIL};

/// Creates an API key with `role` in the server's data directory (before it starts).
pub fn api_key(env: &Env, role: &str) -> String {
    let out = Command::new(VIGIL)
        .args(["apikey", "create", "--role", role, "--name", &format!("cli-{role}")])
        .arg("--data-dir")
        .arg(&env.data_dir)
        .env_remove("VIGIL_STATE_URL")
        .output()
        .expect("run vigil apikey create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    stdout.lines().last().expect("the secret").trim().to_owned()
}

/// The output of `vigil ARGS` run against `server` with `token`.
pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// `vigil ARGS` against `server` with `token`; nothing it prints may be a raw control or bidi
/// character.
pub fn vigil(server: &Server, token: &str, args: &[&str]) -> Run {
    let out: Output = Command::new(VIGIL)
        .args(args)
        .args(["--server", &format!("http://{}", server.http), "--token", token])
        .env_remove("VIGIL_SERVER")
        .env_remove("VIGIL_TOKEN")
        .output()
        .expect("run vigil");
    let run = Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let raw: Vec<char> = run
        .all()
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || ('\u{2028}'..='\u{202e}').contains(&c))
        .collect();
    assert!(raw.is_empty(), "vigil {args:?} printed raw {raw:?}:\n{}", run.all());
    run
}

/// `vigil ARGS`, which must succeed.
pub fn ok(server: &Server, token: &str, args: &[&str]) -> Run {
    let run = vigil(server, token, args);
    assert!(run.ok, "vigil {args:?} failed:\n{}", run.all());
    run
}

/// `vigil ARGS`, which must fail.
pub fn fails(server: &Server, token: &str, args: &[&str]) -> Run {
    let run = vigil(server, token, args);
    assert!(!run.ok, "vigil {args:?} succeeded:\n{}", run.all());
    run
}
