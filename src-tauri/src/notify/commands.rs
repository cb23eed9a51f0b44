//! The notification preferences as Tauri commands: which kinds of desktop
//! notification the user wants (the settings view reads and sets them).

use std::sync::Arc;

use tauri::State;

use super::store::Preferences;
use super::Notifier;
use crate::error::AppError;

type NotifierState<'a> = State<'a, Arc<Notifier>>;

#[tauri::command(rename_all = "snake_case")]
pub async fn get_preferences(notifier: NotifierState<'_>) -> Result<Preferences, AppError> {
    Ok(notifier.preferences())
}

/// Saves the preferences and answers them as saved.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_preferences(
    notifier: NotifierState<'_>,
    preferences: Preferences,
) -> Result<Preferences, AppError> {
    notifier.set_preferences(preferences)
}
