//! The audit log on the wire, in the platform's vocabulary
//! (`/v1/admin/audit-logs`) and in Keydesk's own (`/v1/admin/audit-events`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use keydesk_core::model::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditLogOut {
    pub created_at: DateTime<Utc>,
    /// `HUMAN`, `API_KEY` or `OTHER`.
    pub actor_type: String,
    pub actor_metadata: BTreeMap<String, String>,
    /// The platform's event type (e.g. `api_key.create`).
    pub event_type: String,
    pub event_metadata: BTreeMap<String, String>,
    /// The platform's target type (e.g. `API_KEY`).
    pub target_type: String,
    pub target_metadata: BTreeMap<String, String>,
    pub log_id: i64,
    pub organization_uuid: Option<Uuid>,
    pub workspace_uuid: Option<Uuid>,
}

/// Core's audit action → the platform's event type. Actions without an
/// equivalent in the platform's enum are not listed by `/v1/admin/audit-logs`.
/// Keydesk's audit actions that have a platform event type, with it.
/// Actions missing here (key renames, budgets, sign-outs) are not listed in
/// the platform's audit log.
pub const AUDIT_EVENT_TYPES: &[(&str, &str)] = &[
    ("organization.created", "organization.create"),
    ("organization.updated", "organization.update"),
    ("user.created", "user.create"),
    ("user.removed", "user.delete"),
    ("user.role_changed", "user.organization.role.update"),
    ("user.signed_in", "user.log_in"),
    ("user.password_changed", "user.password.update"),
    ("user.password_reset", "user.password.update"),
    ("workspace.created", "workspace.create"),
    ("workspace.updated", "workspace.update"),
    ("workspace.deleted", "workspace.delete"),
    ("workspace.member_added", "workspace.member.add"),
    ("workspace.member_removed", "workspace.member.remove"),
    ("workspace.member_role_changed", "workspace.member.role.update"),
    ("api_key.created", "api_key.create"),
    ("api_key.rotated", "api_key.rotate"),
    ("api_key.deleted", "api_key.delete"),
    ("admin_api_key.created", "admin_api_key.created"),
    ("admin_api_key.deleted", "admin_api_key.delete"),
    ("connector.created", "integration.created"),
    ("connector.visibility_changed", "integration.updated"),
    ("connector.deleted", "integration.deleted"),
];

pub fn event_type_of(action: &str) -> Option<&'static str> {
    AUDIT_EVENT_TYPES.iter().find(|(a, _)| *a == action).map(|(_, t)| *t)
}

/// Keydesk's audit target types with the platform's name for each.
pub const AUDIT_TARGET_TYPES: &[(&str, &str)] = &[
    ("user", "USER"),
    ("organization", "ORGANIZATION"),
    ("workspace", "WORKSPACE"),
    ("api_key", "API_KEY"),
    ("admin_api_key", "ADMIN_API_KEY"),
    ("connector", "INTEGRATION"),
];

pub fn target_type_of(target: &str) -> &'static str {
    AUDIT_TARGET_TYPES.iter().find(|(t, _)| *t == target).map_or("ORGANIZATION", |(_, p)| *p)
}

/// A stable integer id for an event (its uuid's top 53 bits, so it stays
/// exact in JavaScript).
pub fn log_id_of(id: Uuid) -> i64 {
    (id.as_u128() >> 75) as i64
}

impl AuditLogOut {
    pub fn from_event(e: &AuditEvent, event_type: &'static str, organization: Option<Uuid>) -> Self {
        let mut actor = BTreeMap::new();
        if let Some(id) = e.actor_id {
            actor.insert("user_id".to_owned(), id.to_string());
        }
        if let Some(email) = &e.actor_email {
            actor.insert("email".to_owned(), email.clone());
        }
        let mut event = BTreeMap::new();
        event.insert("action".to_owned(), e.action.clone());
        if let Some(after) = &e.after {
            event.insert("after".to_owned(), after.to_string());
        }
        if let Some(before) = &e.before {
            event.insert("before".to_owned(), before.to_string());
        }
        let mut target = BTreeMap::new();
        target.insert("type".to_owned(), e.target_type.clone());
        if let Some(id) = e.target_id {
            target.insert("id".to_owned(), id.to_string());
        }
        AuditLogOut {
            created_at: e.at,
            actor_type: if e.actor_id.is_some() { "HUMAN" } else { "OTHER" }.to_owned(),
            actor_metadata: actor,
            event_type: event_type.to_owned(),
            event_metadata: event,
            target_type: target_type_of(&e.target_type).to_owned(),
            target_metadata: target,
            log_id: log_id_of(e.id),
            organization_uuid: organization,
            workspace_uuid: (e.target_type == "workspace").then_some(e.target_id).flatten(),
        }
    }
}

/// Keydesk: the audit log in Keydesk's own vocabulary, every event listed.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditEventsQuery {
    /// Only events by this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<Uuid>,
    /// Only events with this action (e.g. `api_key.renamed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only events about this workspace, key, user, connector...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<Uuid>,
    /// Only events at or after this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// 1 to 1000, default 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// Keydesk: one audit event, newest first in lists.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEventOut {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Null for changes no user made (housekeeping).
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    /// What happened, e.g. `workspace.created`, `api_key.renamed`.
    pub action: String,
    /// `organization`, `user`, `workspace`, `api_key`, `admin_api_key` or `connector`.
    pub target_type: String,
    pub target_id: Option<Uuid>,
    /// The target before the change (never a secret).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// The target after the change (never a secret).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        AuditEventOut {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor_email: e.actor_email,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEventsOut {
    pub events: Vec<AuditEventOut>,
}

impl From<AuditEventOut> for AuditEvent {
    fn from(e: AuditEventOut) -> Self {
        AuditEvent {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor_email: e.actor_email,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
        }
    }
}

impl From<&AuditFilter> for AuditEventsQuery {
    fn from(f: &AuditFilter) -> Self {
        AuditEventsQuery {
            actor_id: f.actor_id,
            action: f.action.clone(),
            target_id: f.target_id,
            since: f.since,
            until: f.until,
            limit: f.limit,
            offset: f.offset,
        }
    }
}

impl From<AuditEventsQuery> for AuditFilter {
    fn from(q: AuditEventsQuery) -> Self {
        AuditFilter {
            actor_id: q.actor_id,
            action: q.action.filter(|a| !a.trim().is_empty()),
            target_id: q.target_id,
            since: q.since,
            until: q.until,
            limit: q.limit,
            offset: q.offset,
        }
    }
}
