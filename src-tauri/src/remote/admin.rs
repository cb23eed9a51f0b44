//! The organization-admin operations of `RemoteBackend` — users, workspace
//! members, organization settings and connectors — as calls
//! to keydesk-server's Admin API. Usage reports, what a key reaches and the
//! audit log are in usage.rs.

use keydesk_core::model::{
    Connector, ConnectorVisibility, NewConnector, OrgRole, Organization, User, WorkspaceMember,
    WorkspaceRole,
};
use keydesk_core::NewUser;
use keydesk_core::OrganizationPatch;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{OrganizationWire, RemoteBackend};
use crate::error::{AppError, AppResult};

/// The largest page of users the server answers.
const USER_PAGE: usize = 100;

#[derive(Deserialize)]
struct UsersPage {
    members: Vec<AdminUserWire>,
    total: Option<i64>,
}

#[derive(Deserialize)]
struct AdminUserWire {
    uuid: Uuid,
    name: Option<String>,
    email: Option<String>,
    raw_role: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl AdminUserWire {
    fn into_model(self) -> AppResult<User> {
        let org_role = OrgRole::from_code(&self.raw_role).ok_or_else(|| {
            AppError::internal(format!("unknown organization role '{}'", self.raw_role))
        })?;
        Ok(User {
            id: self.uuid,
            email: self.email.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            org_role,
            created_at: self.created_at,
        })
    }
}

#[derive(Deserialize)]
struct CreatedUsers {
    invalid_emails: Vec<String>,
    email_to_user_id: std::collections::BTreeMap<String, Uuid>,
}

#[derive(Deserialize)]
struct MembersWire {
    members: Vec<MemberWire>,
}

#[derive(Deserialize)]
struct MemberWire {
    user_uuid: Uuid,
    email: String,
    name: String,
    raw_role: String,
    added_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct ConnectorsWire {
    connectors: Vec<Connector>,
}

fn visibility_name(v: ConnectorVisibility) -> &'static str {
    match v {
        ConnectorVisibility::Private => "private",
        ConnectorVisibility::Shared => "shared",
    }
}

impl RemoteBackend {
    pub(super) async fn list_users(&self) -> AppResult<Vec<User>> {
        let mut users = Vec::new();
        for page in 1.. {
            let answer: UsersPage = self
                .call(
                    Method::GET,
                    &format!("/v1/admin/users?page={page}&page_size={USER_PAGE}"),
                    None,
                )
                .await?;
            let got = answer.members.len();
            for u in answer.members {
                users.push(u.into_model()?);
            }
            let total = answer.total.unwrap_or(0) as usize;
            if got < USER_PAGE || users.len() >= total {
                break;
            }
        }
        Ok(users)
    }

    pub(super) async fn create_user(&self, input: NewUser) -> AppResult<User> {
        let (first, last) = match input.name.trim().split_once(' ') {
            Some((f, l)) => (f.to_owned(), l.trim().to_owned()),
            None => (input.name.trim().to_owned(), String::new()),
        };
        let body = json!([{
            "email": input.email,
            "first_name": first,
            "last_name": last,
            "roles": [input.org_role.code()],
        }]);
        let created: CreatedUsers = self
            .call(Method::POST, "/v1/admin/users", Some(body))
            .await?;
        if !created.invalid_emails.is_empty() {
            // The Admin API lists refused addresses without saying why: a
            // well-formed one was refused because that user exists.
            return Err(match keydesk_core::text::check_email(input.email.trim()) {
                Err(e) => e.into(),
                Ok(()) => AppError::from(keydesk_core::Error::conflict(
                    "email",
                    "a user with this email already exists",
                )),
            });
        }
        let id = created
            .email_to_user_id
            .values()
            .next()
            .copied()
            .ok_or_else(|| AppError::internal("the server created no user"))?;
        self.user(id).await
    }

    async fn user(&self, id: Uuid) -> AppResult<User> {
        let u: AdminUserWire = self
            .call(Method::GET, &format!("/v1/admin/users/{id}"), None)
            .await?;
        u.into_model()
    }

    pub(super) async fn set_user_role(&self, id: Uuid, role: OrgRole) -> AppResult<User> {
        let u: AdminUserWire = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/users/{id}"),
                Some(json!({ "roles": [role.code()] })),
            )
            .await?;
        u.into_model()
    }

    pub(super) async fn remove_user(&self, id: Uuid) -> AppResult<()> {
        self.send(Method::DELETE, &format!("/v1/admin/users/{id}"), None)
            .await?;
        Ok(())
    }

    pub(super) async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        let answer: MembersWire = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/users"),
                None,
            )
            .await?;
        answer
            .members
            .into_iter()
            .map(|m| {
                let role = WorkspaceRole::from_code(&m.raw_role).ok_or_else(|| {
                    AppError::internal(format!("unknown workspace role '{}'", m.raw_role))
                })?;
                Ok(WorkspaceMember {
                    user_id: m.user_uuid,
                    email: m.email,
                    name: m.name,
                    role,
                    added_at: m.added_at,
                })
            })
            .collect()
    }

    /// Adds a member, or changes the role of one (the server's upsert).
    pub(super) async fn put_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
        adding: bool,
    ) -> AppResult<()> {
        let body = json!({ "members": [{ "user_uuid": user_id, "roles": [role.code()] }] });
        let path = if adding {
            format!("/v1/admin/workspaces/{workspace_id}/add-users")
        } else {
            format!("/v1/admin/workspaces/{workspace_id}/users")
        };
        let method = if adding { Method::POST } else { Method::PATCH };
        self.send(method, &path, Some(body)).await?;
        Ok(())
    }

    /// Removes a member. The server does not say how many of their keys
    /// were revoked with them, so this answers 0.
    pub(super) async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64> {
        let body = json!({ "members": [{ "user_uuid": user_id }] });
        self.send(
            Method::DELETE,
            &format!("/v1/admin/workspaces/{workspace_id}/remove-users"),
            Some(body),
        )
        .await?;
        Ok(0)
    }

    pub(super) async fn update_organization(
        &self,
        patch: OrganizationPatch,
    ) -> AppResult<Organization> {
        if let Some(limit) = patch.monthly_spend_limit_micros {
            // The Admin API takes whole dollars.
            let body = match limit {
                Some(m) => json!({ "amount": m / 1_000_000 }),
                None => json!({ "amount": 0, "no_monthly_limit": true }),
            };
            self.send(Method::POST, "/v1/admin/spend-limit", Some(body))
                .await?;
        }
        let mut body = serde_json::Map::new();
        if let Some(name) = patch.name {
            body.insert("name".into(), json!(name));
        }
        if let Some(plan) = patch.plan {
            body.insert("plan".into(), json!(plan.as_str()));
        }
        if let Some(active) = patch.billing_active {
            body.insert("billing_active".into(), json!(active));
        }
        if let Some(days) = patch.key_max_days {
            body.insert("key_max_days".into(), json!(days));
        }
        let org: OrganizationWire = self
            .call(Method::PATCH, "/v1/admin/organization", Some(body.into()))
            .await?;
        org.into_model()
    }

    pub(super) async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        let answer: ConnectorsWire = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/connectors"),
                None,
            )
            .await?;
        Ok(answer.connectors)
    }

    pub(super) async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        let body = json!({ "name": input.name, "visibility": visibility_name(input.visibility) });
        self.call(
            Method::POST,
            &format!("/v1/admin/workspaces/{}/connectors", input.workspace_id),
            Some(body),
        )
        .await
    }

    pub(super) async fn set_connector_visibility(
        &self,
        id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        let body = json!({ "visibility": visibility_name(visibility) });
        self.call(
            Method::PATCH,
            &format!("/v1/admin/connectors/{id}"),
            Some(body),
        )
        .await
    }

    pub(super) async fn delete_connector(&self, id: Uuid) -> AppResult<()> {
        self.send(Method::DELETE, &format!("/v1/admin/connectors/{id}"), None)
            .await?;
        Ok(())
    }
}
