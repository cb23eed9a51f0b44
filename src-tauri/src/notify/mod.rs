//! Desktop notifications: a key of mine expires within 7 days, a workspace I
//! answer for passed 50, 80 or 100 % of its monthly limit, my session on a
//! server ended. Owns the task that looks for them (shortly after start,
//! then every 15 minutes and whenever the connection changes), sending them
//! through tauri-plugin-notification, and opening the view a notification
//! is about when it is clicked (the main window hears `open-view`).
//!
//! What to send is decided in schedule.rs (pure, tested with an injected
//! clock), the preferences and the record of what was sent are kept in
//! store.rs, and the preferences commands are in commands.rs.

pub mod commands;
pub mod schedule;
pub mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::Utc;
use keydesk_core::model::{ApiKey, KeyFilter, KeyStatus};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::backend::{Backend, SpendAlert};
use crate::connection::{Connection, ConnectionKind};
use crate::error::{AppError, AppResult, ErrorCode};
use schedule::{Found, Notification, NotificationTarget, Now, Sent, SessionSeen};
use store::{Preferences, Store};

/// Event sent to the main window when a notification is clicked; its
/// payload is the `NotificationTarget` to open.
pub const OPEN_VIEW: &str = "open-view";

/// The first look, once the window's first reads are done.
const FIRST_CHECK_AFTER: Duration = Duration::from_secs(10);
/// The looks after it, unless the connection changes first.
const CHECK_EVERY: Duration = Duration::from_secs(15 * 60);
/// The most keys one look lists (the backends' page limit).
const KEYS_PER_LOOK: i64 = 1000;
/// Clicked notifications are remembered for this many of the latest sent.
const CLICKABLE: usize = 100;

/// Test only (honoured by debug builds): a file each notification sent is
/// appended to, as one JSON line, for end-to-end tests that run without a
/// notification daemon.
const TEST_NOTIFICATIONS_LOG: &str = "KEYDESK_TEST_NOTIFICATIONS_LOG";

/// The notifier's state, in Tauri state as `Arc<Notifier>`.
pub struct Notifier {
    store: Store,
    preferences: Mutex<Preferences>,
    /// Woken when the connection changed or the preferences did.
    wake: Notify,
    /// What each notification sent opens, by notification id.
    targets: Mutex<HashMap<i32, NotificationTarget>>,
    next_id: AtomicI32,
}

impl Notifier {
    fn new(store: Store) -> Self {
        Notifier {
            preferences: Mutex::new(store.load_preferences()),
            store,
            wake: Notify::new(),
            targets: Mutex::new(HashMap::new()),
            next_id: AtomicI32::new(1),
        }
    }

    pub fn preferences(&self) -> Preferences {
        *self.preferences.lock().expect("preferences lock")
    }

    /// Saves the preferences (kept in memory when there is no data folder)
    /// and looks again at once, so a kind turned on is not left waiting.
    pub fn set_preferences(&self, preferences: Preferences) -> AppResult<Preferences> {
        self.store.save_preferences(&preferences)?;
        *self.preferences.lock().expect("preferences lock") = preferences;
        self.wake.notify_one();
        Ok(preferences)
    }

    /// Shows a notification and remembers what a click on it opens.
    fn show<R: Runtime>(&self, app: &AppHandle<R>, notification: &Notification) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut targets = self.targets.lock().expect("targets lock");
            targets.retain(|known, _| *known > id - CLICKABLE as i32);
            targets.insert(id, notification.target.clone());
        }
        if cfg!(debug_assertions) {
            log_for_tests(notification);
        }
        let shown = app
            .notification()
            .builder()
            .id(id)
            .title(&notification.title)
            .body(&notification.body)
            .show();
        if let Err(e) = shown {
            eprintln!("keydesk: cannot show a notification: {e}");
        }
    }

    fn target(&self, id: i32) -> Option<NotificationTarget> {
        self.targets.lock().ok()?.get(&id).cloned()
    }
}

/// Starts the notifier: its state (for the preferences commands), the click
/// handler and the task that looks for things to tell. `data_dir` holds the
/// preferences and the record of what was sent; without one they last as
/// long as the app runs.
pub fn start<R: Runtime>(
    app: &AppHandle<R>,
    connection: Arc<Connection>,
    data_dir: Option<PathBuf>,
) {
    let notifier = Arc::new(Notifier::new(Store::new(data_dir)));
    app.manage(notifier.clone());
    // Registered before anything is sent: only notifications shown while a
    // handler exists report their clicks.
    let handle = app.clone();
    let clicked: Weak<Notifier> = Arc::downgrade(&notifier);
    let registered = app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let target = performed
            .notification()
            .zip(clicked.upgrade())
            .and_then(|(shown, notifier)| notifier.target(shown.id()));
        if let Some(target) = target {
            crate::tray::show_main_window_for(&handle, OPEN_VIEW, target);
        }
    });
    if let Err(e) = registered {
        eprintln!("keydesk: clicks on notifications will open nothing: {e}");
    }
    tauri::async_runtime::spawn(watch(app.clone(), connection, notifier));
}

/// Tells the notifier the connection changed (signed in or out, switched,
/// offline or back): it looks again at once.
pub fn connection_changed<R: Runtime>(app: &AppHandle<R>) {
    if let Some(notifier) = app.try_state::<Arc<Notifier>>() {
        notifier.wake.notify_one();
    }
}

async fn watch<R: Runtime>(
    app: AppHandle<R>,
    connection: Arc<Connection>,
    notifier: Arc<Notifier>,
) {
    let mut sent = notifier.store.load_sent();
    let mut seen = SessionSeen::of(&connection.status().await);
    let mut wait = FIRST_CHECK_AFTER;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = notifier.wake.notified() => {}
        }
        wait = CHECK_EVERY;
        look(&app, &connection, &notifier, &mut sent, &mut seen).await;
    }
}

/// One look: the session first, then the user's keys and spend alerts.
async fn look<R: Runtime>(
    app: &AppHandle<R>,
    connection: &Connection,
    notifier: &Notifier,
    sent: &mut Sent,
    seen: &mut SessionSeen,
) {
    let preferences = notifier.preferences();
    let status = connection.status().await;
    if let Some(notification) = schedule::session_ended(seen, &status, &preferences) {
        notifier.show(app, &notification);
    }
    *seen = SessionSeen::of(&status);
    if status.kind == ConnectionKind::SignedOut {
        return;
    }
    let user = match connection.state().await {
        Ok(state) => match state.user {
            Some(user) => user,
            None => return,
        },
        Err(e) => return report(&e),
    };
    let now = Now::local(Utc::now());
    let keys = match preferences.notify_key_expiry {
        true => own_keys(connection, user.id)
            .await
            .map_err(|e| report(&e))
            .ok(),
        false => None,
    };
    let alerts = match preferences.notify_spend_alerts {
        true => spend_alerts(connection, &now)
            .await
            .map_err(|e| report(&e))
            .ok(),
        false => None,
    };
    let found = Found {
        keys: keys.as_deref(),
        alerts: alerts.as_deref(),
    };
    let plan = schedule::plan(&now, &preferences, found, sent);
    if plan.sent != *sent {
        if let Err(e) = notifier.store.save_sent(&plan.sent) {
            eprintln!("keydesk: {e}");
        }
        *sent = plan.sent;
    }
    for notification in &plan.notifications {
        notifier.show(app, notification);
    }
}

async fn own_keys(backend: &dyn Backend, user_id: Uuid) -> AppResult<Vec<ApiKey>> {
    let filter = KeyFilter {
        owner_id: Some(user_id),
        status: Some(KeyStatus::Active),
        limit: Some(KEYS_PER_LOOK),
        ..KeyFilter::default()
    };
    Ok(backend.list_keys(filter).await?.keys)
}

/// The alerts recent enough to show. Someone the server will not show
/// alerts to has none to be told of.
async fn spend_alerts(backend: &dyn Backend, now: &Now) -> AppResult<Vec<SpendAlert>> {
    match backend
        .spend_alerts(Some(now.at - schedule::ALERT_MAX_AGE))
        .await
    {
        Err(e) if e.code == ErrorCode::Forbidden => Ok(Vec::new()),
        answer => answer,
    }
}

/// Logs a failed look, except the expected ones (not signed in, offline,
/// not set up yet), which would otherwise fill the log every 15 minutes.
fn report(error: &AppError) {
    let expected = matches!(
        error.code,
        ErrorCode::Unauthorized | ErrorCode::Unavailable | ErrorCode::NotInitialized
    );
    if !expected {
        eprintln!("keydesk: notifications: {error}");
    }
}

/// Debug builds: appends the notification to the test log, when one is named.
fn log_for_tests(notification: &Notification) {
    let Some(path) = std::env::var_os(TEST_NOTIFICATIONS_LOG).filter(|p| !p.is_empty()) else {
        return;
    };
    let line = match serde_json::to_string(notification) {
        Ok(line) => line,
        Err(e) => return eprintln!("keydesk: cannot log a notification: {e}"),
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        eprintln!("keydesk: cannot log a notification: {e}");
    }
}
