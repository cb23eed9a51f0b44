//! Workspace members: listing, adding, roles, removal (with their keys there).

use super::*;

impl Service {
    pub async fn list_members(&self, actor: &Actor, workspace_id: Uuid) -> Result<Vec<WorkspaceMember>> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ViewMembers).await?;
        let rows: Vec<MemberRow> = tx
            .all(
                "SELECT m.user_id, u.email, u.name, m.role, m.added_at FROM workspace_members m \
                 JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email_folded",
                args![workspace_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| WorkspaceMember {
                user_id: r.user_id,
                email: r.email,
                name: r.name,
                role: WorkspaceRole::from_code(&r.role).unwrap_or(WorkspaceRole::Member),
                added_at: from_ms(r.added_at),
            })
            .collect())
    }

    pub async fn add_member(&self, actor: &Actor, workspace_id: Uuid, user_id: Uuid, role: WorkspaceRole) -> Result<()> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        self.add_member_in(&mut tx, actor, workspace_id, user_id, role).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a member inside `tx`; the caller checked the actor manages the
    /// workspace's members. Refusals come before any write.
    pub(crate) async fn add_member_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> Result<()> {
        let user =
            Self::user_in(tx, user_id).await.map_err(|_| Error::validation("user_id", "this user is not part of the organization"))?;
        if Self::ws_role(tx, workspace_id, user_id).await?.is_some() {
            return Err(Error::conflict("user_id", format!("{} is already a member of this workspace", user.email)));
        }
        tx.exec(
            "INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)",
            args![workspace_id, user_id, role.code(), ms(self.now())],
        )
        .await?;
        let after = serde_json::json!({ "user_id": user_id, "email": user.email, "role": role });
        self.audit(tx, Some(actor), "workspace.member_added", "workspace", Some(workspace_id), None::<&()>, Some(&after)).await?;
        Ok(())
    }

    pub(super) async fn admins_in(tx: &mut Tx, workspace_id: Uuid) -> Result<i64> {
        tx.int("SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'A'", args![workspace_id]).await
    }

    pub async fn set_member_role(&self, actor: &Actor, workspace_id: Uuid, user_id: Uuid, role: WorkspaceRole) -> Result<()> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        self.set_member_role_in(&mut tx, actor, workspace_id, user_id, role).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn set_member_role_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> Result<()> {
        let before = Self::ws_role(tx, workspace_id, user_id).await?.ok_or_else(|| Error::not_found("member"))?;
        if before == WorkspaceRole::Admin && role != WorkspaceRole::Admin && Self::admins_in(tx, workspace_id).await? <= 1 {
            return Err(Error::validation("role", "the workspace must keep at least one admin"));
        }
        tx.exec(
            "UPDATE workspace_members SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
            args![role.code(), workspace_id, user_id],
        )
        .await?;
        let b = serde_json::json!({ "user_id": user_id, "role": before });
        let a = serde_json::json!({ "user_id": user_id, "role": role });
        self.audit(tx, Some(actor), "workspace.member_role_changed", "workspace", Some(workspace_id), Some(&b), Some(&a)).await?;
        Ok(())
    }

    /// Removes a member; their keys in this workspace are revoked with them.
    /// Returns how many keys were revoked.
    pub async fn remove_member(&self, actor: &Actor, workspace_id: Uuid, user_id: Uuid) -> Result<i64> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        let revoked = self.remove_member_in(&mut tx, actor, workspace_id, user_id).await?;
        self.commit_announcing(tx, &[Change::AllKeys]).await?;
        Ok(revoked)
    }

    /// Removes a member and revokes their keys in the workspace, inside
    /// `tx`; returns how many keys went. Refusals come before any write.
    pub(crate) async fn remove_member_in(&self, tx: &mut Tx, actor: &Actor, workspace_id: Uuid, user_id: Uuid) -> Result<i64> {
        let before = Self::ws_role(tx, workspace_id, user_id).await?.ok_or_else(|| Error::not_found("member"))?;
        if before == WorkspaceRole::Admin && Self::admins_in(tx, workspace_id).await? <= 1 {
            return Err(Error::validation("user_id", "the workspace must keep at least one admin"));
        }
        let revoked = tx.exec("DELETE FROM api_keys WHERE workspace_id = $1 AND owner_id = $2", args![workspace_id, user_id]).await?;
        tx.exec("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", args![workspace_id, user_id]).await?;
        let b = serde_json::json!({ "user_id": user_id, "role": before });
        let a = serde_json::json!({ "revoked_keys": revoked });
        self.audit(tx, Some(actor), "workspace.member_removed", "workspace", Some(workspace_id), Some(&b), Some(&a)).await?;
        Ok(revoked as i64)
    }
}
