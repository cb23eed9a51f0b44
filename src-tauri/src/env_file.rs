//! "Save to .env file…": writes a new key as one `NAME=value` line of a
//! dotenv file the user picks in the native save dialog. An existing line
//! for the same variable is replaced (with its `export ` prefix, if any),
//! otherwise the line is appended; the rest of the file is kept as it was.
//! A new file is created readable by its owner only (0600), an existing one
//! keeps its permissions, and the file is replaced in one rename, so a
//! failure midway leaves it untouched.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::error::{AppError, AppResult};

/// The variable the platform's SDKs read the key from.
pub const DEFAULT_VARIABLE: &str = "MISTRAL_API_KEY";

/// Test only (honoured by debug builds): started with
/// `--test-save-dialog-answer=PATH`, the app takes PATH as the save
/// dialog's answer without showing it (WebDriver cannot drive a native
/// dialog).
const TEST_SAVE_DIALOG_ANSWER_ARG: &str = "--test-save-dialog-answer=";

/// What saving did to the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EnvFileSaved {
    pub path: String,
    /// The file did not exist and was created (owner-only).
    pub created: bool,
    /// The variable was there and its value was replaced.
    pub replaced: bool,
}

/// Whether `name` can be a shell variable's name.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_variable(name: &str) -> AppResult<()> {
    if is_variable_name(name) {
        Ok(())
    } else {
        Err(AppError::validation(
            "variable",
            "The variable name may use only letters, digits and _, and not start with a digit",
        ))
    }
}

/// The `export ` prefix when `line` assigns `variable`; `None` otherwise.
fn assigns<'a>(line: &'a str, variable: &str) -> Option<&'a str> {
    let trimmed = line.trim_start();
    let (prefix, rest) = match trimmed.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => ("export ", rest.trim_start()),
        _ => ("", trimmed),
    };
    let rest = rest.strip_prefix(variable)?;
    rest.trim_start().starts_with('=').then_some(prefix)
}

/// The file's new text with `variable` set to `value`, and whether an
/// earlier value was replaced. Later duplicates of the variable go, so the
/// file says one thing.
fn with_variable(text: &str, variable: &str, value: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len() + variable.len() + value.len() + 2);
    let mut replaced = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        match assigns(body, variable) {
            Some(prefix) if !replaced => {
                out.push_str(&format!("{prefix}{variable}={value}"));
                out.push_str(&line[body.len()..]);
                replaced = true;
            }
            Some(_) => {}
            None => out.push_str(line),
        }
    }
    if !replaced {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{variable}={value}\n"));
    }
    (out, replaced)
}

fn io_error(path: &Path, doing: &str, error: std::io::Error) -> AppError {
    AppError::unavailable(format!("Could not {doing} {}: {error}", path.display()))
}

/// Sets `variable` to `value` in the dotenv file at `path`.
pub fn write_variable(path: &Path, variable: &str, value: &str) -> AppResult<EnvFileSaved> {
    check_variable(variable)?;
    let (existing, created) = match fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (text, false),
            Err(_) => {
                return Err(AppError::validation(
                    "path",
                    format!("{} is not a text file; choose a .env file", path.display()),
                ))
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), true),
        Err(e) => return Err(io_error(path, "read", e)),
    };
    let (text, replaced) = with_variable(&existing, variable, value);

    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| AppError::validation("path", "Choose a file, not a folder"))?;
    let temp = dir.join(format!(".{}.keydesk-new", name.to_string_lossy()));
    let permissions = if created {
        None
    } else {
        Some(
            fs::metadata(path)
                .map_err(|e| io_error(path, "read", e))?
                .permissions(),
        )
    };
    let written = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(io_error(path, "write", e));
    }
    Ok(EnvFileSaved {
        path: path.display().to_string(),
        created,
        replaced,
    })
}

/// Where to save: the path the user picks in the save dialog, `None` if
/// they cancel.
async fn ask_where<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    if cfg!(debug_assertions) {
        let answer = std::env::args().find_map(|arg| {
            arg.strip_prefix(TEST_SAVE_DIALOG_ANSWER_ARG)
                .map(PathBuf::from)
        });
        if answer.is_some() {
            return answer;
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the key to a .env file")
        .set_file_name(".env")
        .save_file(move |picked| {
            let _ = tx.send(picked.and_then(|p| p.into_path().ok()));
        });
    rx.await.ok().flatten()
}

/// Asks where, then saves `secret` as `variable` (default MISTRAL_API_KEY)
/// in that file. `None` when the user cancelled the dialog.
#[tauri::command(rename_all = "snake_case")]
pub async fn save_env_file<R: Runtime>(
    app: AppHandle<R>,
    secret: String,
    variable: Option<String>,
) -> Result<Option<EnvFileSaved>, AppError> {
    let variable = variable.unwrap_or_else(|| DEFAULT_VARIABLE.to_owned());
    check_variable(&variable)?;
    let Some(path) = ask_where(&app).await else {
        return Ok(None);
    };
    tauri::async_runtime::spawn_blocking(move || write_variable(&path, &variable, &secret))
        .await
        .map_err(|e| AppError::internal(format!("saving the .env file stopped: {e}")))?
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "kd_example_value_of_the_test";

    #[test]
    fn a_new_file_gets_one_line_and_only_its_owner_may_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        let saved = write_variable(&path, "MISTRAL_API_KEY", KEY).unwrap();
        assert!(saved.created && !saved.replaced);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("MISTRAL_API_KEY={KEY}\n")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "mode {mode:o}");
        }
    }

    #[test]
    fn an_existing_value_is_replaced_and_the_rest_of_the_file_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        fs::write(
            &path,
            "# my app\nDEBUG=1\nexport MISTRAL_API_KEY=old\nMISTRAL_API_KEY_BACKUP=x\nMISTRAL_API_KEY = older\nPORT=8080",
        )
        .unwrap();
        let saved = write_variable(&path, "MISTRAL_API_KEY", KEY).unwrap();
        assert!(!saved.created && saved.replaced);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("# my app\nDEBUG=1\nexport MISTRAL_API_KEY={KEY}\nMISTRAL_API_KEY_BACKUP=x\nPORT=8080")
        );
    }

    #[test]
    fn a_missing_variable_is_appended_on_a_line_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.env");
        fs::write(&path, "DEBUG=1").unwrap();
        let saved = write_variable(&path, "MY_KEY", KEY).unwrap();
        assert!(!saved.created && !saved.replaced);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("DEBUG=1\nMY_KEY={KEY}\n")
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        fs::write(&path, "A=1\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_variable(&path, "MISTRAL_API_KEY", KEY).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "mode {mode:o}");
    }

    #[test]
    fn a_bad_variable_name_is_refused_naming_the_field_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        let error = write_variable(&path, "1NOPE", KEY).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("variable"));
        assert!(!path.exists());
    }

    #[test]
    fn a_binary_file_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("picture.png");
        fs::write(&path, [0x89, 0x50, 0xff, 0xfe, 0x00]).unwrap();
        let error = write_variable(&path, "MISTRAL_API_KEY", KEY).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("path"));
        assert_eq!(fs::read(&path).unwrap(), [0x89, 0x50, 0xff, 0xfe, 0x00]);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
