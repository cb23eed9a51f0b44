//! The connection as a `Backend`: every call passed on to the current source.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorVisibility, KeyFilter, KeyPage,
    MonthlySpend, NewConnector, NewKey, NewWorkspace, OrgRole, Organization, User, Workspace,
    WorkspaceMember, WorkspacePatch, WorkspaceRole,
};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::{DailyCost, NewUser, OrganizationPatch};
use uuid::Uuid;

use crate::backend::{AppState, Backend, BootstrapInput, IssuedKey, KeyUsage, SpendAlert};
use crate::error::AppResult;

use super::Connection;

#[async_trait]
impl Backend for Connection {
    async fn state(&self) -> AppResult<AppState> {
        self.on(|b| async move { b.state().await }).await
    }
    async fn bootstrap(&self, input: BootstrapInput) -> AppResult<AppState> {
        self.on(|b| async move { b.bootstrap(input).await }).await
    }
    async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
        self.on(|b| async move { b.list_workspaces().await }).await
    }
    async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace> {
        self.on(|b| async move { b.create_workspace(input).await })
            .await
    }
    async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        self.on(|b| async move { b.update_workspace(workspace_id, patch).await })
            .await
    }
    async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64> {
        self.on(|b| async move { b.workspace_key_count(workspace_id).await })
            .await
    }
    async fn delete_workspace(&self, workspace_id: Uuid, confirmed: bool) -> AppResult<i64> {
        self.on(|b| async move { b.delete_workspace(workspace_id, confirmed).await })
            .await
    }
    async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage> {
        self.on(|b| async move { b.list_keys(filter).await }).await
    }
    async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey> {
        self.on(|b| async move { b.create_key(input).await }).await
    }
    async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey> {
        self.on(|b| async move { b.rename_key(key_id, name).await })
            .await
    }
    async fn set_key_budget(&self, key_id: Uuid, budget_micros: Option<i64>) -> AppResult<ApiKey> {
        self.on(|b| async move { b.set_key_budget(key_id, budget_micros).await })
            .await
    }
    async fn delete_key(&self, key_id: Uuid) -> AppResult<()> {
        self.on(|b| async move { b.delete_key(key_id).await }).await
    }
    async fn rotate_key(&self, key_id: Uuid, grace_seconds: Option<i64>) -> AppResult<IssuedKey> {
        self.on(|b| async move { b.rotate_key(key_id, grace_seconds).await })
            .await
    }
    async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64> {
        self.on(|b| async move { b.delete_keys(key_ids).await })
            .await
    }
    async fn update_organization(&self, patch: OrganizationPatch) -> AppResult<Organization> {
        self.on(|b| async move { b.update_organization(patch).await })
            .await
    }
    async fn list_users(&self) -> AppResult<Vec<User>> {
        self.on(|b| async move { b.list_users().await }).await
    }
    async fn create_user(&self, input: NewUser) -> AppResult<User> {
        self.on(|b| async move { b.create_user(input).await }).await
    }
    async fn set_user_role(&self, user_id: Uuid, role: OrgRole) -> AppResult<User> {
        self.on(|b| async move { b.set_user_role(user_id, role).await })
            .await
    }
    async fn remove_user(&self, user_id: Uuid) -> AppResult<()> {
        self.on(|b| async move { b.remove_user(user_id).await })
            .await
    }
    async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        self.on(|b| async move { b.list_members(workspace_id).await })
            .await
    }
    async fn add_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        self.on(|b| async move { b.add_member(workspace_id, user_id, role).await })
            .await
    }
    async fn set_member_role(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        self.on(|b| async move { b.set_member_role(workspace_id, user_id, role).await })
            .await
    }
    async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64> {
        self.on(|b| async move { b.remove_member(workspace_id, user_id).await })
            .await
    }
    async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        self.on(|b| async move { b.monthly_spend(workspace_id).await })
            .await
    }
    async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        self.on(|b| async move { b.daily_costs(workspace_id).await })
            .await
    }
    async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        self.on(|b| async move { b.usage_by_model(workspace_id).await })
            .await
    }
    async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        self.on(|b| async move { b.usage_by_key(workspace_id).await })
            .await
    }
    async fn spend_alerts(&self, since: Option<DateTime<Utc>>) -> AppResult<Vec<SpendAlert>> {
        self.on(|b| async move { b.spend_alerts(since).await })
            .await
    }
    async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        self.on(|b| async move { b.list_connectors(workspace_id).await })
            .await
    }
    async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        self.on(|b| async move { b.create_connector(input).await })
            .await
    }
    async fn set_connector_visibility(
        &self,
        connector_id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        self.on(|b| async move { b.set_connector_visibility(connector_id, visibility).await })
            .await
    }
    async fn delete_connector(&self, connector_id: Uuid) -> AppResult<()> {
        self.on(|b| async move { b.delete_connector(connector_id).await })
            .await
    }
    async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        self.on(|b| async move { b.reachable_connectors(key_id).await })
            .await
    }
    async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        self.on(|b| async move { b.list_audit(filter).await }).await
    }
}
