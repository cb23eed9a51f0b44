//! The Keydesk desktop shell: builds the Tauri app, opens the backend the UI
//! talks to, and creates the main window once that backend is in state.

pub mod backend;
pub mod cache;
pub mod commands;
pub mod error;
pub mod keychain;
pub mod local;
#[cfg(test)]
mod payload_samples;
pub mod remote;
pub mod wire;

use std::sync::Arc;

use tauri::Manager;

use crate::backend::{Backend, UnavailableBackend};
use crate::local::LocalBackend;

/// Label of the main window, as in tauri.conf.json and the capabilities.
pub const MAIN_WINDOW: &str = "main";

/// Runs the app until its last window closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .invoke_handler(commands::handler())
        .setup(|app| {
            let backend = open_backend(app.handle());
            app.manage(backend);
            // The window is created only now (`"create": false` in the
            // config), so no call from the UI can arrive before the backend.
            let config = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == MAIN_WINDOW)
                .cloned()
                .ok_or("tauri.conf.json has no window labelled \"main\"")?;
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
            Ok(())
        })
        .run(tauri::generate_context!())
}

/// The local store in the data directory; when it cannot be opened, a
/// stand-in that reports why on every call, so the window can show it.
fn open_backend<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Arc<dyn Backend> {
    let Some(data_dir) = local::data_dir_from_env_or(|| app.path().app_data_dir().ok()) else {
        let reason = "no data folder: the platform gave no app-data directory and KEYDESK_DATA_DIR is not set";
        eprintln!("keydesk: {reason}");
        return Arc::new(UnavailableBackend::new(reason));
    };
    match tauri::async_runtime::block_on(LocalBackend::open(&data_dir)) {
        Ok(backend) => Arc::new(backend),
        Err(error) => {
            eprintln!("keydesk: {error}");
            Arc::new(UnavailableBackend::new(error.message))
        }
    }
}
