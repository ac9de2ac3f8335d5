//! Key files for signed checkpoints.
//!
//! A key file holds 32 bytes: either raw, or as 64 hex digits (surrounding whitespace, such as a
//! trailing line feed, is ignored). A signing key file is the Ed25519 secret seed; a public key file
//! the 32-byte public key. Files this module creates are hex with a line feed, mode 0600 on Unix for
//! signing keys, and appear atomically: written to a temporary file in the same directory, synced, then
//! hard-linked into place, which fails rather than replaces when the file exists — two processes
//! creating the key at once end up using the same one.

use crate::StateError;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn key_file_error(path: &Path, source: std::io::Error) -> StateError {
    StateError::KeyFile {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid_key(path: &Path, reason: &str) -> StateError {
    StateError::InvalidKey {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

/// The 32 bytes of a key file's contents (raw or hex).
fn key_bytes(contents: &[u8]) -> Option<[u8; 32]> {
    if let Ok(raw) = <[u8; 32]>::try_from(contents) {
        return Some(raw);
    }
    let text = std::str::from_utf8(contents).ok()?.trim();
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

fn read_key_bytes(path: &Path) -> Result<[u8; 32], StateError> {
    let contents = fs::read(path).map_err(|e| key_file_error(path, e))?;
    key_bytes(&contents).ok_or_else(|| invalid_key(path, "expected 32 raw bytes or 64 hex digits"))
}

/// Reads an Ed25519 signing key (the 32-byte secret seed) from `path`.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, StateError> {
    let bytes = read_key_bytes(path)?;
    warn_if_readable_by_others(path);
    Ok(SigningKey::from_bytes(&bytes))
}

/// Reads an Ed25519 public key from `path`.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, StateError> {
    let bytes = read_key_bytes(path)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| invalid_key(path, "not an Ed25519 public key"))
}

/// Reads the signing key at `path`, or creates one from the operating system's random generator when
/// the file does not exist. The boolean is true when the key was created now.
pub fn load_or_create_signing_key(path: &Path) -> Result<(SigningKey, bool), StateError> {
    match read_signing_key(path) {
        Err(StateError::KeyFile { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        other => return other.map(|key| (key, false)),
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(StateError::Random)?;
    let key = SigningKey::from_bytes(&seed);
    match create_key_file(path, &seed, true) {
        Ok(()) => Ok((key, true)),
        // Another process created it first: use theirs.
        Err(StateError::KeyFile { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
            read_signing_key(path).map(|key| (key, false))
        }
        Err(e) => Err(e),
    }
}

/// Writes `key` to `path` (64 hex digits and a line feed), failing if the file exists.
pub fn write_public_key(path: &Path, key: &VerifyingKey) -> Result<(), StateError> {
    create_key_file(path, key.as_bytes(), false)
}

/// Creates `path` holding `bytes` as hex, atomically and without replacing an existing file.
fn create_key_file(path: &Path, bytes: &[u8; 32], secret: bool) -> Result<(), StateError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| key_file_error(&dir, e))?;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(StateError::Random)?;
    let name = path.file_name().map_or_else(|| "key".into(), |n| n.to_string_lossy());
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(suffix)));
    let written = write_new(&tmp, &format!("{}\n", hex::encode(bytes)), secret)
        .and_then(|()| fs::hard_link(&tmp, path))
        .map_err(|e| key_file_error(path, e));
    let _ = fs::remove_file(&tmp);
    written?;
    // Make the new directory entry durable too (best effort; not possible on every platform).
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_new(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Logs a warning when a signing key file can be read by group or others (Unix).
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "signing key file is accessible to group or others; chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_bytes_accepts_raw_and_hex() {
        let raw = [7u8; 32];
        assert_eq!(key_bytes(&raw), Some(raw));
        let hex_text = format!("  {}\n", hex::encode(raw));
        assert_eq!(key_bytes(hex_text.as_bytes()), Some(raw));
        assert_eq!(key_bytes(b"abcd"), None);
        assert_eq!(key_bytes(&[7u8; 33]), None);
        assert_eq!(key_bytes("zz".repeat(32).as_bytes()), None);
    }

    #[test]
    fn created_keys_are_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.key");
        let (key, created) = load_or_create_signing_key(&path).unwrap();
        assert!(created);
        let (again, created) = load_or_create_signing_key(&path).unwrap();
        assert!(!created);
        assert_eq!(key.to_bytes(), again.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path().join("keys")).unwrap().count(), 1);

        let public = dir.path().join("audit.pub");
        write_public_key(&public, &key.verifying_key()).unwrap();
        assert_eq!(read_public_key(&public).unwrap(), key.verifying_key());
        assert!(matches!(
            write_public_key(&public, &key.verifying_key()),
            Err(StateError::KeyFile { .. })
        ));
    }

    #[test]
    fn bad_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            load_or_create_signing_key(&path),
            Err(StateError::InvalidKey { .. })
        ));
        assert!(matches!(read_public_key(&path), Err(StateError::InvalidKey { .. })));
        assert!(matches!(
            read_public_key(&dir.path().join("missing")),
            Err(StateError::KeyFile { .. })
        ));
    }
}
