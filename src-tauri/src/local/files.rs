//! The files of the data folder: the SQLite store's URL and the pepper file.

use std::io::Write;
use std::path::Path;

use keydesk_core::secret::{KeyHasher, Sensitive};

use crate::error::{AppError, AppResult};

const PEPPER_LEN: usize = 32;

/// The sqlx URL of the SQLite file, created if missing (`mode=rwc`).
pub(super) fn sqlite_url(path: &Path) -> AppResult<String> {
    let text = path.to_str().ok_or_else(|| {
        AppError::unavailable(format!(
            "the data folder path is not valid UTF-8: {}",
            path.display()
        ))
    })?;
    // The URL form cannot carry these characters in a file name.
    if text.contains(['?', '#']) {
        return Err(AppError::unavailable(format!(
            "the data folder path must not contain '?' or '#': {text}"
        )));
    }
    Ok(format!("sqlite://{text}?mode=rwc"))
}

/// Reads the local store's HMAC key, or creates it (32 random bytes, owner
/// read/write only) on first start. Without it, stored key hashes cannot be
/// checked, so an unreadable or malformed file is an error, never replaced.
pub(super) fn load_or_create_pepper(path: &Path) -> AppResult<Sensitive<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() == PEPPER_LEN => Ok(Sensitive::new(bytes)),
        Ok(bytes) => Err(AppError::unavailable(format!(
            "{} is damaged: expected {PEPPER_LEN} bytes, found {}",
            path.display(),
            bytes.len()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let pepper = Sensitive::new(KeyHasher::random_pepper());
            write_private_file(path, pepper.expose()).map_err(|e| {
                AppError::unavailable(format!("cannot write {}: {e}", path.display()))
            })?;
            Ok(pepper)
        }
        Err(e) => Err(AppError::unavailable(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Creates `path` (failing if it exists) readable and writable by its owner only.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
