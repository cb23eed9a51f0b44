//! Deployment plumbing shared by the binary and the tests: turning the
//! `--database` argument into a URL (a plain path means SQLite), and the
//! pepper — the HMAC key for secrets, kept outside the database, in a file
//! created with owner-only permissions on first `init`.

use std::path::{Path, PathBuf};

use base64::Engine;
use keydesk_core::{Error, KeyHasher, Result};

/// `postgres://…`, `postgresql://…` and `sqlite:…` are used as given; any
/// other value is a SQLite file path.
pub fn database_url(arg: &str) -> String {
    if arg.starts_with("postgres://") || arg.starts_with("postgresql://") || arg.starts_with("sqlite:") {
        arg.to_owned()
    } else {
        format!("sqlite://{arg}")
    }
}

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Where the pepper lives when no `--pepper-file` is given: beside a SQLite
/// file. A PostgreSQL deployment must say where.
pub fn default_pepper_path(database_arg: &str) -> Option<PathBuf> {
    if is_postgres(database_arg) {
        return None;
    }
    let path = database_arg.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    Some(PathBuf::from(format!("{path}.pepper")))
}

fn decode(text: &str) -> Result<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| Error::validation("pepper", "the pepper must be base64"))?;
    if bytes.len() < 16 {
        return Err(Error::validation("pepper", "the pepper must be at least 16 bytes"));
    }
    Ok(bytes)
}

/// Reads the pepper file; with `create`, makes a new random one if missing.
pub fn load_pepper(path: &Path, create: bool) -> Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => decode(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let pepper = KeyHasher::random_pepper();
            let text = base64::engine::general_purpose::STANDARD.encode(&pepper);
            write_private(path, &text).map_err(|e| Error::internal(format!("cannot write the pepper file {}: {e}", path.display())))?;
            Ok(pepper)
        }
        Err(e) => Err(Error::validation(
            "pepper_file",
            format!("cannot read the pepper file {} ({e}); run `keydesk-server init` first or pass --pepper-file", path.display()),
        )),
    }
}

/// The pepper from the environment value (base64), when set.
pub fn pepper_from_env(value: &str) -> Result<Vec<u8>> {
    decode(value)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_are_sqlite_files() {
        assert_eq!(database_url("data/keydesk.db"), "sqlite://data/keydesk.db");
        assert_eq!(database_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(default_pepper_path("data/keydesk.db").unwrap(), PathBuf::from("data/keydesk.db.pepper"));
        assert!(default_pepper_path("postgres://u@h/db").is_none());
    }

    #[test]
    fn pepper_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pepper");
        assert!(load_pepper(&path, false).is_err());
        let a = load_pepper(&path, true).unwrap();
        let b = load_pepper(&path, false).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
