//! The Keydesk desktop shell: builds the Tauri app, opens the connection the
//! UI talks to (the local store or a signed-in server), creates the main and
//! tray windows once it is in state, and puts the icon in the tray.

pub mod backend;
pub mod cache;
pub mod clipboard;
#[cfg(test)]
mod command_wiring;
pub mod commands;
pub mod connection;
pub mod env_file;
pub mod error;
pub mod keychain;
pub mod local;
pub mod notify;
pub mod patch_input;
pub mod remote;
pub mod start_at_login;
pub mod team;
pub mod tray;
pub mod updates;

use std::sync::Arc;

use tauri::{Emitter, Manager, RunEvent};
use tauri_plugin_window_state::StateFlags;

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

/// Where an app build keeps its data and its sessions. Both are named after
/// the app identifier, which dev and test builds take from the dev overlay
/// tauri.dev.conf.json (merged over tauri.conf.json with `TAURI_CONFIG` at
/// build time, or `--config` for the Tauri CLI): so a dev build never reads
/// or overwrites a release build's data or sessions on the same machine.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AppStorage {
    /// The platform's app-data directory (`<data dir>/<identifier>`), used
    /// when `KEYDESK_DATA_DIR` is not set.
    app_data_dir: Option<std::path::PathBuf>,
    /// The service the session tokens are stored under in the keychain.
    keychain_service: String,
}

impl AppStorage {
    fn of<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Self {
        AppStorage {
            app_data_dir: app.path().app_data_dir().ok(),
            keychain_service: app.config().identifier.clone(),
        }
    }
}

/// Test only (honoured by debug builds): set to 1, the app shows the tray
/// window at start, as the tray's "My keys" does. WebDriver drives pages,
/// not the tray icon's menu, which belongs to the desktop shell.
const TEST_OPEN_TRAY_WINDOW: &str = "KEYDESK_TEST_OPEN_TRAY_WINDOW";

/// Test only (honoured by debug builds): started with this argument, the
/// app's windows take the dark theme whatever the desktop's setting, for
/// the end-to-end tests' dark screenshots.
const TEST_DARK_THEME_ARG: &str = "--test-dark-theme";

/// A window of tauri.conf.json, created now (they all say `"create": false`).
pub(crate) fn create_window<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    label: &str,
) -> Result<tauri::WebviewWindow<R>, Box<dyn std::error::Error>> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == label)
        .cloned()
        .ok_or_else(|| format!("tauri.conf.json has no window labelled {label:?}"))?;
    Ok(tauri::WebviewWindowBuilder::from_config(app, &config)?.build()?)
}

/// What is restored of the main window at start: size, position, maximized
/// and so on, but not whether it was shown (closed into the tray, it would
/// come back hidden). The tray window places itself at the tray each time.
fn window_state_plugin<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_window_state::Builder::new()
        .with_state_flags(StateFlags::all() - StateFlags::VISIBLE)
        .with_denylist(&[tray::TRAY_WINDOW])
        .build()
}

/// Quits like the tray's "Quit" when the system asks the app to end
/// (SIGTERM as the desktop session closes, SIGINT from a terminal), so the
/// exit hooks still run: the clipboard is cleared, window places saved.
#[cfg(unix)]
fn quit_on_termination_signals<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use tokio::signal::unix::{signal, SignalKind};
    for kind in [SignalKind::terminate(), SignalKind::interrupt()] {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            match signal(kind) {
                Ok(mut signals) => {
                    if signals.recv().await.is_some() {
                        app.exit(0);
                    }
                }
                Err(e) => eprintln!("keydesk: cannot listen for {kind:?}: {e}"),
            }
        });
    }
}

/// Runs the app until "Quit" (or, without a tray, until its last window closes).
pub fn run() -> tauri::Result<()> {
    let app = tauri::Builder::default()
        // First: a second launch (same app identifier, same user session)
        // ends at once and brings this one's main window forward, which is
        // also the way back to a window closed into a tray the desktop does
        // not show.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app)
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_positioner::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(window_state_plugin())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .plugin(tauri_plugin_notification::init())
        .manage(Arc::new(clipboard::SecretClipboard::default()))
        .invoke_handler(commands::handler())
        .on_window_event(tray::on_window_event)
        .setup(|app| {
            // Release builds with an update key only; a dev build never updates.
            let updates = updates::install_plugin(app.handle())?;
            let storage = AppStorage::of(app.handle());
            let data_dir = local::data_dir_from_env_or(|| storage.app_data_dir);
            if data_dir.is_none() {
                eprintln!("keydesk: no data folder: the platform gave no app-data directory and KEYDESK_DATA_DIR is not set");
            }
            let vault = SessionVault::new(&storage.keychain_service);
            let team = team::find(app.path().resource_dir().ok().as_deref());
            if let Some(problem) = team.as_ref().and_then(|t| t.problem.as_deref()) {
                eprintln!("keydesk: {problem}");
            }
            let connection = tauri::async_runtime::block_on(Connection::open_for_team(
                data_dir.clone(),
                vault,
                team,
            ));
            let handle = app.handle().clone();
            // Weak: the connection owns this listener.
            let listened = Arc::downgrade(&connection);
            connection.set_listener(Arc::new(move |event| {
                let sent = match event {
                    ConnectionEvent::Changed => {
                        if let Some(connection) = listened.upgrade() {
                            let handle = handle.clone();
                            tauri::async_runtime::spawn(async move {
                                tray::show_profile(&handle, &connection.status().await);
                            });
                        }
                        notify::connection_changed(&handle);
                        handle.emit(CONNECTION_CHANGED, ())
                    }
                    ConnectionEvent::Refreshed { kind } => handle.emit(DATA_REFRESHED, kind),
                };
                if let Err(e) = sent {
                    eprintln!("keydesk: cannot tell the window: {e}");
                }
            }));
            let status = tauri::async_runtime::block_on(connection.status());
            notify::start(app.handle(), connection.clone(), data_dir);
            app.manage(connection.clone() as Arc<dyn Backend>);
            app.manage(connection);
            // The main window is created only now (`"create": false` in the
            // config), so no call from the UI can arrive before the backend;
            // the tray window when it is first asked for (tray.rs), so that
            // a start pays for one web view, not two.
            create_window(app.handle(), MAIN_WINDOW)?;
            if let Err(e) = tray::install(app.handle(), &tray::profile_label(&status), updates) {
                eprintln!("keydesk: no tray icon: {e}");
            }
            #[cfg(unix)]
            quit_on_termination_signals(app.handle());
            if cfg!(debug_assertions) {
                if std::env::args().any(|arg| arg == TEST_DARK_THEME_ARG) {
                    app.handle().set_theme(Some(tauri::Theme::Dark));
                }
                if std::env::var_os(TEST_OPEN_TRAY_WINDOW).is_some_and(|v| v == "1") {
                    tray::show_tray_window(app.handle());
                }
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            clipboard::clear_at_exit(app);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use tauri::test::{mock_builder, mock_context, noop_assets};

    /// The dev overlay, merged over tauri.conf.json for dev and test builds.
    const DEV_CONFIG_FILE: &str = "tauri.dev.conf.json";

    fn read_json(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
    }

    /// A JSON merge patch (RFC 7396), the way tauri-build applies
    /// `TAURI_CONFIG` and the CLI applies `--config`.
    fn merge(target: &mut Value, patch: Value) {
        match (target, patch) {
            (Value::Object(target), Value::Object(patch)) => {
                for (key, value) in patch {
                    if value.is_null() {
                        target.remove(&key);
                    } else {
                        merge(target.entry(key).or_insert(Value::Null), value);
                    }
                }
            }
            (target, patch) => *target = patch,
        }
    }

    /// The configuration a build gets: tauri.conf.json, with the dev
    /// overlay merged over it for a dev build.
    fn build_config(dev: bool) -> tauri::Config {
        let mut config = read_json("tauri.conf.json");
        if dev {
            merge(&mut config, read_json(DEV_CONFIG_FILE));
        }
        serde_json::from_value(config).expect("a valid Tauri configuration")
    }

    /// What an app built with `config` uses for its data and sessions.
    fn storage_of(config: &tauri::Config) -> AppStorage {
        let mut context = mock_context(noop_assets());
        context.config_mut().identifier = config.identifier.clone();
        let app = mock_builder().build(context).expect("the app builds");
        AppStorage::of(app.handle())
    }

    /// The release overlay, merged over tauri.conf.json by release builds.
    const RELEASE_CONFIG_FILE: &str = "tauri.release.conf.json";

    #[test]
    fn a_release_build_carries_the_updater_and_signed_bundles_and_a_dev_build_does_not() {
        let mut release = read_json("tauri.conf.json");
        merge(&mut release, read_json(RELEASE_CONFIG_FILE));
        let release: tauri::Config = serde_json::from_value(release)
            .expect("the release overlay makes a valid configuration");
        let updater = release.plugins.0.get("updater").expect("plugins.updater");
        assert!(updater.get("pubkey").is_some() && updater.get("endpoints").is_some());
        assert!(
            serde_json::to_value(&release.bundle.create_updater_artifacts).unwrap()
                != serde_json::json!(false),
            "release bundles come with update signatures"
        );
        // The key is not in the repository: the release workflow or
        // scripts/team-build fills it in.
        assert_eq!(updater["pubkey"], "");

        let dev = build_config(true);
        assert!(
            !dev.plugins.0.contains_key("updater"),
            "a dev build has no updater to update itself with"
        );
    }

    #[test]
    fn a_dev_build_keeps_its_data_and_keychain_entries_apart_from_a_release_build() {
        let release = build_config(false);
        let dev = build_config(true);
        assert_ne!(
            dev.identifier, release.identifier,
            "{DEV_CONFIG_FILE} must give dev builds their own identifier"
        );
        assert_ne!(
            dev.product_name, release.product_name,
            "a dev build says it is one"
        );

        let (release_storage, dev_storage) = (storage_of(&release), storage_of(&dev));
        // The keychain service follows the identifier.
        assert_eq!(release_storage.keychain_service, release.identifier);
        assert_eq!(dev_storage.keychain_service, dev.identifier);
        assert_ne!(
            dev_storage.keychain_service,
            release_storage.keychain_service
        );
        // So does the data folder: the platform's app-data folder, by identifier.
        let (release_dir, dev_dir) = (
            release_storage.app_data_dir.expect("an app-data folder"),
            dev_storage.app_data_dir.expect("an app-data folder"),
        );
        assert!(
            release_dir.ends_with(&release.identifier),
            "{}",
            release_dir.display()
        );
        assert!(dev_dir.ends_with(&dev.identifier), "{}", dev_dir.display());
        assert_ne!(dev_dir, release_dir);
    }
}
