//! "Start at login": whether the desktop session starts Keydesk (into its
//! tray) when the user logs in. Off until the user turns it on; the
//! autostart plugin keeps the setting where the platform looks for it (an
//! XDG autostart entry on Linux, a launch agent on macOS, the Run registry
//! key on Windows), so there is no copy of it to drift.

use tauri::{AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt;

use crate::error::AppError;

/// Whether Keydesk starts at login.
#[tauri::command(rename_all = "snake_case")]
pub async fn start_at_login<R: Runtime>(app: AppHandle<R>) -> Result<bool, AppError> {
    app.autolaunch().is_enabled().map_err(|e| {
        AppError::unavailable(format!("Cannot tell whether Keydesk starts at login: {e}"))
    })
}

/// Turns starting at login on or off; answers the setting now in force.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_start_at_login<R: Runtime>(
    app: AppHandle<R>,
    enabled: bool,
) -> Result<bool, AppError> {
    let launcher = app.autolaunch();
    let changed = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    changed.map_err(|e| {
        AppError::unavailable(format!(
            "Could not turn starting at login {}: {e}",
            if enabled { "on" } else { "off" }
        ))
    })?;
    launcher.is_enabled().map_err(|e| {
        AppError::unavailable(format!("Cannot tell whether Keydesk starts at login: {e}"))
    })
}
