//! The organization-admin operations of `RemoteBackend` — users, workspace
//! members, organization settings and connectors — as calls
//! to keydesk-server's Admin API. Usage reports, what a key reaches and the
//! audit log are in usage.rs.

use keydesk_api::{
    visibility_name, AdminOrganizationMemberUpdate, AdminUserOut, BaseWorkspaceMemberIn,
    ConnectorOut, ConnectorVisibilityIn, ConnectorsOut, CreateConnectorIn, NewUsageLimitIn,
    OrganizationAdminUsersOut, OrganizationMemberCreate, OrganizationOut, OrganizationPatchIn,
    OrganizationUsersCreateOut, RemoveWorkspaceMembersIn, WorkspaceMemberIn,
    WorkspaceMemberSingleIn, WorkspaceMembersOut,
};
use keydesk_core::model::{
    Connector, ConnectorVisibility, NewConnector, OrgRole, Organization, User, WorkspaceMember,
    WorkspaceRole,
};
use keydesk_core::NewUser;
use keydesk_core::OrganizationPatch;
use reqwest::Method;
use uuid::Uuid;

use super::{body, read_all, RemoteBackend};
use crate::error::{AppError, AppResult};

/// A role on the wire, as its code (`A`, `M`...).
fn role_codes(code: &str) -> Option<Vec<String>> {
    Some(vec![code.to_owned()])
}

/// The largest page of users the server answers.
const USER_PAGE: usize = 100;

impl RemoteBackend {
    pub(super) async fn list_users(&self) -> AppResult<Vec<User>> {
        let mut users = Vec::new();
        for page in 1.. {
            let answer: OrganizationAdminUsersOut = self
                .call(
                    Method::GET,
                    &format!("/v1/admin/users?page={page}&page_size={USER_PAGE}"),
                    None,
                )
                .await?;
            let got = answer.members.len();
            for u in answer.members {
                users.push(User::try_from(u)?);
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
        let request = [OrganizationMemberCreate {
            email: input.email.clone(),
            first_name: first,
            last_name: last,
            role_names: None,
            roles: role_codes(input.org_role.code()),
            role_name: None,
            role: None,
            subscription_types: None,
        }];
        let created: OrganizationUsersCreateOut = self
            .call(Method::POST, "/v1/admin/users", body(&request)?)
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
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| AppError::internal("the server created no user"))?;
        self.user(id).await
    }

    async fn user(&self, id: Uuid) -> AppResult<User> {
        let u: AdminUserOut = self
            .call(Method::GET, &format!("/v1/admin/users/{id}"), None)
            .await?;
        Ok(u.try_into()?)
    }

    pub(super) async fn set_user_role(&self, id: Uuid, role: OrgRole) -> AppResult<User> {
        let request = AdminOrganizationMemberUpdate {
            roles: role_codes(role.code()),
            ..Default::default()
        };
        let u: AdminUserOut = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/users/{id}"),
                body(&request)?,
            )
            .await?;
        Ok(u.try_into()?)
    }

    pub(super) async fn remove_user(&self, id: Uuid) -> AppResult<()> {
        self.send(Method::DELETE, &format!("/v1/admin/users/{id}"), None)
            .await?;
        Ok(())
    }

    pub(super) async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        let answer: WorkspaceMembersOut = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/users"),
                None,
            )
            .await?;
        read_all(answer.members)
    }

    /// Adds a member, or changes the role of one (the server's upsert).
    pub(super) async fn put_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
        adding: bool,
    ) -> AppResult<()> {
        let request = WorkspaceMemberIn {
            members: Some(vec![WorkspaceMemberSingleIn {
                user_uuid: user_id,
                role_names: None,
                roles: role_codes(role.code()),
                role_name: None,
                role: None,
            }]),
        };
        let path = if adding {
            format!("/v1/admin/workspaces/{workspace_id}/add-users")
        } else {
            format!("/v1/admin/workspaces/{workspace_id}/users")
        };
        let method = if adding { Method::POST } else { Method::PATCH };
        self.send(method, &path, body(&request)?).await?;
        Ok(())
    }

    /// Removes a member. The server does not say how many of their keys
    /// were revoked with them, so this answers 0.
    pub(super) async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64> {
        let request = RemoveWorkspaceMembersIn {
            members: vec![BaseWorkspaceMemberIn { user_uuid: user_id }],
        };
        self.send(
            Method::DELETE,
            &format!("/v1/admin/workspaces/{workspace_id}/remove-users"),
            body(&request)?,
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
            let request = NewUsageLimitIn {
                amount: limit.map_or(0, |m| m / 1_000_000),
                no_monthly_limit: limit.is_none(),
            };
            self.send(Method::POST, "/v1/admin/spend-limit", body(&request)?)
                .await?;
        }
        let request = OrganizationPatchIn {
            name: patch.name,
            plan: patch.plan.map(|p| p.as_str().to_owned()),
            billing_active: patch.billing_active,
            key_max_days: patch.key_max_days,
        };
        let org: OrganizationOut = self
            .call(Method::PATCH, "/v1/admin/organization", body(&request)?)
            .await?;
        Ok(org.try_into()?)
    }

    pub(super) async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        let answer: ConnectorsOut = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/connectors"),
                None,
            )
            .await?;
        read_all(answer.connectors)
    }

    pub(super) async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        let request = CreateConnectorIn {
            name: input.name,
            visibility: Some(visibility_name(input.visibility).to_owned()),
        };
        let created: ConnectorOut = self
            .call(
                Method::POST,
                &format!("/v1/admin/workspaces/{}/connectors", input.workspace_id),
                body(&request)?,
            )
            .await?;
        Ok(created.try_into()?)
    }

    pub(super) async fn set_connector_visibility(
        &self,
        id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        let request = ConnectorVisibilityIn {
            visibility: visibility_name(visibility).to_owned(),
        };
        let changed: ConnectorOut = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/connectors/{id}"),
                body(&request)?,
            )
            .await?;
        Ok(changed.try_into()?)
    }

    pub(super) async fn delete_connector(&self, id: Uuid) -> AppResult<()> {
        self.send(Method::DELETE, &format!("/v1/admin/connectors/{id}"), None)
            .await?;
        Ok(())
    }
}
