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
        let now = self.now();
        let mut tx = self.begin().await?;
        let org = Self::require_org(&mut tx).await?;
        let mut cond: Vec<String> = vec![];
        let mut a: Vec<Arg> = vec![];
        // The rows searched, and their order: newest first. On SQLite the
        // integer rowid follows creation order and every index carries it, so
        // that order needs no sort step.
        let mut from = "api_keys k";
        let mut order = if self.inner.db.is_postgres() { "k.created_at DESC, k.id DESC" } else { "k.seq DESC" };
        let mut sorted_by: Option<String> = None;
        let p = |a: &mut Vec<Arg>, v: Arg| {
            a.push(v);
            format!("${}", a.len())
        };
        let n = p(&mut a, ms(now).into());
        cond.push(format!("(k.delete_after IS NULL OR k.delete_after > {n})"));
        // Which keys the actor sees, as `key_scope` decides it: outside any
        // workspace (every key, for organization admins), then by the role
        // held in each workspace.
        let outside = authz::key_scope(actor.org_role, None);
        if outside != KeyScope::All {
            let u = p(&mut a, actor.user_id.into());
            let mut visible = vec![];
            if outside == KeyScope::Own {
                visible.push(format!("k.owner_id = {u}"));
            }
            let (mut all_roles, mut own_roles) = (vec![], vec![]);
            for role in [WorkspaceRole::Admin, WorkspaceRole::Member] {
                match authz::key_scope(actor.org_role, Some(role)) {
                    KeyScope::All => all_roles.push(p(&mut a, role.code().into())),
                    KeyScope::Own => own_roles.push(p(&mut a, role.code().into())),
                    KeyScope::Nothing => {}
                }
            }
            let in_workspaces_as = |roles: &[String]| {
                format!(
                    "k.workspace_id IN (SELECT workspace_id FROM workspace_members WHERE user_id = {u} AND role IN ({}))",
                    roles.join(", ")
                )
            };
            if !all_roles.is_empty() {
                visible.push(in_workspaces_as(&all_roles));
            }
            if !own_roles.is_empty() {
                visible.push(format!("(k.owner_id = {u} AND {})", in_workspaces_as(&own_roles)));
            }
            cond.push(if visible.is_empty() { "1 = 0".to_owned() } else { format!("({})", visible.join(" OR ")) });
        }
        if let Some(ws) = filter.workspace_id {
            let x = p(&mut a, ws.into());
            cond.push(format!("k.workspace_id = {x}"));
        }
        if let Some(owner) = filter.owner_id {
            let x = p(&mut a, owner.into());
            cond.push(format!("k.owner_id = {x}"));
        }
        if let Some(product) = filter.product {
            let x = p(&mut a, product.as_str().into());
            cond.push(format!("k.product = {x}"));
        }
        if let Some(term) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let folded = fold_for_search(term);
            let last4 = (folded.chars().count() == 4).then(|| p(&mut a, folded.clone().into()));
            let by_name = if folded.chars().count() >= 3 && !self.inner.db.is_postgres() {
                // SQLite: the trigram index answers substring queries of 3+ characters.
                let phrase = p(&mut a, format!("\"{}\"", folded.replace('"', "\"\"")).into());
                match &last4 {
                    Some(l4) => format!(
                        "k.seq IN (SELECT rowid FROM api_keys_name_search WHERE api_keys_name_search MATCH {phrase} \
                         UNION SELECT seq FROM api_keys WHERE last4_folded = {l4})"
                    ),
                    None => {
                        // Walk the matches newest first and stop at the page's
                        // end, instead of collecting every match of a common word.
                        from = "api_keys_name_search f JOIN api_keys k ON k.seq = f.rowid";
                        order = "f.rowid DESC";
                        format!("f.api_keys_name_search MATCH {phrase}")
                    }
                }
            } else {
                // PostgreSQL's trigram GIN index serves LIKE; short terms scan.
                let like = p(&mut a, format!("%{}%", like_escape(&folded)).into());
                match &last4 {
                    Some(l4) => format!("(k.name_folded LIKE {like} ESCAPE '\\' OR k.last4_folded = {l4})"),
                    None => format!("k.name_folded LIKE {like} ESCAPE '\\'"),
                }
            };
            cond.push(by_name);
        }
        if let Some(status) = filter.status {
            let n = p(&mut a, ms(now).into());
            match status {
                KeyStatus::Expired => cond.push(format!("(k.expires_at IS NOT NULL AND k.expires_at <= {n})")),
                KeyStatus::Active | KeyStatus::Inactive => {
                    cond.push(format!("(k.expires_at IS NULL OR k.expires_at > {n})"));
                    let wanted_billing = status == KeyStatus::Active;
                    if org.billing_active != wanted_billing {
                        cond.push("1 = 0".into());
                    }
                }
            }
        }
        if let Some(days) = filter.unused_for_days {
            if days < 0 {
                return Err(Error::validation("unused_for_days", "unused_for_days cannot be negative"));
            }
            let cutoff = p(&mut a, ms(now - Duration::days(i64::from(days))).into());
            cond.push(format!("COALESCE(k.last_used_at, k.created_at) < {cutoff}"));
        }
        let where_sql = cond.join(" AND ");
        // Counting stops past COUNT_CAP, so a broad filter over a million
        // keys costs no more than a narrow one.
        let mut count_args = a.clone();
        let cap = p(&mut count_args, (COUNT_CAP + 1).into());
        let counted =
            tx.int(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {where_sql} LIMIT {cap}) AS matching"), count_args).await?;
        // The sort's own argument comes after the count's, which does not use it.
        if let Some(sort) = filter.sort {
            let expr = match sort.column {
                KeySortColumn::Name => "k.name_folded".to_owned(),
                KeySortColumn::HiddenKey => "k.hidden_key".to_owned(),
                KeySortColumn::Product => "k.product".to_owned(),
                KeySortColumn::Workspace => "w.name_folded".to_owned(),
                KeySortColumn::Owner => "u.email_folded".to_owned(),
                KeySortColumn::Created => "k.created_at".to_owned(),
                // Never used sorts as the oldest use, never expiring as the latest date.
                KeySortColumn::LastUsed => "COALESCE(k.last_used_at, 0)".to_owned(),
                KeySortColumn::Expires => format!("COALESCE(k.expires_at, {})", i64::MAX),
                KeySortColumn::Status => {
                    let n = p(&mut a, ms(now).into());
                    format!("CASE WHEN k.expires_at IS NOT NULL AND k.expires_at <= {n} THEN 1 ELSE 0 END")
                }
            };
            let dir = if sort.descending { "DESC" } else { "ASC" };
            sorted_by = Some(format!("{expr} {dir}, "));
        }
        let l = p(&mut a, limit.into());
        let o = p(&mut a, offset.into());
        // A chosen column first; newest first between equal values.
        let order = format!("{}{order}", sorted_by.unwrap_or_default());
        let rows: Vec<KeyRow> = tx
            .all(
                &format!(
                    concat!(key_columns!(), " FROM {} ", key_joins!(), " WHERE {} ORDER BY {} LIMIT {} OFFSET {}"),
                    from, where_sql, order, l, o
                ),
                a,
            )
            .await?;
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
