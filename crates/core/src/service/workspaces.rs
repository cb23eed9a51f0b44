//! Workspaces: listing, creation, settings, deletion, and who sees which.

use super::*;

impl Service {
    pub(crate) async fn ws_role(tx: &mut Tx, workspace_id: Uuid, user_id: Uuid) -> Result<Option<WorkspaceRole>> {
        let row: Option<(String,)> =
            tx.opt("SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", args![workspace_id, user_id]).await?;
        Ok(row.and_then(|(r,)| WorkspaceRole::from_code(&r)))
    }

    pub(crate) async fn subject(tx: &mut Tx, actor: &Actor, workspace_id: Uuid, owns_target: bool) -> Result<Subject> {
        Ok(Subject { org_role: actor.org_role, workspace_role: Self::ws_role(tx, workspace_id, actor.user_id).await?, owns_target })
    }

    pub(crate) async fn workspace_in(tx: &mut Tx, id: Uuid) -> Result<Workspace> {
        let row: Option<WorkspaceRow> = tx.opt(&format!("{WORKSPACE_SELECT} WHERE w.id = $1"), args![id]).await?;
        row.map(WorkspaceRow::into_model).ok_or_else(|| Error::not_found("workspace"))
    }

    /// Loads a workspace and checks `action` on it. A workspace the actor
    /// may not even see answers "not found", so ids do not leak.
    pub(crate) async fn workspace_for(&self, tx: &mut Tx, actor: &Actor, id: Uuid, action: Action) -> Result<(Workspace, Subject)> {
        let ws = Self::workspace_in(tx, id).await?;
        let subject = Self::subject(tx, actor, id, false).await?;
        if !authorize(subject, Action::ViewWorkspace).is_allowed() && !authorize(subject, action).is_allowed() {
            return Err(Error::not_found("workspace"));
        }
        authorize(subject, action).check()?;
        Ok((ws, subject))
    }

    pub async fn list_workspaces(&self, actor: &Actor) -> Result<Vec<Workspace>> {
        let mut tx = self.begin().await?;
        // Viewing a workspace one does not belong to means seeing them all.
        let sees_all = authorize(Subject::organization(actor.org_role), Action::ViewWorkspace).is_allowed();
        let rows: Vec<WorkspaceRow> = if sees_all {
            tx.all(&format!("{WORKSPACE_SELECT} ORDER BY w.is_default DESC, w.name_folded"), args![]).await?
        } else {
            tx.all(
                &format!(
                    "{WORKSPACE_SELECT} WHERE w.id IN (SELECT workspace_id FROM workspace_members WHERE user_id = $1) \
                     ORDER BY w.is_default DESC, w.name_folded"
                ),
                args![actor.user_id],
            )
            .await?
        };
        Ok(rows.into_iter().map(WorkspaceRow::into_model).collect())
    }

    /// The workspaces `user_id` belongs to, with their role there, among
    /// those whose members the actor may see (organization admins: all;
    /// others: the ones they belong to themselves). Two queries, however
    /// many workspaces there are.
    pub async fn user_memberships(&self, actor: &Actor, user_id: Uuid) -> Result<Vec<(Workspace, WorkspaceRole)>> {
        let mut tx = self.begin().await?;
        let sees_all = authorize(Subject::organization(actor.org_role), Action::ViewMembers).is_allowed();
        let rows: Vec<WorkspaceRow> = tx
            .all(
                &format!(
                    "{WORKSPACE_SELECT} WHERE w.id IN (SELECT workspace_id FROM workspace_members WHERE user_id = $1) \
                     AND ($2 OR w.id IN (SELECT workspace_id FROM workspace_members WHERE user_id = $3)) \
                     ORDER BY w.is_default DESC, w.name_folded"
                ),
                args![user_id, sees_all, actor.user_id],
            )
            .await?;
        let roles: Vec<(Uuid, String)> =
            tx.all("SELECT workspace_id, role FROM workspace_members WHERE user_id = $1", args![user_id]).await?;
        let role_of: std::collections::HashMap<Uuid, WorkspaceRole> =
            roles.into_iter().filter_map(|(ws, r)| WorkspaceRole::from_code(&r).map(|r| (ws, r))).collect();
        Ok(rows.into_iter().map(WorkspaceRow::into_model).filter_map(|ws| role_of.get(&ws.id).map(|r| (ws, *r))).collect())
    }

    pub async fn get_workspace(&self, actor: &Actor, id: Uuid) -> Result<Workspace> {
        let mut tx = self.begin().await?;
        let subject = Self::subject(&mut tx, actor, id, false).await?;
        let ws = Self::workspace_in(&mut tx, id).await?;
        if !authorize(subject, Action::ViewWorkspace).is_allowed() {
            return Err(Error::not_found("workspace"));
        }
        Ok(ws)
    }

    pub(super) fn check_workspace_text(name: Option<&str>, description: Option<&str>, icon: Option<&str>) -> Result<()> {
        if let Some(n) = name {
            check_len("name", n, 1, 255)?;
        }
        if let Some(d) = description {
            check_len("description", d, 0, 255)?;
        }
        if let Some(i) = icon {
            check_len("icon", i, 0, 2)?;
        }
        Ok(())
    }

    pub(super) fn name_conflict(e: Error) -> Error {
        if e.code == ErrorCode::Conflict {
            Error::conflict("name", "a workspace with this name already exists")
        } else {
            e
        }
    }

    pub async fn create_workspace(&self, actor: &Actor, new: NewWorkspace) -> Result<Workspace> {
        Self::org_check(actor, Action::CreateWorkspace)?;
        let name = new.name.trim();
        Self::check_workspace_text(Some(name), Some(new.description.trim()), Some(new.icon.trim()))?;
        let mut tx = self.begin().await?;
        let admin_id = new.admin_user_id.unwrap_or(actor.user_id);
        if Self::user_in(&mut tx, admin_id).await.is_err() {
            return Err(Error::validation("admin_user_id", "the workspace admin must be a user of the organization"));
        }
        let id = Uuid::new_v4();
        let now = ms(self.now());
        tx.exec(
            "INSERT INTO workspaces (id, name, name_folded, description, icon, is_default, tokens_per_minute, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, '{}', $7)",
            args![id, name, fold_for_search(name), new.description.trim(), new.icon.trim(), false, now],
        )
        .await
        .map_err(Self::name_conflict)?;
        tx.exec("INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, 'A', $3)", args![id, admin_id, now])
            .await?;
        let ws = Self::workspace_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "workspace.created", "workspace", Some(id), None::<&()>, Some(&ws)).await?;
        tx.commit().await?;
        Ok(ws)
    }

    pub async fn update_workspace(&self, actor: &Actor, id: Uuid, patch: WorkspacePatch) -> Result<Workspace> {
        let mut tx = self.begin().await?;
        let (before, _) = self.workspace_for(&mut tx, actor, id, Action::UpdateWorkspace).await?;
        let org = Self::require_org(&mut tx).await?;
        let name = patch.name.as_deref().map(str::trim);
        let description = patch.description.as_deref().map(str::trim);
        let icon = patch.icon.as_deref().map(str::trim);
        Self::check_workspace_text(name, description, icon)?;
        if let Some(limit) = patch.monthly_spend_limit_micros {
            policy::check_spend_limit("monthly_spend_limit", limit, org.monthly_spend_limit_micros)?;
        }
        if let Some(days) = patch.key_max_days {
            policy::check_policy_days("key_max_days", days)?;
            // The organization's policy is the ceiling for a new workspace
            // value. A workspace value left above it by a later, stricter
            // organization policy stays stored (the stricter one applies to
            // new keys, see `effective_max_days`), and saving it unchanged
            // is not setting a new one.
            if let (Some(d), Some(org_max)) = (days, org.key_max_days) {
                if d > org_max && days != before.key_max_days {
                    return Err(Error::validation(
                        "key_max_days",
                        format!("key_max_days cannot exceed the organization's policy of {org_max} days"),
                    ));
                }
            }
        }
        if let Some(rl) = &patch.rate_limits {
            if rl.requests_per_second.is_some_and(|r| r < 1) {
                return Err(Error::validation("requests_per_second", "requests_per_second must be at least 1"));
            }
            if let Some((model, _)) = rl.tokens_per_minute.iter().find(|(m, v)| **v < 1 || m.trim().is_empty()) {
                return Err(Error::validation("tokens_per_minute", format!("tokens_per_minute for '{model}' must be at least 1")));
            }
        }
        let mut after = before.clone();
        if let Some(n) = name {
            after.name = n.to_owned();
        }
        if let Some(d) = description {
            after.description = d.to_owned();
        }
        if let Some(i) = icon {
            after.icon = i.to_owned();
        }
        if let Some(l) = patch.monthly_spend_limit_micros {
            after.monthly_spend_limit_micros = l;
        }
        if let Some(rl) = patch.rate_limits {
            after.rate_limits = rl;
        }
        if let Some(d) = patch.key_max_days {
            after.key_max_days = d;
        }
        let tpm: BTreeMap<String, i64> = after.rate_limits.tokens_per_minute.clone();
        tx.exec(
            "UPDATE workspaces SET name = $1, name_folded = $2, description = $3, icon = $4, monthly_spend_limit_micros = $5, \
             requests_per_second = $6, tokens_per_minute = $7, key_max_days = $8 WHERE id = $9",
            args![
                after.name.clone(),
                fold_for_search(&after.name),
                after.description.clone(),
                after.icon.clone(),
                after.monthly_spend_limit_micros,
                after.rate_limits.requests_per_second,
                serde_json::to_string(&tpm).unwrap_or_else(|_| "{}".into()),
                after.key_max_days,
                id
            ],
        )
        .await
        .map_err(Self::name_conflict)?;
        self.audit(&mut tx, Some(actor), "workspace.updated", "workspace", Some(id), Some(&before), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Workspace(id)]).await?;
        Ok(after)
    }

    /// How many keys deleting the workspace would revoke.
    pub async fn workspace_key_count(&self, actor: &Actor, id: Uuid) -> Result<i64> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, id, Action::ViewWorkspace).await?;
        tx.int("SELECT COUNT(*) FROM api_keys WHERE workspace_id = $1", args![id]).await
    }

    /// Deletes a workspace and revokes all its keys. The caller must pass
    /// `confirmed = true`, having shown the user how many keys that revokes.
    /// Returns the number of keys revoked.
    pub async fn delete_workspace(&self, actor: &Actor, id: Uuid, confirmed: bool) -> Result<i64> {
        let mut tx = self.begin().await?;
        let (ws, _) = self.workspace_for(&mut tx, actor, id, Action::DeleteWorkspace).await?;
        if ws.is_default {
            return Err(Error::conflict("workspace", "the default workspace cannot be deleted"));
        }
        let keys = tx.int("SELECT COUNT(*) FROM api_keys WHERE workspace_id = $1", args![id]).await?;
        if !confirmed {
            return Err(Error::validation(
                "confirm",
                format!("deleting workspace '{}' revokes {keys} API key(s); confirm to proceed", ws.name),
            ));
        }
        tx.exec("DELETE FROM workspaces WHERE id = $1", args![id]).await?;
        let after = serde_json::json!({ "revoked_keys": keys });
        self.audit(&mut tx, Some(actor), "workspace.deleted", "workspace", Some(id), Some(&ws), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Workspace(id), Change::AllKeys]).await?;
        Ok(keys)
    }
}
