//! Who is told what, and when: the schedule's rules against a clock the
//! tests set.

use chrono::TimeZone;
use keydesk_core::model::{ActionAvailability, ConnectorScope, KeyActions, KeyProduct};

use super::*;
use crate::remote::{CredentialKind, Profile};

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A check at `at` for a user on UTC.
fn utc(at: DateTime<Utc>) -> Now {
    Now::with_offset(at, FixedOffset::east_opt(0).unwrap())
}

fn key(name: &str, expires: Option<NaiveDate>) -> ApiKey {
    ApiKey {
        key_id: Uuid::new_v4(),
        name: Some(name.to_owned()),
        hidden_key: "kd_a...WXYZ".to_owned(),
        workspace_id: Uuid::new_v4(),
        workspace_name: "Production".to_owned(),
        owner_id: Uuid::new_v4(),
        owner_email: "ada@example.com".to_owned(),
        product: KeyProduct::Api,
        connector_scope: ConnectorScope::Shared,
        created_at: at(2026, 1, 1, 0, 0),
        expiration_date: expires,
        last_used_at: None,
        delete_after: None,
        monthly_budget_micros: None,
        status: KeyStatus::Active,
        actions: KeyActions {
            rotate: ActionAvailability::Available,
            delete: ActionAvailability::Available,
        },
    }
}

fn alert(workspace: &str, threshold_percent: i32, raised: DateTime<Utc>) -> SpendAlert {
    SpendAlert {
        id: Uuid::new_v4(),
        // One id per workspace name.
        workspace_id: Uuid::from_u128(
            workspace
                .bytes()
                .fold(7u128, |h, b| h.wrapping_mul(31).wrapping_add(u128::from(b))),
        ),
        workspace_name: workspace.to_owned(),
        year: 2026,
        month: 3,
        threshold_percent,
        spent_micros: 100_000_000 / 100 * i64::from(threshold_percent) + 250_000,
        limit_micros: 100_000_000,
        at: raised,
    }
}

fn all_on() -> Preferences {
    Preferences::default()
}

fn with_keys(keys: &[ApiKey]) -> Found<'_> {
    Found {
        keys: Some(keys),
        alerts: None,
    }
}

fn with_alerts(alerts: &[SpendAlert]) -> Found<'_> {
    Found {
        keys: None,
        alerts: Some(alerts),
    }
}

fn titles(plan: &Plan) -> Vec<&str> {
    plan.notifications
        .iter()
        .map(|n| n.title.as_str())
        .collect()
}

#[test]
fn a_key_expiring_in_three_days_is_warned_once_that_day() {
    let keys = [key("ci-runner", Some(day(2026, 3, 18)))];
    let morning = plan(
        &utc(at(2026, 3, 15, 9, 0)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert_eq!(titles(&morning), ["Key “ci-runner” expires in 3 days"]);
    let warning = &morning.notifications[0];
    assert_eq!(warning.kind, NotificationKind::KeyExpiry);
    assert_eq!(warning.target, NotificationTarget::MyKeys);
    assert!(
        warning.body.contains("18 March 2026") && warning.body.contains("Production"),
        "{}",
        warning.body
    );
    assert!(!warning.body.contains("kd_"), "{}", warning.body);

    for later in [at(2026, 3, 15, 9, 15), at(2026, 3, 15, 23, 59)] {
        let again = plan(&utc(later), &all_on(), with_keys(&keys), &morning.sent);
        assert!(
            again.notifications.is_empty(),
            "{later}: {:?}",
            titles(&again)
        );
        assert_eq!(again.sent, morning.sent);
    }
}

#[test]
fn the_same_key_is_warned_again_the_next_day() {
    let keys = [key("ci-runner", Some(day(2026, 3, 18)))];
    let first = plan(
        &utc(at(2026, 3, 15, 9, 0)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    let next_day = plan(
        &utc(at(2026, 3, 16, 0, 5)),
        &all_on(),
        with_keys(&keys),
        &first.sent,
    );
    assert_eq!(titles(&next_day), ["Key “ci-runner” expires in 2 days"]);
    assert_eq!(next_day.sent.keys[&keys[0].key_id], day(2026, 3, 16));
}

#[test]
fn a_key_expiring_in_eight_days_is_not_warned() {
    let now = utc(at(2026, 3, 15, 9, 0));
    let keys = [key("later", Some(day(2026, 3, 23)))];
    let plan = plan(&now, &all_on(), with_keys(&keys), &Sent::default());
    assert!(plan.notifications.is_empty(), "{:?}", titles(&plan));
    assert!(plan.sent.keys.is_empty());
}

#[test]
fn the_warning_starts_when_less_than_seven_days_are_left_of_the_expiry_day() {
    // Valid through 21 March: the end of it is 22 March, 00:00 UTC.
    let keys = [key("edge", Some(day(2026, 3, 21)))];
    let exactly_seven = plan(
        &utc(at(2026, 3, 15, 0, 0)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert!(exactly_seven.notifications.is_empty());
    let a_minute_less = plan(
        &utc(at(2026, 3, 15, 0, 1)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert_eq!(titles(&a_minute_less), ["Key “edge” expires in 6 days"]);
}

#[test]
fn an_expired_key_is_not_warned() {
    let now = utc(at(2026, 3, 15, 9, 0));
    // Its last day was yesterday, even if a stale list still says active.
    let stale = key("gone", Some(day(2026, 3, 14)));
    let mut expired = key("expired", Some(day(2026, 3, 17)));
    expired.status = KeyStatus::Expired;
    let mut inactive = key("billing off", Some(day(2026, 3, 17)));
    inactive.status = KeyStatus::Inactive;
    let never = key("forever", None);
    let keys = [stale, expired, inactive, never];
    let plan = plan(&now, &all_on(), with_keys(&keys), &Sent::default());
    assert!(plan.notifications.is_empty(), "{:?}", titles(&plan));
}

#[test]
fn the_last_day_is_counted_in_hours() {
    let keys = [key("today", Some(day(2026, 3, 15)))];
    let evening = plan(
        &utc(at(2026, 3, 15, 20, 30)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert_eq!(titles(&evening), ["Key “today” expires in 4 hours"]);
    let last_hour = plan(
        &utc(at(2026, 3, 15, 23, 30)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert_eq!(titles(&last_hour), ["Key “today” expires within the hour"]);
    let tomorrow = plan(
        &utc(at(2026, 3, 14, 12, 0)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert_eq!(titles(&tomorrow), ["Key “today” expires in 1 day"]);
}

#[test]
fn once_a_day_counts_in_the_users_own_time_zone() {
    let keys = [key("ci-runner", Some(day(2026, 3, 18)))];
    let sydney = FixedOffset::east_opt(10 * 3600).unwrap();
    // 23:00 on the 15th in Sydney, then 01:00 on the 16th: the same UTC day,
    // but a new day for the user.
    let late = plan(
        &Now::with_offset(at(2026, 3, 15, 13, 0), sydney),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert_eq!(late.notifications.len(), 1);
    let after_midnight = plan(
        &Now::with_offset(at(2026, 3, 15, 15, 0), sydney),
        &all_on(),
        with_keys(&keys),
        &late.sent,
    );
    assert_eq!(after_midnight.notifications.len(), 1);
    assert_eq!(after_midnight.sent.keys[&keys[0].key_id], day(2026, 3, 16));
}

#[test]
fn an_unnamed_key_is_named_by_its_hint() {
    let mut unnamed = key("", Some(day(2026, 3, 17)));
    unnamed.name = None;
    let keys = [unnamed];
    let plan = plan(
        &utc(at(2026, 3, 15, 9, 0)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    assert_eq!(titles(&plan), ["Key kd_a...WXYZ expires in 2 days"]);
}

#[test]
fn many_keys_expiring_at_once_share_one_notification() {
    let keys: Vec<ApiKey> = (1..=5)
        .map(|i| key(&format!("key-{i}"), Some(day(2026, 3, 15 + i))))
        .collect();
    let now = utc(at(2026, 3, 15, 9, 0));
    let plan = plan(&now, &all_on(), with_keys(&keys), &Sent::default());
    assert_eq!(titles(&plan), ["5 of your keys expire within 7 days"]);
    let body = &plan.notifications[0].body;
    assert!(
        body.starts_with(
            "“key-1” (Production, in 1 day), “key-2” (Production, in 2 days), “key-3”"
        ),
        "{body}"
    );
    assert!(body.contains("and 2 more"), "{body}");
    assert_eq!(plan.sent.keys.len(), 5);

    // Three are told apart.
    let few = super::plan(&now, &all_on(), with_keys(&keys[..3]), &Sent::default());
    assert_eq!(few.notifications.len(), 3);
}

#[test]
fn each_spend_alert_is_shown_once() {
    let now = utc(at(2026, 3, 15, 12, 0));
    let alerts = [alert("Production", 80, at(2026, 3, 15, 11, 0))];
    let first = plan(&now, &all_on(), with_alerts(&alerts), &Sent::default());
    assert_eq!(
        titles(&first),
        ["Production passed 80% of its monthly spending limit"]
    );
    let shown = &first.notifications[0];
    assert_eq!(shown.kind, NotificationKind::SpendAlert);
    assert_eq!(
        shown.target,
        NotificationTarget::WorkspaceUsage {
            workspace_id: alerts[0].workspace_id
        }
    );
    assert!(
        shown
            .body
            .starts_with("$80.25 of $100.00 spent in March 2026."),
        "{}",
        shown.body
    );

    for later in [at(2026, 3, 15, 12, 15), at(2026, 3, 16, 10, 0)] {
        let again = plan(&utc(later), &all_on(), with_alerts(&alerts), &first.sent);
        assert!(
            again.notifications.is_empty(),
            "{later}: {:?}",
            titles(&again)
        );
    }
}

#[test]
fn an_alert_raised_more_than_a_day_ago_is_not_shown_on_a_first_run() {
    let now = utc(at(2026, 3, 15, 12, 0));
    let alerts = [
        alert("Production", 50, at(2026, 3, 1, 8, 0)),
        alert("Staging", 80, at(2026, 3, 14, 11, 59)),
        alert("Research", 50, at(2026, 3, 14, 12, 0)),
    ];
    let plan = plan(&now, &all_on(), with_alerts(&alerts), &Sent::default());
    assert_eq!(
        titles(&plan),
        ["Research passed 50% of its monthly spending limit"]
    );
}

#[test]
fn the_highest_threshold_passed_since_the_last_look_is_the_one_shown() {
    let alerts = [
        alert("Production", 50, at(2026, 3, 15, 10, 0)),
        alert("Production", 80, at(2026, 3, 15, 10, 5)),
    ];
    let first = plan(
        &utc(at(2026, 3, 15, 10, 10)),
        &all_on(),
        with_alerts(&alerts),
        &Sent::default(),
    );
    assert_eq!(
        titles(&first),
        ["Production passed 80% of its monthly spending limit"]
    );
    assert_eq!(first.sent.alerts.len(), 2, "both are done with");

    let mut more = alerts.to_vec();
    more.insert(0, alert("Production", 100, at(2026, 3, 15, 10, 20)));
    let then = plan(
        &utc(at(2026, 3, 15, 10, 25)),
        &all_on(),
        with_alerts(&more),
        &first.sent,
    );
    assert_eq!(
        titles(&then),
        ["Production reached its monthly spending limit"]
    );
    assert!(
        then.notifications[0].body.contains("refused"),
        "{}",
        then.notifications[0].body
    );
}

#[test]
fn alerts_too_old_to_show_are_forgotten_from_the_record() {
    let alerts = [alert("Production", 50, at(2026, 3, 15, 10, 0))];
    let first = plan(
        &utc(at(2026, 3, 15, 10, 5)),
        &all_on(),
        with_alerts(&alerts),
        &Sent::default(),
    );
    assert_eq!(first.sent.alerts.len(), 1);
    let still = plan(
        &utc(at(2026, 3, 16, 10, 0)),
        &all_on(),
        Found::default(),
        &first.sent,
    );
    assert_eq!(still.sent.alerts.len(), 1);
    let later = plan(
        &utc(at(2026, 3, 16, 10, 1)),
        &all_on(),
        with_alerts(&alerts),
        &first.sent,
    );
    assert!(later.sent.alerts.is_empty());
    assert!(later.notifications.is_empty());
}

#[test]
fn turning_a_kind_off_sends_none_of_it() {
    let now = utc(at(2026, 3, 15, 12, 0));
    let keys = [key("ci-runner", Some(day(2026, 3, 17)))];
    let alerts = [alert("Production", 100, at(2026, 3, 15, 11, 0))];
    let found = Found {
        keys: Some(&keys),
        alerts: Some(&alerts),
    };
    let none = Preferences {
        notify_key_expiry: false,
        notify_spend_alerts: false,
        notify_session_expired: false,
    };
    let off = plan(&now, &none, found, &Sent::default());
    assert!(off.notifications.is_empty(), "{:?}", titles(&off));
    assert_eq!(off.sent, Sent::default(), "nothing is marked as sent");

    // Turned back on, what is current is told.
    let alerts_only = Preferences {
        notify_spend_alerts: true,
        ..none
    };
    let on = plan(&now, &alerts_only, found, &off.sent);
    assert_eq!(
        titles(&on),
        ["Production reached its monthly spending limit"]
    );
    let keys_only = Preferences {
        notify_key_expiry: true,
        ..none
    };
    let on = plan(&now, &keys_only, found, &off.sent);
    assert_eq!(titles(&on), ["Key “ci-runner” expires in 2 days"]);
}

#[test]
fn a_list_that_could_not_be_read_forgets_nothing() {
    let keys = [key("ci-runner", Some(day(2026, 3, 17)))];
    let first = plan(
        &utc(at(2026, 3, 15, 9, 0)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    let unread = plan(
        &utc(at(2026, 3, 16, 9, 0)),
        &all_on(),
        Found::default(),
        &first.sent,
    );
    assert!(unread.notifications.is_empty());
    assert_eq!(unread.sent, first.sent);
}

#[test]
fn a_key_no_longer_listed_is_forgotten_after_the_day_it_was_warned() {
    let keys = [key("ci-runner", Some(day(2026, 3, 17)))];
    let first = plan(
        &utc(at(2026, 3, 15, 9, 0)),
        &all_on(),
        with_keys(&keys),
        &Sent::default(),
    );
    // The same day (say, another profile's list): kept, so switching back
    // does not warn twice.
    let same_day = plan(
        &utc(at(2026, 3, 15, 10, 0)),
        &all_on(),
        with_keys(&[]),
        &first.sent,
    );
    assert_eq!(same_day.sent, first.sent);
    let back = plan(
        &utc(at(2026, 3, 15, 11, 0)),
        &all_on(),
        with_keys(&keys),
        &same_day.sent,
    );
    assert!(back.notifications.is_empty());
    // The next day, a key that is gone is forgotten.
    let next_day = plan(
        &utc(at(2026, 3, 16, 9, 0)),
        &all_on(),
        with_keys(&[]),
        &back.sent,
    );
    assert!(next_day.sent.keys.is_empty());
}

#[test]
fn amounts_are_dollars_and_cents_with_thousands_grouped() {
    assert_eq!(usd(0), "$0.00");
    assert_eq!(usd(4_999), "$0.00");
    assert_eq!(usd(5_000), "$0.01");
    assert_eq!(usd(80_250_000), "$80.25");
    assert_eq!(usd(1_234_567_890), "$1,234.57");
    assert_eq!(usd(1_000_000_000_000), "$1,000,000.00");
}

fn profile(server: &str) -> Profile {
    Profile::new(server, "ada@example.com", CredentialKind::Session)
}

fn status(
    kind: ConnectionKind,
    profile: Option<Profile>,
    notice: Option<String>,
) -> ConnectionStatus {
    ConnectionStatus {
        kind,
        profile,
        profiles: Vec::new(),
        remembered: None,
        offline: None,
        notice,
        team: None,
    }
}

fn ended_by_server(profile: &Profile) -> ConnectionStatus {
    status(
        ConnectionKind::SignedOut,
        Some(profile.clone()),
        Some(session_ended_notice(&profile.server_url)),
    )
}

#[test]
fn session_expiry_is_notified_once_per_sign_out() {
    let keys = profile("https://keys.example.com");
    let signed_in = status(ConnectionKind::Remote, Some(keys.clone()), None);
    let mut seen = SessionSeen::of(&signed_in);
    assert!(session_ended(&seen, &signed_in, &all_on()).is_none());

    let ended = ended_by_server(&keys);
    let told = session_ended(&seen, &ended, &all_on()).expect("a notification");
    assert_eq!(told.kind, NotificationKind::SessionExpired);
    assert_eq!(told.title, "Your session on keys.example.com ended");
    assert!(told.body.contains("Sign in again"), "{}", told.body);
    assert_eq!(told.target, NotificationTarget::SignIn);

    // Looked at again (another change, the next quarter hour): told already.
    seen = SessionSeen::of(&ended);
    assert!(session_ended(&seen, &ended, &all_on()).is_none());

    // Signed in again, and ended again: told again.
    seen = SessionSeen::of(&signed_in);
    assert!(session_ended(&seen, &ended, &all_on()).is_some());
}

#[test]
fn signing_out_on_purpose_or_switching_profiles_is_not_a_session_expiry() {
    let keys = profile("https://keys.example.com");
    let other = profile("https://other.example.com");
    let seen = SessionSeen::of(&status(ConnectionKind::Remote, Some(keys.clone()), None));

    let asked = status(ConnectionKind::SignedOut, Some(keys.clone()), None);
    assert!(session_ended(&seen, &asked, &all_on()).is_none());
    let asked_but_server_unreachable = status(
        ConnectionKind::SignedOut,
        Some(keys.clone()),
        Some("Signed out on this computer, but the server could not be reached.".to_owned()),
    );
    assert!(session_ended(&seen, &asked_but_server_unreachable, &all_on()).is_none());
    assert!(session_ended(&seen, &ended_by_server(&other), &all_on()).is_none());
    let local = status(ConnectionKind::Local, None, None);
    assert!(session_ended(&seen, &local, &all_on()).is_none());

    // Started signed out: no sign-out was seen happening.
    let at_start = SessionSeen::of(&ended_by_server(&keys));
    assert!(session_ended(&at_start, &ended_by_server(&keys), &all_on()).is_none());
}

#[test]
fn a_session_expiry_turned_off_is_not_notified() {
    let keys = profile("https://keys.example.com");
    let seen = SessionSeen::of(&status(ConnectionKind::Remote, Some(keys.clone()), None));
    let off = Preferences {
        notify_session_expired: false,
        ..Preferences::default()
    };
    assert!(session_ended(&seen, &ended_by_server(&keys), &off).is_none());
}
