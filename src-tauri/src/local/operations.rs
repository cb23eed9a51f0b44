//! The `Backend` operations of `LocalBackend`: each one a `Service` call made as the first admin.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keydesk_core::ledger::SpendAlertFilter;
use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorVisibility, KeyFilter, KeyPage,
    MonthlySpend, NewConnector, NewKey, NewWorkspace, OrgRole, Organization, User, Workspace,
    WorkspaceMember, WorkspacePatch, WorkspaceRole,
};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::{DailyCost, NewUser, OrganizationPatch};
use uuid::Uuid;

use super::LocalBackend;
use crate::backend::{
    AppState, Backend, BackendMode, BootstrapInput, IssuedKey, KeyUsage, SpendAlert,
};
use crate::error::AppResult;

#[async_trait]
impl Backend for LocalBackend {
    async fn state(&self) -> AppResult<AppState> {
        let organization = self.service.organization().await?;
        let user = match organization {
            Some(_) => self.service.first_admin().await?,
            None => None,
        };
        Ok(AppState {
            mode: BackendMode::Local,
            organization,
            user,
        })
    }

    async fn bootstrap(&self, input: BootstrapInput) -> AppResult<AppState> {
        let (organization, admin) = self
            .service
            .bootstrap(&input.org_name, &input.admin_email, &input.admin_name)
            .await?;
        *self.acting_user.write().await = Some(admin.id);
        Ok(AppState {
            mode: BackendMode::Local,
            organization: Some(organization),
            user: Some(admin),
        })
    }

    async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
        let actor = self.actor().await?;
        Ok(self.service.list_workspaces(&actor).await?)
    }

    async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace> {
        let actor = self.actor().await?;
        Ok(self.service.create_workspace(&actor, input).await?)
    }

    async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .update_workspace(&actor, workspace_id, patch)
            .await?)
    }

    async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .workspace_key_count(&actor, workspace_id)
            .await?)
    }

    async fn delete_workspace(&self, workspace_id: Uuid, confirmed: bool) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .delete_workspace(&actor, workspace_id, confirmed)
            .await?)
    }

    async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage> {
        let actor = self.actor().await?;
        Ok(self.service.list_keys(&actor, filter).await?)
    }

    async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey> {
        let actor = self.actor().await?;
        Ok(self.service.create_key(&actor, input).await?.into())
    }

    async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey> {
        let actor = self.actor().await?;
        Ok(self.service.rename_key(&actor, key_id, name).await?)
    }

    async fn set_key_budget(&self, key_id: Uuid, budget_micros: Option<i64>) -> AppResult<ApiKey> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .set_key_budget(&actor, key_id, budget_micros)
            .await?)
    }

    async fn delete_key(&self, key_id: Uuid) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self.service.delete_key(&actor, key_id).await?)
    }

    async fn rotate_key(&self, key_id: Uuid, grace_seconds: Option<i64>) -> AppResult<IssuedKey> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .rotate_key(&actor, key_id, grace_seconds)
            .await?
            .into())
    }

    async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self.service.delete_keys(&actor, &key_ids).await?)
    }

    async fn update_organization(&self, patch: OrganizationPatch) -> AppResult<Organization> {
        let actor = self.actor().await?;
        Ok(self.service.update_organization(&actor, patch).await?)
    }

    async fn list_users(&self) -> AppResult<Vec<User>> {
        let actor = self.actor().await?;
        Ok(self.service.list_users(&actor).await?)
    }

    async fn create_user(&self, input: NewUser) -> AppResult<User> {
        let actor = self.actor().await?;
        Ok(self.service.create_user(&actor, input).await?)
    }

    async fn set_user_role(&self, user_id: Uuid, role: OrgRole) -> AppResult<User> {
        let actor = self.actor().await?;
        Ok(self.service.update_user_role(&actor, user_id, role).await?)
    }

    async fn remove_user(&self, user_id: Uuid) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self.service.remove_user(&actor, user_id).await?)
    }

    async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        let actor = self.actor().await?;
        Ok(self.service.list_members(&actor, workspace_id).await?)
    }

    async fn add_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .add_member(&actor, workspace_id, user_id, role)
            .await?)
    }

    async fn set_member_role(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .set_member_role(&actor, workspace_id, user_id, role)
            .await?)
    }

    async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .remove_member(&actor, workspace_id, user_id)
            .await?)
    }

    async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self
            .service
            .monthly_spend(&actor, workspace_id, now)
            .await?)
    }

    async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self.service.daily_costs(&actor, workspace_id, now).await?)
    }

    async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self
            .service
            .usage_by_model(&actor, workspace_id, now)
            .await?)
    }

    async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self.service.usage_by_key(&actor, workspace_id, now).await?)
    }

    async fn spend_alerts(&self, since: Option<DateTime<Utc>>) -> AppResult<Vec<SpendAlert>> {
        let actor = self.actor().await?;
        let filter = SpendAlertFilter {
            since,
            ..Default::default()
        };
        Ok(self.service.list_spend_alerts(&actor, filter).await?)
    }

    async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        let actor = self.actor().await?;
        Ok(self.service.list_connectors(&actor, workspace_id).await?)
    }

    async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        let actor = self.actor().await?;
        Ok(self.service.create_connector(&actor, input).await?)
    }

    async fn set_connector_visibility(
        &self,
        connector_id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .set_connector_visibility(&actor, connector_id, visibility)
            .await?)
    }

    async fn delete_connector(&self, connector_id: Uuid) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self.service.delete_connector(&actor, connector_id).await?)
    }

    async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        let actor = self.actor().await?;
        Ok(self.service.reachable_connectors(&actor, key_id).await?)
    }

    async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        let actor = self.actor().await?;
        Ok(self.service.list_audit(&actor, filter).await?)
    }
}
