//! Pure rules about keys and money: the expiry policy clamp, a key's derived
//! status and action availability, and calendar-month boundaries in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::error::{Error, Result};
use crate::model::{ActionAvailability, KeyActions, KeyProduct, KeyStatus, UnavailableReason};

/// Longest allowed validity period, in days, for a policy.
pub const MAX_POLICY_DAYS: i32 = 3650;

/// The policy in force for new keys of a workspace: the stricter of the two.
pub fn effective_max_days(org_max: Option<i32>, workspace_max: Option<i32>) -> Option<i32> {
    match (org_max, workspace_max) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Validates a policy value (days) for the named field.
pub fn check_policy_days(field: &str, days: Option<i32>) -> Result<()> {
    match days {
        Some(d) if !(1..=MAX_POLICY_DAYS).contains(&d) => {
            Err(Error::validation(field, format!("{field} must be between 1 and {MAX_POLICY_DAYS} days")))
        }
        _ => Ok(()),
    }
}

/// The expiration date a new key gets: the requested one, moved to the
/// latest allowed day when it is missing or beyond the policy. Returns the
/// date and whether it was moved. A date in the past is refused.
pub fn clamp_expiration(requested: Option<NaiveDate>, max_days: Option<i32>, today: NaiveDate) -> Result<(Option<NaiveDate>, bool)> {
    if let Some(date) = requested {
        if date < today {
            return Err(Error::validation("expiration", "expiration must be today or a later date"));
        }
    }
    let Some(days) = max_days else { return Ok((requested, false)) };
    let latest = today + Duration::days(i64::from(days));
    match requested {
        Some(date) if date <= latest => Ok((Some(date), false)),
        _ => Ok((Some(latest), true)),
    }
}

/// The first instant at which a key with this last valid day is expired.
pub fn expiry_instant(expiration_date: NaiveDate) -> DateTime<Utc> {
    let next = expiration_date + Duration::days(1);
    Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

pub fn key_status(expires_at: Option<DateTime<Utc>>, billing_active: bool, now: DateTime<Utc>) -> KeyStatus {
    if expires_at.is_some_and(|t| t <= now) {
        KeyStatus::Expired
    } else if !billing_active {
        KeyStatus::Inactive
    } else {
        KeyStatus::Active
    }
}

/// What the viewer may do with a key, with the spec's reasons.
pub fn key_actions(status: KeyStatus, product: KeyProduct, viewer_may_manage: bool) -> KeyActions {
    let not_allowed = ActionAvailability::Unavailable { reason: Some(UnavailableReason::NotAllowed) };
    let delete = if viewer_may_manage { ActionAvailability::Available } else { not_allowed };
    let rotate = if !viewer_may_manage {
        not_allowed
    } else if status == KeyStatus::Expired {
        ActionAvailability::Unavailable { reason: Some(UnavailableReason::KeyExpired) }
    } else if product == KeyProduct::MistralCode {
        // Legacy keys cannot be created again, so they cannot be rotated.
        ActionAvailability::Unavailable { reason: Some(UnavailableReason::UnsupportedScope) }
    } else {
        ActionAvailability::Available
    };
    KeyActions { rotate, delete }
}

/// Start of the calendar month (UTC) containing `at`, and of the next one.
pub fn month_bounds(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0).single().expect("valid month start");
    let (ny, nm) = if at.month() == 12 { (at.year() + 1, 1) } else { (at.year(), at.month() + 1) };
    let end = Utc.with_ymd_and_hms(ny, nm, 1, 0, 0, 0).single().expect("valid month start");
    (start, end)
}

/// The limit that applies to a workspace: its own, else the organization's.
pub fn effective_spend_limit(org: Option<i64>, workspace: Option<i64>) -> Option<i64> {
    match (org, workspace) {
        (Some(o), Some(w)) => Some(o.min(w)),
        (o, w) => w.or(o),
    }
}

/// Money inputs are micro-USD and never negative.
pub fn check_spend_limit(field: &str, micros: Option<i64>, org_limit: Option<i64>) -> Result<()> {
    if let Some(v) = micros {
        if v < 0 {
            return Err(Error::validation(field, format!("{field} cannot be negative")));
        }
        if let Some(org) = org_limit {
            if v > org {
                return Err(Error::validation(
                    field,
                    format!("{field} cannot exceed the organization's monthly limit of {}", format_usd(org)),
                ));
            }
        }
    }
    Ok(())
}

/// The cost in micro-USD of a request's tokens at prices given in micro-USD
/// per million tokens, rounded up to the next micro-USD (a request is never
/// charged less than it cost).
pub fn token_cost_micros(input_tokens: i64, output_tokens: i64, input_price: i64, output_price: i64) -> i64 {
    let total = i128::from(input_tokens.max(0)) * i128::from(input_price.max(0))
        + i128::from(output_tokens.max(0)) * i128::from(output_price.max(0));
    let micros = (total + 999_999) / 1_000_000;
    i64::try_from(micros).unwrap_or(i64::MAX)
}

pub fn format_usd(micros: i64) -> String {
    format!("${}.{:02}", micros / 1_000_000, (micros % 1_000_000) / 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn stricter_policy_wins() {
        assert_eq!(effective_max_days(Some(90), Some(30)), Some(30));
        assert_eq!(effective_max_days(Some(30), Some(90)), Some(30));
        assert_eq!(effective_max_days(None, Some(60)), Some(60));
        assert_eq!(effective_max_days(Some(90), None), Some(90));
        assert_eq!(effective_max_days(None, None), None);
    }

    #[test]
    fn key_without_date_gets_policy_maximum() {
        let today = d("2026-01-01");
        assert_eq!(clamp_expiration(None, Some(90), today).unwrap(), (Some(d("2026-04-01")), true));
    }

    #[test]
    fn key_without_date_and_without_policy_never_expires() {
        assert_eq!(clamp_expiration(None, None, d("2026-01-01")).unwrap(), (None, false));
    }

    #[test]
    fn date_beyond_policy_is_moved_to_latest_allowed_day() {
        let today = d("2026-01-01");
        assert_eq!(clamp_expiration(Some(d("2027-01-01")), Some(30), today).unwrap(), (Some(d("2026-01-31")), true));
        assert_eq!(clamp_expiration(Some(d("2026-01-10")), Some(30), today).unwrap(), (Some(d("2026-01-10")), false));
    }

    #[test]
    fn past_expiration_is_refused_naming_the_field() {
        let err = clamp_expiration(Some(d("2025-12-31")), None, d("2026-01-01")).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("expiration"));
    }

    #[test]
    fn key_is_valid_through_its_expiration_day() {
        let exp = expiry_instant(d("2026-03-10"));
        let during = Utc.with_ymd_and_hms(2026, 3, 10, 23, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 11, 0, 0, 0).unwrap();
        assert_eq!(key_status(Some(exp), true, during), KeyStatus::Active);
        assert_eq!(key_status(Some(exp), true, after), KeyStatus::Expired);
        assert_eq!(key_status(None, false, after), KeyStatus::Inactive);
    }

    #[test]
    fn expired_keys_cannot_be_rotated_but_can_be_deleted() {
        let a = key_actions(KeyStatus::Expired, KeyProduct::Api, true);
        assert_eq!(a.rotate, ActionAvailability::Unavailable { reason: Some(UnavailableReason::KeyExpired) });
        assert_eq!(a.delete, ActionAvailability::Available);
        let legacy = key_actions(KeyStatus::Active, KeyProduct::MistralCode, true);
        assert!(!legacy.rotate.is_available());
        assert!(legacy.delete.is_available());
        let stranger = key_actions(KeyStatus::Active, KeyProduct::Api, false);
        assert_eq!(stranger.delete, ActionAvailability::Unavailable { reason: Some(UnavailableReason::NotAllowed) });
    }

    #[test]
    fn action_availability_serializes_like_the_spec() {
        let v = serde_json::to_value(key_actions(KeyStatus::Expired, KeyProduct::Api, true)).unwrap();
        assert_eq!(v["delete"], serde_json::json!({"status": "available"}));
        assert_eq!(v["rotate"], serde_json::json!({"status": "unavailable", "reason": "key_expired"}));
    }

    #[test]
    fn months_are_calendar_months_in_utc() {
        let (s, e) = month_bounds(Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap());
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }

    #[test]
    fn token_cost_is_priced_per_million_and_rounded_up() {
        // $2 per million input, $6 per million output.
        assert_eq!(token_cost_micros(1_000_000, 0, 2_000_000, 6_000_000), 2_000_000);
        assert_eq!(token_cost_micros(10, 5, 2_000_000, 6_000_000), 50);
        // 1 token at $0.10 per million is 0.1 micro-USD: charged as 1.
        assert_eq!(token_cost_micros(1, 0, 100_000, 0), 1);
        assert_eq!(token_cost_micros(0, 0, 100_000, 100_000), 0);
    }

    #[test]
    fn workspace_limit_cannot_exceed_org_limit() {
        assert!(check_spend_limit("monthly_spend_limit", Some(5_000_000), Some(10_000_000)).is_ok());
        let err = check_spend_limit("monthly_spend_limit", Some(20_000_000), Some(10_000_000)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("monthly_spend_limit"));
        assert!(err.message.contains("$10.00"));
        assert_eq!(effective_spend_limit(Some(10), Some(5)), Some(5));
        assert_eq!(effective_spend_limit(Some(10), None), Some(10));
    }
}
