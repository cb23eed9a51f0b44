//! The system tray: the tray icon and its menu ("My keys", "Open Keydesk",
//! the signed-in profile, "Quit"), showing and hiding the small tray window,
//! and keeping the app alive in the tray when the main window is closed.

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewWindow, Window, WindowEvent};
use tauri_plugin_positioner::{Position, WindowExt};

use crate::connection::{ConnectionKind, ConnectionStatus};
use crate::MAIN_WINDOW;

/// Label of the tray window, as in tauri.conf.json and capabilities/tray.json.
pub const TRAY_WINDOW: &str = "tray";

const TRAY_ID: &str = "keydesk";

/// Event sent to the tray window each time it is shown, so it reloads its
/// list (keys may have changed in the main window meanwhile).
pub const TRAY_SHOWN: &str = "tray-shown";

/// What a tray menu entry does, by the entry's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    MyKeys,
    OpenKeydesk,
    CheckForUpdates,
    Quit,
}

/// Event sent to the main window by "Check for updates…".
pub const CHECK_FOR_UPDATES: &str = "check-for-updates";

impl TrayAction {
    const ALL: [TrayAction; 4] = [
        TrayAction::MyKeys,
        TrayAction::OpenKeydesk,
        TrayAction::CheckForUpdates,
        TrayAction::Quit,
    ];

    fn id(self) -> &'static str {
        match self {
            TrayAction::MyKeys => "my-keys",
            TrayAction::OpenKeydesk => "open-keydesk",
            TrayAction::CheckForUpdates => "check-for-updates",
            TrayAction::Quit => "quit",
        }
    }

    fn label(self) -> &'static str {
        match self {
            TrayAction::MyKeys => "My keys",
            TrayAction::OpenKeydesk => "Open Keydesk",
            TrayAction::CheckForUpdates => "Check for updates…",
            TrayAction::Quit => "Quit",
        }
    }

    /// The action of a menu entry; `None` for entries that do nothing (the
    /// profile line).
    pub fn from_id(id: &str) -> Option<TrayAction> {
        Self::ALL.into_iter().find(|action| action.id() == id)
    }
}

/// The menu's line naming who the app acts as: the signed-in account and
/// its server, or the local store.
pub fn profile_label(status: &ConnectionStatus) -> String {
    match (&status.kind, &status.profile) {
        (ConnectionKind::Remote, Some(profile)) => {
            let host = profile
                .server_url
                .split_once("://")
                .map_or(profile.server_url.as_str(), |(_, rest)| rest);
            format!("{} on {host}", profile.account)
        }
        (ConnectionKind::SignedOut, Some(_)) => "Signed out".to_owned(),
        _ => "Local store".to_owned(),
    }
}

/// The menu's profile line, kept to rename it when the connection changes.
struct ProfileItem<R: Runtime>(MenuItem<R>);

/// Puts the icon in the tray. Without a tray (some Linux desktops have
/// none), the app still runs with its main window. "Check for updates…" is
/// there only in builds that update themselves.
pub fn install<R: Runtime>(app: &AppHandle<R>, profile: &str, updates: bool) -> tauri::Result<()> {
    let item = |action: TrayAction| {
        MenuItem::with_id(app, action.id(), action.label(), true, None::<&str>)
    };
    let profile_item = MenuItem::with_id(app, "profile", profile, false, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &item(TrayAction::MyKeys)?,
            &item(TrayAction::OpenKeydesk)?,
            &PredefinedMenuItem::separator(app)?,
            &profile_item,
            &PredefinedMenuItem::separator(app)?,
        ],
    )?;
    if updates {
        menu.append(&item(TrayAction::CheckForUpdates)?)?;
    }
    menu.append(&item(TrayAction::Quit)?)?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Keydesk")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(on_menu_event)
        .on_tray_icon_event(on_tray_icon_event);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(ProfileItem(profile_item));
    Ok(())
}

/// Renames the menu's profile line (after a sign-in, sign-out or switch).
pub fn show_profile<R: Runtime>(app: &AppHandle<R>, status: &ConnectionStatus) {
    if let Some(item) = app.try_state::<ProfileItem<R>>() {
        if let Err(e) = item.0.set_text(profile_label(status)) {
            eprintln!("keydesk: cannot rename the tray's profile line: {e}");
        }
    }
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    match TrayAction::from_id(event.id().as_ref()) {
        Some(TrayAction::MyKeys) => show_tray_window(app),
        Some(TrayAction::OpenKeydesk) => show_main_window(app),
        Some(TrayAction::CheckForUpdates) => show_main_window_for(app, CHECK_FOR_UPDATES, ()),
        Some(TrayAction::Quit) => app.exit(0),
        None => {}
    }
}

/// A left click toggles the tray window, where the tray reports clicks
/// (Windows and macOS; on Linux the menu's "My keys" opens it).
fn on_tray_icon_event<R: Runtime>(tray: &TrayIcon<R>, event: TrayIconEvent) {
    tauri_plugin_positioner::on_tray_event(tray.app_handle(), &event);
    if let TrayIconEvent::Click {
        button: MouseButton::Left,
        button_state: MouseButtonState::Up,
        ..
    } = event
    {
        let app = tray.app_handle();
        match app.get_webview_window(TRAY_WINDOW) {
            Some(window) if window.is_visible().unwrap_or(false) => hide(&window),
            _ => show_tray_window(app),
        }
    }
}

fn hide<R: Runtime>(window: &WebviewWindow<R>) {
    if let Err(e) = window.hide() {
        eprintln!("keydesk: cannot hide the {} window: {e}", window.label());
    }
}

fn bring_up<R: Runtime>(window: &WebviewWindow<R>) {
    let shown = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(e) = shown {
        eprintln!("keydesk: cannot show the {} window: {e}", window.label());
    }
}

/// The tray window, created the first time it is asked for.
fn tray_window<R: Runtime>(app: &AppHandle<R>) -> Option<WebviewWindow<R>> {
    if let Some(window) = app.get_webview_window(TRAY_WINDOW) {
        return Some(window);
    }
    match crate::create_window(app, TRAY_WINDOW) {
        Ok(window) => Some(window),
        Err(e) => {
            eprintln!("keydesk: cannot open the tray window: {e}");
            None
        }
    }
}

/// Shows the tray window beside the tray icon, or in the screen's top-right
/// corner when the tray never said where it is.
pub fn show_tray_window<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = tray_window(app) else {
        return;
    };
    if window.move_window(Position::TrayCenter).is_ok() {
        bring_up(&window);
    } else {
        // Shown first: a window never shown yet may not know its size.
        bring_up(&window);
        if let Err(e) = window.move_window(Position::TopRight) {
            eprintln!("keydesk: cannot place the tray window: {e}");
        }
    }
    if let Err(e) = app.emit_to(TRAY_WINDOW, TRAY_SHOWN, ()) {
        eprintln!("keydesk: cannot tell the tray window it is shown: {e}");
    }
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        bring_up(&window);
    }
}

/// Brings the main window up and sends it `event` (what to show or do).
pub fn show_main_window_for<R: Runtime, S: serde::Serialize + Clone>(
    app: &AppHandle<R>,
    event: &str,
    payload: S,
) {
    show_main_window(app);
    if let Err(e) = app.emit_to(MAIN_WINDOW, event, payload) {
        eprintln!("keydesk: cannot send {event} to the main window: {e}");
    }
}

/// The tray window's "Open Keydesk": the main window comes forward and the
/// tray window goes away.
#[tauri::command(rename_all = "snake_case")]
pub fn open_main_window<R: Runtime>(app: AppHandle<R>) {
    show_main_window(&app);
    if let Some(window) = app.get_webview_window(TRAY_WINDOW) {
        hide(&window);
    }
}

/// The windows' part in living in the tray: the tray window hides when it
/// loses focus; closing the main window hides it while the tray icon is
/// there to bring it back (the app then ends only with "Quit").
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    match event {
        WindowEvent::Focused(false) if window.label() == TRAY_WINDOW => {
            if let Err(e) = window.hide() {
                eprintln!("keydesk: cannot hide the tray window: {e}");
            }
        }
        WindowEvent::CloseRequested { api, .. }
            if window.label() == MAIN_WINDOW
                && window.app_handle().tray_by_id(TRAY_ID).is_some() =>
        {
            api.prevent_close();
            if let Err(e) = window.hide() {
                eprintln!("keydesk: cannot hide the main window: {e}");
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::{CredentialKind, Profile};

    fn status(kind: ConnectionKind, profile: Option<Profile>) -> ConnectionStatus {
        ConnectionStatus {
            kind,
            profile,
            profiles: Vec::new(),
            remembered: None,
            offline: None,
            notice: None,
            team: None,
        }
    }

    #[test]
    fn the_profile_line_names_the_account_and_server_when_signed_in() {
        let profile = Profile::new(
            "https://keys.example.com/",
            "Ada@Example.com",
            CredentialKind::Session,
        );
        assert_eq!(
            profile_label(&status(ConnectionKind::Remote, Some(profile.clone()))),
            "ada@example.com on keys.example.com"
        );
        assert_eq!(
            profile_label(&status(ConnectionKind::SignedOut, Some(profile))),
            "Signed out"
        );
    }

    #[test]
    fn the_profile_line_says_local_store_in_local_mode() {
        assert_eq!(
            profile_label(&status(ConnectionKind::Local, None)),
            "Local store"
        );
    }

    #[test]
    fn each_menu_entry_id_maps_back_to_its_action_and_the_profile_line_to_none() {
        for action in TrayAction::ALL {
            assert_eq!(TrayAction::from_id(action.id()), Some(action));
        }
        assert_eq!(TrayAction::from_id("profile"), None);
        let labels: Vec<_> = TrayAction::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(
            labels,
            ["My keys", "Open Keydesk", "Check for updates…", "Quit"]
        );
    }
}
