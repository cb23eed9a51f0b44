//! Command inputs that need a different JSON reading than keydesk-core's own
//! types: partial updates where a field may be absent (leave it alone) or
//! `null` (clear it, e.g. "no limit"). Serde reads both as `None` for an
//! `Option<Option<T>>`, so these inputs tell them apart and convert into the
//! core's patch types.

use keydesk_core::model::{Plan, RateLimits, WorkspacePatch};
use keydesk_core::OrganizationPatch;
use serde::{Deserialize, Serialize};

/// A workspace's edit form and settings tab. Absent fields are unchanged;
/// `null` for the limit or the expiry policy removes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "WorkspacePatch", optional_fields = nullable)]
pub struct WorkspacePatchInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(
        default,
        deserialize_with = "keydesk_api::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub monthly_spend_limit_micros: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<RateLimits>,
    #[serde(
        default,
        deserialize_with = "keydesk_api::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_max_days: Option<Option<i32>>,
}

impl From<WorkspacePatchInput> for WorkspacePatch {
    fn from(input: WorkspacePatchInput) -> Self {
        WorkspacePatch {
            name: input.name,
            description: input.description,
            icon: input.icon,
            monthly_spend_limit_micros: input.monthly_spend_limit_micros,
            rate_limits: input.rate_limits,
            key_max_days: input.key_max_days,
        }
    }
}

/// The organization's settings (Billing & limits). Same absent/`null` rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "OrganizationPatch", optional_fields = nullable)]
pub struct OrganizationPatchInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_active: Option<bool>,
    #[serde(
        default,
        deserialize_with = "keydesk_api::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub monthly_spend_limit_micros: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "keydesk_api::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_max_days: Option<Option<i32>>,
}

impl From<OrganizationPatchInput> for OrganizationPatch {
    fn from(input: OrganizationPatchInput) -> Self {
        OrganizationPatch {
            name: input.name,
            plan: input.plan,
            billing_active: input.billing_active,
            monthly_spend_limit_micros: input.monthly_spend_limit_micros,
            key_max_days: input.key_max_days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_leaves_alone_and_null_clears() {
        let absent: WorkspacePatchInput = serde_json::from_value(json!({"name": "R"})).unwrap();
        assert_eq!(absent.monthly_spend_limit_micros, None);
        let cleared: WorkspacePatchInput =
            serde_json::from_value(json!({"monthly_spend_limit_micros": null})).unwrap();
        assert_eq!(cleared.monthly_spend_limit_micros, Some(None));
        let set: OrganizationPatchInput =
            serde_json::from_value(json!({"key_max_days": 30, "plan": "scale"})).unwrap();
        assert_eq!(set.key_max_days, Some(Some(30)));
        assert_eq!(OrganizationPatch::from(set).plan, Some(Plan::Scale));
    }
}
