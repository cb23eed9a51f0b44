//! A secret on the system clipboard: copied for the user from a reveal-once
//! panel, then cleared after a delay (60 s) or when the app quits, whichever
//! comes first, but only if the clipboard still holds it: what the user
//! copied since is left alone. The secret itself is not kept, only a keyed
//! hash to recognise it. Done here rather than in the page so that a closed
//! window or a quit cannot leave a key behind.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::AppError;

/// How long a copied secret stays on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(60);

/// Test only (honoured by debug builds): started with
/// `--test-clipboard-clear-seconds=N`, the app clears a copied secret after
/// N seconds instead of 60, so the end-to-end tests can watch it happen.
const TEST_CLEAR_AFTER_ARG: &str = "--test-clipboard-clear-seconds=";

/// Reading and writing the clipboard's text.
pub trait ClipboardText: Send + Sync {
    /// The text on the clipboard; `None` when it holds none.
    fn read(&self) -> Option<String>;
    fn write(&self, text: &str) -> Result<(), String>;
}

/// The system clipboard, through the clipboard-manager plugin.
struct SystemClipboard<R: Runtime>(AppHandle<R>);

impl<R: Runtime> ClipboardText for SystemClipboard<R> {
    fn read(&self) -> Option<String> {
        self.0.clipboard().read_text().ok()
    }
    fn write(&self, text: &str) -> Result<(), String> {
        self.0
            .clipboard()
            .write_text(text)
            .map_err(|e| e.to_string())
    }
}

/// What was last copied: a hash of it and which copy it was.
#[derive(Clone, Copy)]
struct Copied {
    print: u64,
    number: u64,
}

/// The copied secret awaiting its clearing; one per app.
#[derive(Default)]
pub struct SecretClipboard {
    hasher: RandomState,
    last: Mutex<Option<Copied>>,
    copies: AtomicU64,
}

impl SecretClipboard {
    /// Puts `secret` on the clipboard; returns the copy's number, which
    /// [`SecretClipboard::clear_copy`] takes to clear it later.
    pub fn copy(&self, clipboard: &dyn ClipboardText, secret: &str) -> Result<u64, String> {
        clipboard.write(secret)?;
        let number = self.copies.fetch_add(1, Ordering::Relaxed) + 1;
        *self.last.lock().expect("clipboard lock") = Some(Copied {
            print: self.hasher.hash_one(secret),
            number,
        });
        Ok(number)
    }

    /// When copy `number` is still the last one: clears the clipboard if it
    /// still holds that secret. True when something was cleared.
    pub fn clear_copy(&self, clipboard: &dyn ClipboardText, number: u64) -> bool {
        let mut last = self.last.lock().expect("clipboard lock");
        match *last {
            Some(copied) if copied.number == number => {
                *last = None;
                self.clear_if_holding(clipboard, copied)
            }
            _ => false,
        }
    }

    /// Clears the clipboard now if it still holds the last copied secret
    /// (the app quits, or the user asked). True when something was cleared.
    pub fn clear_now(&self, clipboard: &dyn ClipboardText) -> bool {
        let copied = self.last.lock().expect("clipboard lock").take();
        copied.is_some_and(|copied| self.clear_if_holding(clipboard, copied))
    }

    /// Whether a copied secret still waits to be cleared.
    pub fn is_pending(&self) -> bool {
        self.last.lock().expect("clipboard lock").is_some()
    }

    fn clear_if_holding(&self, clipboard: &dyn ClipboardText, copied: Copied) -> bool {
        let holds = clipboard
            .read()
            .is_some_and(|text| self.hasher.hash_one(text.as_str()) == copied.print);
        if !holds {
            return false;
        }
        match clipboard.write("") {
            Ok(()) => true,
            Err(e) => {
                eprintln!("keydesk: cannot clear the clipboard: {e}");
                false
            }
        }
    }
}

fn clear_after() -> Duration {
    if cfg!(debug_assertions) {
        let asked = std::env::args().find_map(|arg| {
            arg.strip_prefix(TEST_CLEAR_AFTER_ARG)
                .and_then(|n| n.parse().ok())
        });
        if let Some(seconds) = asked {
            return Duration::from_secs(seconds);
        }
    }
    CLEAR_AFTER
}

/// Clears the clipboard if it still holds a copied secret; called as the app exits.
pub fn clear_at_exit<R: Runtime>(app: &AppHandle<R>) {
    if let Some(guard) = app.try_state::<Arc<SecretClipboard>>() {
        guard.clear_now(&SystemClipboard(app.clone()));
    }
}

/// The answer to a copy: how long until the clipboard is cleared.
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SecretCopied {
    pub clears_in_seconds: u32,
}

/// Copies a secret and clears it after the delay if it is still there.
#[tauri::command(rename_all = "snake_case")]
pub async fn copy_secret<R: Runtime>(
    app: AppHandle<R>,
    guard: State<'_, Arc<SecretClipboard>>,
    secret: String,
) -> Result<SecretCopied, AppError> {
    let clipboard = SystemClipboard(app.clone());
    let number = guard
        .copy(&clipboard, &secret)
        .map_err(|e| AppError::unavailable(format!("Could not copy to the clipboard: {e}")))?;
    drop(secret);
    let delay = clear_after();
    let guard = Arc::clone(&guard);
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(delay).await;
        guard.clear_copy(&clipboard, number);
    });
    Ok(SecretCopied {
        clears_in_seconds: u32::try_from(delay.as_secs()).unwrap_or(u32::MAX),
    })
}

/// Clears the clipboard now if it still holds the copied secret.
#[tauri::command(rename_all = "snake_case")]
pub async fn clear_copied_secret<R: Runtime>(
    app: AppHandle<R>,
    guard: State<'_, Arc<SecretClipboard>>,
) -> Result<bool, AppError> {
    Ok(guard.clear_now(&SystemClipboard(app)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clipboard in memory, for the rules above.
    #[derive(Default)]
    struct MemoryClipboard(Mutex<Option<String>>);

    impl MemoryClipboard {
        fn holds(&self) -> Option<String> {
            self.0.lock().unwrap().clone()
        }
    }

    impl ClipboardText for MemoryClipboard {
        fn read(&self) -> Option<String> {
            self.holds()
        }
        fn write(&self, text: &str) -> Result<(), String> {
            *self.0.lock().unwrap() = Some(text.to_owned());
            Ok(())
        }
    }

    const SECRET: &str = "kd_live_example_secret_of_the_test";

    #[test]
    fn a_copied_secret_is_cleared_when_its_delay_ends() {
        let (guard, clipboard) = (SecretClipboard::default(), MemoryClipboard::default());
        let copy = guard.copy(&clipboard, SECRET).unwrap();
        assert_eq!(clipboard.holds().as_deref(), Some(SECRET));
        assert!(guard.clear_copy(&clipboard, copy));
        assert_eq!(clipboard.holds().as_deref(), Some(""));
        assert!(!guard.is_pending());
    }

    #[test]
    fn what_the_user_copied_since_is_left_alone() {
        let (guard, clipboard) = (SecretClipboard::default(), MemoryClipboard::default());
        let copy = guard.copy(&clipboard, SECRET).unwrap();
        clipboard.write("the user's own text").unwrap();
        assert!(!guard.clear_copy(&clipboard, copy));
        assert_eq!(clipboard.holds().as_deref(), Some("the user's own text"));
    }

    #[test]
    fn quitting_before_the_delay_clears_the_secret() {
        let (guard, clipboard) = (SecretClipboard::default(), MemoryClipboard::default());
        guard.copy(&clipboard, SECRET).unwrap();
        assert!(guard.clear_now(&clipboard), "the exit hook clears it");
        assert_eq!(clipboard.holds().as_deref(), Some(""));
        // Nothing left to do afterwards (a second hook, a late timer).
        assert!(!guard.clear_now(&clipboard));
    }

    #[test]
    fn an_earlier_copys_timer_does_not_clear_a_newer_copy_early() {
        let (guard, clipboard) = (SecretClipboard::default(), MemoryClipboard::default());
        let first = guard.copy(&clipboard, SECRET).unwrap();
        let second = guard.copy(&clipboard, "MISTRAL_API_KEY=another").unwrap();
        assert!(!guard.clear_copy(&clipboard, first), "the first timer ends");
        assert_eq!(
            clipboard.holds().as_deref(),
            Some("MISTRAL_API_KEY=another")
        );
        assert!(guard.clear_copy(&clipboard, second));
        assert_eq!(clipboard.holds().as_deref(), Some(""));
    }

    #[test]
    fn an_empty_clipboard_is_not_written_to() {
        let (guard, clipboard) = (SecretClipboard::default(), MemoryClipboard::default());
        guard.copy(&clipboard, SECRET).unwrap();
        *clipboard.0.lock().unwrap() = None;
        assert!(!guard.clear_now(&clipboard));
        assert_eq!(clipboard.holds(), None);
    }
}
