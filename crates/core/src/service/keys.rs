//! API keys: creation, the key page query, rename, budget, rotation, deletion and purge.

use super::*;

impl Service {
    pub(super) fn key_from_row(&self, row: KeyRow, billing_active: bool, may_manage: bool) -> ApiKey {
        let now = self.now();
        let expires_at = row.expires_at.map(from_ms);
        let status = policy::key_status(expires_at, billing_active, now);
        let product = KeyProduct::parse(&row.product).unwrap_or(KeyProduct::Api);
        ApiKey {
            key_id: row.id,
            name: row.name,
            hidden_key: row.hidden_key,
            workspace_id: row.workspace_id,
            workspace_name: row.workspace_name,
            owner_id: row.owner_id,
            owner_email: row.owner_email,
            product,
            connector_scope: ConnectorScope::parse(&row.connector_scope).unwrap_or_default(),
            created_at: from_ms(row.created_at),
            expiration_date: expires_at.map(|t| (t - Duration::days(1)).date_naive()),
            last_used_at: row.last_used_at.map(from_ms),
            delete_after: row.delete_after.map(from_ms),
            monthly_budget_micros: row.monthly_budget_micros,
            status,
            actions: policy::key_actions(status, product, may_manage),
        }
    }

    /// Loads a live key the actor may see, with the actor's subject for it.
    pub(super) async fn key_for(&self, tx: &mut Tx, actor: &Actor, key_id: Uuid) -> Result<(ApiKey, Subject)> {
        let row: Option<KeyRow> = tx
            .opt(
                &format!("{KEY_SELECT} WHERE k.id = $1 AND (k.delete_after IS NULL OR k.delete_after > $2)"),
                args![key_id, ms(self.now())],
            )
            .await?;
        let row = row.ok_or_else(|| Error::not_found("API key"))?;
        let subject = Self::subject(tx, actor, row.workspace_id, row.owner_id == actor.user_id).await?;
        if !authorize(subject, Action::ViewKey).is_allowed() {
            return Err(Error::not_found("API key"));
        }
        let org = Self::require_org(tx).await?;
        let may_manage = authorize(subject, Action::ManageKey).is_allowed();
        Ok((self.key_from_row(row, org.billing_active, may_manage), subject))
    }

    pub async fn get_key(&self, actor: &Actor, key_id: Uuid) -> Result<ApiKey> {
        let mut tx = self.begin().await?;
        Ok(self.key_for(&mut tx, actor, key_id).await?.0)
    }

    pub(super) async fn insert_key(&self, tx: &mut Tx, spec: &KeySpec) -> Result<crate::secret::ApiKeySecret> {
        let secret = generate_key(&self.inner.key_prefix);
        let plain = secret.expose();
        let name_folded = spec.name.as_deref().map(fold_for_search).unwrap_or_default();
        tx.exec(
            "INSERT INTO api_keys (id, workspace_id, owner_id, name, name_folded, hidden_key, last4_folded, key_hash, product, \
             connector_scope, created_at, expires_at, monthly_budget_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            args![
                spec.id,
                spec.workspace_id,
                spec.owner_id,
                spec.name.clone(),
                name_folded,
                hidden_form(plain),
                plain[plain.len() - 4..].to_lowercase(),
                self.inner.hasher.hash(plain),
                spec.product.as_str(),
                spec.scope.as_str(),
                ms(self.now()),
                spec.expiration.map(|d| ms(policy::expiry_instant(d))),
                spec.monthly_budget_micros
            ],
        )
        .await?;
        Ok(secret)
    }

    pub(super) async fn created(&self, tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<ApiKey> {
        let row: KeyRow = tx.one(&format!("{KEY_SELECT} WHERE k.id = $1"), args![id]).await?;
        let org = Self::require_org(tx).await?;
        let subject = Self::subject(tx, actor, row.workspace_id, row.owner_id == actor.user_id).await?;
        Ok(self.key_from_row(row, org.billing_active, authorize(subject, Action::ManageKey).is_allowed()))
    }

    /// Creates a key and returns its secret, which is never retrievable again.
    pub async fn create_key(&self, actor: &Actor, new: NewKey) -> Result<CreatedKey> {
        let owner_id = new.user_id.unwrap_or(actor.user_id);
        let name = new.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        if let Some(n) = &name {
            check_len("name", n, 0, 255)?;
        }
        let product = new.product.unwrap_or(KeyProduct::Api);
        if product == KeyProduct::MistralCode {
            return Err(Error::validation("product", "Mistral Code keys are legacy: they can be listed and deleted, not created"));
        }
        let mut tx = self.begin().await?;
        let action = if owner_id == actor.user_id { Action::CreateOwnKey } else { Action::CreateKeyForOther };
        let (ws, subject) = self.workspace_for(&mut tx, actor, new.workspace_id, action).await?;
        if new.monthly_budget_micros.is_some() {
            authorize(subject, Action::SetKeyBudget).check()?;
            policy::check_spend_limit("monthly_budget", new.monthly_budget_micros, None)?;
        }
        if owner_id != actor.user_id && Self::ws_role(&mut tx, ws.id, owner_id).await?.is_none() {
            return Err(Error::validation("user_id", "the key's owner must be a member of the workspace"));
        }
        let org = Self::require_org(&mut tx).await?;
        let max_days = policy::effective_max_days(org.key_max_days, ws.key_max_days);
        let (expiration, clamped) = policy::clamp_expiration(new.expiration, max_days, self.today())?;
        let spec = KeySpec {
            id: Uuid::new_v4(),
            workspace_id: ws.id,
            owner_id,
            name,
            product,
            scope: new.connector_scope.unwrap_or_default(),
            expiration,
            monthly_budget_micros: new.monthly_budget_micros,
        };
        let secret = self.insert_key(&mut tx, &spec).await?;
        let key = self.created(&mut tx, actor, spec.id).await?;
        self.audit(&mut tx, Some(actor), "api_key.created", "api_key", Some(key.key_id), None::<&()>, Some(&key)).await?;
        tx.commit().await?;
        Ok(CreatedKey { key, secret, expiration_clamped: clamped })
    }

    /// Lists keys the actor may see, newest first, filtered and paged.
    pub async fn list_keys(&self, actor: &Actor, filter: KeyFilter) -> Result<KeyPage> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset, 100)?;
        let mut tx = self.begin().await?;
        let org = Self::require_org(&mut tx).await?;
        let store = if self.inner.db.is_postgres() { key_query::Store::Postgres } else { key_query::Store::Sqlite };
        let q = key_query::key_page(&filter, actor, self.now(), store, org.billing_active, limit, offset)?;
        let counted = tx.int(&q.count_sql, q.count_args).await?;
        let rows: Vec<KeyRow> = tx.all(&q.page_sql, q.page_args).await?;
        // The actor's role in each key's workspace decides the actions shown.
        let roles: Vec<(Uuid, String)> =
            tx.all("SELECT workspace_id, role FROM workspace_members WHERE user_id = $1", args![actor.user_id]).await?;
        let roles: BTreeMap<Uuid, WorkspaceRole> =
            roles.into_iter().filter_map(|(w, r)| WorkspaceRole::from_code(&r).map(|r| (w, r))).collect();
        let keys = rows
            .into_iter()
            .map(|r| {
                let subject = Subject {
                    org_role: actor.org_role,
                    workspace_role: roles.get(&r.workspace_id).copied(),
                    owns_target: r.owner_id == actor.user_id,
                };
                let may_manage = authorize(subject, Action::ManageKey).is_allowed();
                self.key_from_row(r, org.billing_active, may_manage)
            })
            .collect();
        Ok(KeyPage { keys, total: counted.min(COUNT_CAP), total_exact: counted <= COUNT_CAP })
    }

    /// Changes a key's name, the only mutable property of a key.
    pub async fn rename_key(&self, actor: &Actor, key_id: Uuid, name: Option<String>) -> Result<ApiKey> {
        self.update_key(actor, key_id, KeyPatch { name: Some(name), ..Default::default() }).await
    }

    /// Sets or clears a key's own monthly budget (micro-USD). The gateway
    /// holds requests made with the key to it, on top of the workspace's and
    /// the organization's limits.
    pub async fn set_key_budget(&self, actor: &Actor, key_id: Uuid, budget_micros: Option<i64>) -> Result<ApiKey> {
        self.update_key(actor, key_id, KeyPatch { monthly_budget_micros: Some(budget_micros), ..Default::default() }).await
    }

    /// Changes what may change of a key, all or nothing: its name (the key's
    /// owner or a workspace admin) and its monthly budget (workspace admins).
    pub async fn update_key(&self, actor: &Actor, key_id: Uuid, patch: KeyPatch) -> Result<ApiKey> {
        let name = patch.name.map(|n| n.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned));
        if let Some(Some(n)) = &name {
            check_len("name", n, 0, 255)?;
        }
        if let Some(budget) = patch.monthly_budget_micros {
            policy::check_spend_limit("monthly_budget", budget, None)?;
        }
        let mut tx = self.begin().await?;
        let (before, subject) = self.key_for(&mut tx, actor, key_id).await?;
        authorize(subject, Action::ManageKey).check()?;
        let mut changes = vec![];
        if let Some(name) = &name {
            tx.exec(
                "UPDATE api_keys SET name = $1, name_folded = $2 WHERE id = $3",
                args![name.clone(), name.as_deref().map(fold_for_search).unwrap_or_default(), key_id],
            )
            .await?;
        }
        if let Some(budget) = patch.monthly_budget_micros {
            authorize(Subject { owns_target: false, ..subject }, Action::SetKeyBudget).check()?;
            tx.exec("UPDATE api_keys SET monthly_budget_micros = $1 WHERE id = $2", args![budget, key_id]).await?;
            changes.push(Change::Key(key_id));
        }
        let after = self.created(&mut tx, actor, key_id).await?;
        if name.is_some() {
            self.audit(&mut tx, Some(actor), "api_key.renamed", "api_key", Some(key_id), Some(&before), Some(&after)).await?;
        }
        if patch.monthly_budget_micros.is_some() {
            self.audit(&mut tx, Some(actor), "api_key.budget_changed", "api_key", Some(key_id), Some(&before), Some(&after)).await?;
        }
        self.commit_announcing(tx, &changes).await?;
        Ok(after)
    }

    pub async fn delete_key(&self, actor: &Actor, key_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let (before, subject) = self.key_for(&mut tx, actor, key_id).await?;
        authorize(subject, Action::ManageKey).check()?;
        tx.exec("DELETE FROM api_keys WHERE id = $1", args![key_id]).await?;
        self.audit(&mut tx, Some(actor), "api_key.deleted", "api_key", Some(key_id), Some(&before), None::<&()>).await?;
        self.commit_announcing(tx, &[Change::Key(key_id)]).await?;
        Ok(())
    }

    /// Deletes several keys at once; all must be deletable by the actor, or
    /// none is deleted. Returns how many were deleted.
    pub async fn delete_keys(&self, actor: &Actor, key_ids: &[Uuid]) -> Result<i64> {
        let mut tx = self.begin().await?;
        let mut deleted = Vec::with_capacity(key_ids.len());
        for id in key_ids {
            let (key, subject) = self.key_for(&mut tx, actor, *id).await?;
            authorize(subject, Action::ManageKey).check()?;
            tx.exec("DELETE FROM api_keys WHERE id = $1", args![*id]).await?;
            deleted.push(key);
        }
        for key in &deleted {
            self.audit(&mut tx, Some(actor), "api_key.deleted", "api_key", Some(key.key_id), Some(key), None::<&()>).await?;
        }
        let changes: Vec<Change> = deleted.iter().map(|k| Change::Key(k.key_id)).collect();
        self.commit_announcing(tx, &changes).await?;
        Ok(deleted.len() as i64)
    }

    /// Replaces a key by a new one with the same settings. The old key is
    /// deleted now, or keeps working for `grace_seconds` and is then gone.
    pub async fn rotate_key(&self, actor: &Actor, key_id: Uuid, grace_seconds: Option<i64>) -> Result<CreatedKey> {
        let grace = grace_seconds.unwrap_or(0);
        if !(0..=MAX_GRACE_SECONDS).contains(&grace) {
            return Err(Error::validation(
                "grace_period_seconds",
                format!("grace_period_seconds must be between 0 and {MAX_GRACE_SECONDS}"),
            ));
        }
        let mut tx = self.begin().await?;
        let (old, _) = self.key_for(&mut tx, actor, key_id).await?;
        match old.actions.rotate {
            ActionAvailability::Available => {}
            ActionAvailability::Unavailable { reason: Some(UnavailableReason::KeyExpired) } => {
                return Err(Error::conflict("key_id", "an expired key cannot be rotated; create a new key instead"))
            }
            ActionAvailability::Unavailable { reason: Some(UnavailableReason::UnsupportedScope) } => {
                return Err(Error::conflict("key_id", "legacy Mistral Code keys cannot be rotated"))
            }
            ActionAvailability::Unavailable { .. } => {
                return Err(Error::forbidden("only the key's owner or a workspace admin can rotate it"))
            }
        }
        // The replacement is a new key, so the expiry policy in force now
        // applies to it: the old date is kept when the policy allows it, and
        // moved to the latest allowed day otherwise (a never-expiring key
        // gets the policy's maximum from today).
        let org = Self::require_org(&mut tx).await?;
        let ws = Self::workspace_in(&mut tx, old.workspace_id).await?;
        let max_days = policy::effective_max_days(org.key_max_days, ws.key_max_days);
        let (expiration, clamped) = policy::clamp_expiration(old.expiration_date, max_days, self.today())?;
        let spec = KeySpec {
            id: Uuid::new_v4(),
            workspace_id: old.workspace_id,
            owner_id: old.owner_id,
            name: old.name.clone(),
            product: old.product,
            scope: old.connector_scope,
            expiration,
            monthly_budget_micros: old.monthly_budget_micros,
        };
        let secret = self.insert_key(&mut tx, &spec).await?;
        if grace == 0 {
            tx.exec("DELETE FROM api_keys WHERE id = $1", args![key_id]).await?;
        } else {
            tx.exec("UPDATE api_keys SET delete_after = $1 WHERE id = $2", args![ms(self.now() + Duration::seconds(grace)), key_id])
                .await?;
        }
        let key = self.created(&mut tx, actor, spec.id).await?;
        let after = serde_json::json!({ "new_key": &key, "grace_period_seconds": grace, "expiration_clamped": clamped });
        self.audit(&mut tx, Some(actor), "api_key.rotated", "api_key", Some(key_id), Some(&old), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Key(key_id)]).await?;
        Ok(CreatedKey { key, secret, expiration_clamped: clamped })
    }

    /// Looks up a presented secret for the gateway. Malformed secrets are
    /// refused without touching the database. Unknown, deleted and past-grace
    /// keys are `None`.
    pub async fn authenticate_key(&self, secret: &str) -> Result<Option<KeyAuth>> {
        // The gateway's own lookup, with the status the key has now.
        let Some(hash) = self.gateway_key_hash(secret) else { return Ok(None) };
        let Some(key) = self.gateway_key(&hash).await? else { return Ok(None) };
        let org = self.gateway_organization().await?;
        Ok(Some(KeyAuth {
            key_id: key.key_id,
            workspace_id: key.workspace_id,
            owner_id: key.owner_id,
            status: policy::key_status(key.expires_at, org.billing_active, self.now()),
            connector_scope: key.connector_scope,
        }))
    }

    /// Removes keys whose rotation grace period has ended, each with an
    /// `api_key.deleted` audit entry by the system (no actor). From the end
    /// of the grace period such a key is already refused and hidden; this
    /// removes the row, so the entry's time is when the purge ran and
    /// `after.grace_ended_at` says when the key stopped working. The server
    /// runs it periodically, and every `connect` runs it once, so local mode
    /// purges at each start.
    pub async fn purge_rotated_keys(&self) -> Result<u64> {
        let now = ms(self.now());
        let mut tx = self.begin().await?;
        let rows: Vec<KeyRow> = tx
            .all(&format!("{KEY_SELECT} WHERE k.delete_after IS NOT NULL AND k.delete_after <= $1 ORDER BY k.delete_after"), args![now])
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let billing_active = Self::org_in(&mut tx).await?.is_none_or(|o| o.billing_active);
        let mut removed = vec![];
        for row in rows {
            let key = self.key_from_row(row, billing_active, false);
            // Only the purge that actually removes the row records it, should
            // two run at once.
            let n = tx
                .exec("DELETE FROM api_keys WHERE id = $1 AND delete_after IS NOT NULL AND delete_after <= $2", args![key.key_id, now])
                .await?;
            if n == 1 {
                let after = serde_json::json!({ "reason": "rotation_grace_period_ended", "grace_ended_at": key.delete_after });
                self.audit(&mut tx, None, "api_key.deleted", "api_key", Some(key.key_id), Some(&key), Some(&after)).await?;
                removed.push(Change::Key(key.key_id));
            }
        }
        self.commit_announcing(tx, &removed).await?;
        Ok(removed.len() as u64)
    }
}
