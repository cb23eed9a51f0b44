//! What to notify and when, as pure logic with no Tauri and no clock of its
//! own: given the moment of a check (`Now`, injected), the signed-in user's
//! keys, the spend alerts, the user's preferences and the record of what was
//! already sent, `plan` says which notifications to show and what the record
//! becomes; `session_ended` says whether a change of the connection is a
//! session the server ended. The runner (mod.rs) fetches, sends and saves.
//!
//! The rules:
//! - a key of mine is warned while the time left to the end of its expiry
//!   day (UTC, as the UI counts it) is under 7 days, at most once per
//!   calendar day of the user's own time zone; expired keys are not warned;
//! - a spend alert is shown once ever, and only within a day of being
//!   raised: an app started after a week away does not replay the week;
//! - several thresholds of one workspace and month passed since the last
//!   check show as one notification, the highest;
//! - a kind turned off in the preferences sends nothing and records
//!   nothing: turned back on, it warns of what is current then (keys still
//!   expiring, alerts of the last day), never of anything older.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset, Local, NaiveDate, Utc};
use keydesk_core::ledger::SpendAlert;
use keydesk_core::model::{ApiKey, KeyStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store::Preferences;
use crate::connection::{session_ended_notice, ConnectionKind, ConnectionStatus};

#[cfg(test)]
mod tests;

/// A key is "expiring soon" while less than this is left of it.
pub const EXPIRY_WARNING: Duration = Duration::days(7);
/// A spend alert raised longer ago than this is never shown.
pub const ALERT_MAX_AGE: Duration = Duration::days(1);
/// More keys than this warned at once are named in one notification.
pub const MAX_SEPARATE_KEY_WARNINGS: usize = 3;

/// What a notification is about; the preferences turn each kind off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    KeyExpiry,
    SpendAlert,
    SessionExpired,
}

/// The view a click on a notification opens, sent to the main window with
/// the `open-view` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "view", rename_all = "snake_case")]
pub enum NotificationTarget {
    /// The signed-in user's own keys.
    MyKeys,
    /// A workspace's Usage tab.
    WorkspaceUsage { workspace_id: Uuid },
    /// The sign-in screen of the active profile.
    SignIn,
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub target: NotificationTarget,
}

/// The moment a check runs: the instant, and the calendar day it is then
/// for the user, which is what "once a day" counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub at: DateTime<Utc>,
    pub today: NaiveDate,
}

impl Now {
    /// `at`, in the time zone of this computer.
    pub fn local(at: DateTime<Utc>) -> Self {
        Now {
            at,
            today: at.with_timezone(&Local).date_naive(),
        }
    }

    /// `at`, for a user whose clock is `offset` away from UTC.
    pub fn with_offset(at: DateTime<Utc>, offset: FixedOffset) -> Self {
        Now {
            at,
            today: at.with_timezone(&offset).date_naive(),
        }
    }
}

/// What was already notified, kept between runs (store.rs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Key id -> the user's day it was last warned of.
    #[serde(default)]
    pub keys: BTreeMap<Uuid, NaiveDate>,
    /// Spend alert id -> when the alert was raised (to forget it once it is
    /// too old to be shown anyway).
    #[serde(default)]
    pub alerts: BTreeMap<Uuid, DateTime<Utc>>,
}

/// What a check found. `None` where the list could not be read (or was not
/// asked for): nothing of that kind is sent, nor forgotten from the record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Found<'a> {
    /// The signed-in user's own keys.
    pub keys: Option<&'a [ApiKey]>,
    /// The spend alerts of the workspaces the user answers for.
    pub alerts: Option<&'a [SpendAlert]>,
}

/// The outcome of a check: what to show, and the record afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub notifications: Vec<Notification>,
    pub sent: Sent,
}

/// The notifications a check sends, and the record updated with them.
pub fn plan(now: &Now, preferences: &Preferences, found: Found<'_>, sent: &Sent) -> Plan {
    let mut next = sent.clone();
    let mut notifications = Vec::new();
    if let Some(keys) = found.keys {
        if preferences.notify_key_expiry {
            notifications.extend(warn_of_keys(now, keys, &mut next));
        }
        // Forget keys gone from the list, unless warned today: a list from
        // another profile must not make today's warning come again.
        let present: BTreeSet<Uuid> = keys.iter().map(|k| k.key_id).collect();
        next.keys
            .retain(|id, day| present.contains(id) || *day >= now.today);
    }
    if let Some(alerts) = found.alerts {
        if preferences.notify_spend_alerts {
            notifications.extend(show_alerts(now, alerts, &mut next));
        }
    }
    let cutoff = now.at - ALERT_MAX_AGE;
    next.alerts.retain(|_, at| *at >= cutoff);
    Plan {
        notifications,
        sent: next,
    }
}

/// The end of a key's last valid day (its expiry date is inclusive, UTC).
fn end_of_validity(expiration_date: NaiveDate) -> DateTime<Utc> {
    expiration_date
        .succ_opt()
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |midnight| midnight.and_utc())
}

/// The time an active key has left, when that is under the warning
/// threshold and it has not run out yet.
fn expiring_soon(key: &ApiKey, now: DateTime<Utc>) -> Option<Duration> {
    if key.status != KeyStatus::Active {
        return None;
    }
    let left = end_of_validity(key.expiration_date?) - now;
    (left > Duration::zero() && left < EXPIRY_WARNING).then_some(left)
}

fn warn_of_keys(now: &Now, keys: &[ApiKey], sent: &mut Sent) -> Vec<Notification> {
    let mut due: Vec<(&ApiKey, Duration)> = keys
        .iter()
        .filter_map(|key| expiring_soon(key, now.at).map(|left| (key, left)))
        .filter(|(key, _)| {
            sent.keys
                .get(&key.key_id)
                .is_none_or(|day| *day < now.today)
        })
        .collect();
    due.sort_by(|(a, left_a), (b, left_b)| {
        left_a
            .cmp(left_b)
            .then_with(|| key_label(a).cmp(&key_label(b)))
    });
    for (key, _) in &due {
        sent.keys.insert(key.key_id, now.today);
    }
    if due.len() > MAX_SEPARATE_KEY_WARNINGS {
        return vec![keys_expiring_together(&due)];
    }
    due.into_iter()
        .map(|(key, left)| key_expiring(key, left))
        .collect()
}

/// How a key is named to the user: its name, or its hint when unnamed.
fn key_label(key: &ApiKey) -> String {
    match key.name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => format!("“{name}”"),
        _ => key.hidden_key.clone(),
    }
}

/// "in 3 days", "in 5 hours", "within the hour".
fn expires_in(left: Duration) -> String {
    if left <= Duration::hours(1) {
        "within the hour".to_owned()
    } else if left < Duration::days(1) {
        // Rounded up: 90 minutes left is "in 2 hours", not "in 1 hour".
        format!("in {} hours", (left.num_minutes() + 59) / 60)
    } else if left < Duration::days(2) {
        "in 1 day".to_owned()
    } else {
        format!("in {} days", left.num_days())
    }
}

fn key_expiring(key: &ApiKey, left: Duration) -> Notification {
    let day = key
        .expiration_date
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_default();
    Notification {
        kind: NotificationKind::KeyExpiry,
        title: format!("Key {} expires {}", key_label(key), expires_in(left)),
        body: format!(
            "It works until the end of {day} (UTC), in the workspace {}. Rotate it, or create a new key, before it stops working.",
            key.workspace_name
        ),
        target: NotificationTarget::MyKeys,
    }
}

fn keys_expiring_together(due: &[(&ApiKey, Duration)]) -> Notification {
    let named: Vec<String> = due
        .iter()
        .take(MAX_SEPARATE_KEY_WARNINGS)
        .map(|(key, left)| {
            format!(
                "{} ({}, {})",
                key_label(key),
                key.workspace_name,
                expires_in(*left)
            )
        })
        .collect();
    let more = due.len() - named.len();
    Notification {
        kind: NotificationKind::KeyExpiry,
        title: format!("{} of your keys expire within 7 days", due.len()),
        body: format!(
            "{} and {more} more. Rotate them, or create new keys, before they stop working.",
            named.join(", ")
        ),
        target: NotificationTarget::MyKeys,
    }
}

fn show_alerts(now: &Now, alerts: &[SpendAlert], sent: &mut Sent) -> Vec<Notification> {
    let cutoff = now.at - ALERT_MAX_AGE;
    let fresh: Vec<&SpendAlert> = alerts
        .iter()
        .filter(|a| a.at >= cutoff && !sent.alerts.contains_key(&a.id))
        .collect();
    // One notification per workspace and month: the highest threshold passed.
    let mut highest: BTreeMap<(Uuid, i32, u32), &SpendAlert> = BTreeMap::new();
    for alert in &fresh {
        sent.alerts.insert(alert.id, alert.at);
        highest
            .entry((alert.workspace_id, alert.year, alert.month))
            .and_modify(|kept| {
                if alert.threshold_percent > kept.threshold_percent {
                    *kept = alert;
                }
            })
            .or_insert(alert);
    }
    let mut shown: Vec<&SpendAlert> = highest.into_values().collect();
    shown.sort_by_key(|a| (a.at, a.workspace_name.clone()));
    shown.into_iter().map(spend_alert).collect()
}

/// Micro-USD as dollars and cents: "$1,234.50".
fn usd(micros: i64) -> String {
    let cents = (micros.max(0) + 5_000) / 10_000;
    let dollars = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{:02}", cents % 100)
}

fn spend_alert(alert: &SpendAlert) -> Notification {
    let month = NaiveDate::from_ymd_opt(alert.year, alert.month, 1)
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|| format!("{}-{:02}", alert.year, alert.month));
    let spent = format!(
        "{} of {} spent in {month}.",
        usd(alert.spent_micros),
        usd(alert.limit_micros)
    );
    let (title, body) = if alert.threshold_percent >= 100 {
        (
            format!("{} reached its monthly spending limit", alert.workspace_name),
            format!("{spent} Requests with its keys are refused until the month ends or the limit is raised."),
        )
    } else {
        (
            format!(
                "{} passed {}% of its monthly spending limit",
                alert.workspace_name, alert.threshold_percent
            ),
            format!(
                "{spent} At the limit, requests with its keys are refused until the month ends."
            ),
        )
    };
    Notification {
        kind: NotificationKind::SpendAlert,
        title,
        body,
        target: NotificationTarget::WorkspaceUsage {
            workspace_id: alert.workspace_id,
        },
    }
}

/// What the session watch remembers of the connection between two looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionSeen {
    /// Signed in to the profile of this id.
    SignedIn { profile_id: String },
    /// Anything else: local mode, signed out, no profile.
    Elsewhere,
}

impl SessionSeen {
    pub fn of(status: &ConnectionStatus) -> Self {
        match (&status.kind, &status.profile) {
            (ConnectionKind::Remote, Some(profile)) => SessionSeen::SignedIn {
                profile_id: profile.id.clone(),
            },
            _ => SessionSeen::Elsewhere,
        }
    }
}

/// The notification for a session the server ended: the connection was
/// signed in to a profile (`before`) and is now signed out of that same
/// profile with the notice the connection gives when the server refused
/// the session. Signing out on purpose, switching profiles or starting the
/// app signed out tell nothing; since `before` is what was seen last, each
/// such sign-out is told once.
pub fn session_ended(
    before: &SessionSeen,
    now: &ConnectionStatus,
    preferences: &Preferences,
) -> Option<Notification> {
    if !preferences.notify_session_expired || now.kind != ConnectionKind::SignedOut {
        return None;
    }
    let SessionSeen::SignedIn { profile_id } = before else {
        return None;
    };
    let profile = now.profile.as_ref().filter(|p| &p.id == profile_id)?;
    if now.notice.as_deref() != Some(session_ended_notice(&profile.server_url).as_str()) {
        return None;
    }
    let host = profile
        .server_url
        .split_once("://")
        .map_or(profile.server_url.as_str(), |(_, rest)| rest);
    Some(Notification {
        kind: NotificationKind::SessionExpired,
        title: format!("Your session on {host} ended"),
        body: format!(
            "It expired, or was signed out elsewhere. Sign in again as {} to keep managing your keys.",
            profile.account
        ),
        target: NotificationTarget::SignIn,
    })
}
