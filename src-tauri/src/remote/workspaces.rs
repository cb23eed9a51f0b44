//! Workspaces over the Admin API: the list (every page, through the cache),
//! creation, one PATCH for details and settings together, and deletion with
//! the server's confirmation rule.

use keydesk_api::{
    AdminWorkspaceIn, UpdateWorkspaceIn, WorkspaceOut, WorkspaceSettingsIn, WorkspacesOut,
};

use super::*;

/// The server's largest workspace page.
const WORKSPACE_PAGE: usize = 1000;

impl RemoteBackend {
    async fn fetch_workspaces(&self) -> AppResult<Vec<Workspace>> {
        let mut all = Vec::new();
        for page in 1.. {
            let request = self
                .request(Method::GET, "/v1/admin/workspaces")
                .query(&[("page", page), ("page_size", WORKSPACE_PAGE)]);
            let body: WorkspacesOut = decode(self.execute(request).await?).await?;
            let got = body.items.len();
            all.extend(body.items.into_iter().map(Workspace::from));
            if got < WORKSPACE_PAGE || all.len() as i64 >= body.total {
                break;
            }
        }
        Ok(all)
    }

    async fn get_workspace(&self, workspace_id: Uuid) -> AppResult<Workspace> {
        let ws: WorkspaceOut = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}"),
                None,
            )
            .await?;
        Ok(ws.into())
    }

    pub(super) async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
        self.read_through(
            "workspaces",
            "",
            |b| async move { b.fetch_workspaces().await },
        )
        .await
    }

    pub(super) async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace> {
        let admin_user_id = match input.admin_user_id {
            Some(id) => id,
            None => self.current_user().await?.id,
        };
        let request = AdminWorkspaceIn {
            name: input.name,
            description: input.description,
            icon: input.icon,
            add_all_org_members: false,
            admin_user_id,
        };
        let ws: WorkspaceOut = self
            .call(Method::POST, "/v1/admin/workspaces", body(&request)?)
            .await?;
        Ok(ws.into())
    }

    /// One PATCH: the server applies details and settings together.
    pub(super) async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        let (requests_per_second, tokens_per_minute) = match patch.rate_limits {
            Some(limits) => (
                Some(limits.requests_per_second),
                Some(limits.tokens_per_minute),
            ),
            None => (None, None),
        };
        let request = UpdateWorkspaceIn {
            name: patch.name,
            description: patch.description,
            icon: patch.icon,
            settings: WorkspaceSettingsIn {
                monthly_spend_limit: patch
                    .monthly_spend_limit_micros
                    .map(|limit| limit.map(keydesk_api::usd)),
                key_max_days: patch.key_max_days,
                requests_per_second,
                tokens_per_minute,
            },
        };
        if request.is_empty() {
            return self.get_workspace(workspace_id).await;
        }
        let ws: WorkspaceOut = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/workspaces/{workspace_id}"),
                body(&request)?,
            )
            .await?;
        Ok(ws.into())
    }

    pub(super) async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64> {
        let page = self
            .fetch_keys(&KeyFilter {
                workspace_id: Some(workspace_id),
                limit: Some(1),
                ..Default::default()
            })
            .await?;
        Ok(page.total)
    }

    /// The server's core decides, in its order: visibility, permission, the
    /// default workspace, then confirmation (which names the count).
    pub(super) async fn delete_workspace(
        &self,
        workspace_id: Uuid,
        confirmed: bool,
    ) -> AppResult<i64> {
        let keys = self.workspace_key_count(workspace_id).await?;
        self.send(
            Method::DELETE,
            &format!("/v1/admin/workspaces/{workspace_id}?confirm={confirmed}"),
            None,
        )
        .await?;
        Ok(keys)
    }
}
