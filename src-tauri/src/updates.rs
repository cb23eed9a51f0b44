//! Signed updates. A release build carries the updater's public key and its
//! feed (`plugins.updater` in tauri.release.conf.json); a dev build has
//! neither and never updates itself. Owns turning the updater plugin on
//! only when configured, asking the feed whether a newer version exists
//! (with its release notes), and installing it after the user said yes:
//! the artifact is downloaded and its signature checked against the key
//! built in before anything is installed; a mismatch installs nothing and
//! says so in words.

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Error as UpdaterError, UpdaterExt};

use crate::error::{AppError, AppResult, ErrorCode};

/// Whether this build updates itself: `plugins.updater` is configured.
pub struct UpdatesEnabled(pub bool);

/// Turns the updater on when the build's configuration has a key and at
/// least one feed; an empty key (an overlay not filled in) counts as none.
pub fn install_plugin<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<bool> {
    let configured = app
        .config()
        .plugins
        .0
        .get("updater")
        .is_some_and(|updater| {
            let key = updater.get("pubkey").and_then(|k| k.as_str()).unwrap_or("");
            let feeds = updater.get("endpoints").and_then(|e| e.as_array());
            !key.trim().is_empty() && feeds.is_some_and(|feeds| !feeds.is_empty())
        });
    if configured {
        app.plugin(tauri_plugin_updater::Builder::new().build())?;
    }
    app.manage(UpdatesEnabled(configured));
    Ok(configured)
}

/// A newer version the feed offers, for the window to show before asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    /// The release notes, as the feed gives them.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), when the feed says.
    pub date: Option<String>,
}

fn enabled<R: Runtime>(app: &AppHandle<R>) -> AppResult<()> {
    match app.try_state::<UpdatesEnabled>() {
        Some(on) if on.0 => Ok(()),
        _ => Err(AppError::new(
            ErrorCode::Unavailable,
            "This build of Keydesk does not update itself (a development build, or a release built without an update key)",
        )),
    }
}

/// The updater's failures, in words: a bad signature is named as such.
fn explain(error: UpdaterError) -> AppError {
    match error {
        UpdaterError::Minisign(_)
        | UpdaterError::SignatureUtf8(_)
        | UpdaterError::Base64(_)
        | UpdaterError::SignedVersionMismatch { .. }
        | UpdaterError::MissingSignedVersion => AppError::new(
            ErrorCode::Forbidden,
            format!(
                "The update was refused: its signature does not match this build's update key ({error}). Nothing was installed."
            ),
        ),
        UpdaterError::Reqwest(_) | UpdaterError::Network(_) => AppError::unavailable(format!(
            "Could not reach the update server: {error}"
        )),
        other => AppError::internal(format!("The update failed: {other}")),
    }
}

/// What the feed offers now, if newer than this version.
async fn newer<R: Runtime>(app: &AppHandle<R>) -> AppResult<Option<tauri_plugin_updater::Update>> {
    enabled(app)?;
    app.updater()
        .map_err(explain)?
        .check()
        .await
        .map_err(explain)
}

/// Asks the feed for a newer version; `None` when this one is the latest.
pub async fn check<R: Runtime>(app: &AppHandle<R>) -> AppResult<Option<UpdateOffer>> {
    Ok(newer(app).await?.map(|update| UpdateOffer {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: update.body.clone(),
        date: update.date.map(|d| d.to_string()),
    }))
}

/// Downloads the newer version `version` (what the user agreed to) and
/// checks its signature; the verified bytes and the update, ready to install.
pub async fn download_verified<R: Runtime>(
    app: &AppHandle<R>,
    version: &str,
) -> AppResult<(tauri_plugin_updater::Update, Vec<u8>)> {
    let update = newer(app)
        .await?
        .ok_or_else(|| AppError::validation("version", "there is no newer version to install"))?;
    if update.version != version {
        return Err(AppError::validation(
            "version",
            format!(
                "the feed now offers {} instead of {version}: check again",
                update.version
            ),
        ));
    }
    let bytes = update.download(|_, _| {}, || {}).await.map_err(explain)?;
    Ok((update, bytes))
}

/// Whether this build updates itself.
#[tauri::command(rename_all = "snake_case")]
pub async fn updates_enabled<R: Runtime>(app: AppHandle<R>) -> Result<bool, AppError> {
    Ok(enabled(&app).is_ok())
}

/// Asks the feed for a newer version.
#[tauri::command(rename_all = "snake_case")]
pub async fn check_for_update<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Option<UpdateOffer>, AppError> {
    check(&app).await
}

/// Installs `version` after the user agreed: downloads it, verifies its
/// signature, installs it and restarts into it.
#[tauri::command(rename_all = "snake_case")]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    version: String,
) -> Result<(), AppError> {
    let (update, bytes) = download_verified(&app, &version).await?;
    update.install(bytes).map_err(explain)?;
    app.restart()
}
