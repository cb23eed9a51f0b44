//! The Keydesk desktop shell: builds the Tauri app, opens the connection the
//! UI talks to (the local store or a signed-in server), and creates the main
//! window once it is in state.

pub mod backend;
pub mod cache;
#[cfg(test)]
mod command_wiring;
pub mod commands;
pub mod connection;
pub mod error;
pub mod keychain;
pub mod local;
#[cfg(test)]
mod payload_samples;
pub mod remote;
pub mod wire;

use std::sync::Arc;

use tauri::{Emitter, Manager};

use crate::backend::Backend;
use crate::connection::{Connection, ConnectionEvent};
use crate::keychain::SessionVault;

/// Label of the main window, as in tauri.conf.json and the capabilities.
pub const MAIN_WINDOW: &str = "main";

/// Event sent to the window when the connection changed (signed in or out,
/// switched profile, went offline or back online).
pub const CONNECTION_CHANGED: &str = "connection-changed";
/// Event sent when a list shown from the cache was refreshed with news;
/// its payload is the list's kind (`state`, `workspaces`, `keys`...).
pub const DATA_REFRESHED: &str = "data-refreshed";

/// Runs the app until its last window closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .invoke_handler(commands::handler())
        .setup(|app| {
            let data_dir = local::data_dir_from_env_or(|| app.path().app_data_dir().ok());
            if data_dir.is_none() {
                eprintln!("keydesk: no data folder: the platform gave no app-data directory and KEYDESK_DATA_DIR is not set");
            }
            // The keychain entries live under the app identifier, so a dev
            // build with another identifier never sees release sessions.
            let vault = SessionVault::new(&app.config().identifier);
            let connection = tauri::async_runtime::block_on(Connection::open(data_dir, vault));
            let handle = app.handle().clone();
            connection.set_listener(Arc::new(move |event| {
                let sent = match event {
                    ConnectionEvent::Changed => handle.emit(CONNECTION_CHANGED, ()),
                    ConnectionEvent::Refreshed { kind } => handle.emit(DATA_REFRESHED, kind),
                };
                if let Err(e) = sent {
                    eprintln!("keydesk: cannot tell the window: {e}");
                }
            }));
            app.manage(connection.clone() as Arc<dyn Backend>);
            app.manage(connection);
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
