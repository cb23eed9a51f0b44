//! Users of the organization: listing, adding, roles, removal.

use super::*;

impl Service {
    pub(super) async fn user_in(tx: &mut Tx, id: Uuid) -> Result<User> {
        let row: Option<UserRow> = tx.opt(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"), args![id]).await?;
        row.map(UserRow::into_model).ok_or_else(|| Error::not_found("user"))
    }

    /// The first organization admin, whom local mode acts as.
    pub async fn first_admin(&self) -> Result<Option<User>> {
        let mut tx = self.begin().await?;
        let row: Option<UserRow> =
            tx.opt(&format!("SELECT {USER_COLS} FROM users WHERE org_role = 'A' ORDER BY created_at, id LIMIT 1"), args![]).await?;
        Ok(row.map(UserRow::into_model))
    }

    /// Builds the actor for an authenticated user id.
    pub async fn actor(&self, user_id: Uuid) -> Result<Actor> {
        let mut tx = self.begin().await?;
        let user = Self::user_in(&mut tx, user_id).await.map_err(|e| {
            if e.code == ErrorCode::NotFound {
                Error::unauthorized("this user no longer exists")
            } else {
                e
            }
        })?;
        Ok(Actor { user_id: user.id, email: user.email, org_role: user.org_role })
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let mut tx = self.begin().await?;
        let row: Option<UserRow> =
            tx.opt(&format!("SELECT {USER_COLS} FROM users WHERE email_folded = $1"), args![email.trim().to_lowercase()]).await?;
        Ok(row.map(UserRow::into_model))
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<User>> {
        Self::org_check(actor, Action::ViewUsers)?;
        let mut tx = self.begin().await?;
        let rows: Vec<UserRow> = tx.all(&format!("SELECT {USER_COLS} FROM users ORDER BY email_folded"), args![]).await?;
        Ok(rows.into_iter().map(UserRow::into_model).collect())
    }

    pub async fn get_user(&self, actor: &Actor, id: Uuid) -> Result<User> {
        let subject = Subject { owns_target: id == actor.user_id, ..Subject::organization(actor.org_role) };
        authorize(subject, Action::ViewUser).check()?;
        let mut tx = self.begin().await?;
        Self::user_in(&mut tx, id).await
    }

    pub(crate) fn org_check(actor: &Actor, action: Action) -> Result<()> {
        authorize(Subject::organization(actor.org_role), action).check()
    }

    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User> {
        Self::org_check(actor, Action::ManageUsers)?;
        let mut tx = self.begin().await?;
        let user = self.insert_user_in(&mut tx, actor, &new).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Adds a user inside `tx` (the caller checked the actor may): a
    /// validation error or an email already taken is returned before
    /// anything is written, so `tx` stays usable for the rest of a batch.
    pub(crate) async fn insert_user_in(&self, tx: &mut Tx, actor: &Actor, new: &NewUser) -> Result<User> {
        let email = new.email.trim();
        check_email(email)?;
        check_len("name", new.name.trim(), 0, 255)?;
        let taken: Option<(Uuid,)> = tx.opt("SELECT id FROM users WHERE email_folded = $1", args![email.to_lowercase()]).await?;
        if taken.is_some() {
            return Err(Error::conflict("email", "a user with this email already exists"));
        }
        let id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO users (id, email, email_folded, name, org_role, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, email, email.to_lowercase(), new.name.trim(), new.org_role.code(), ms(self.now())],
        )
        .await
        .map_err(|e| {
            if e.code == ErrorCode::Conflict {
                Error::conflict("email", "a user with this email already exists")
            } else {
                e
            }
        })?;
        let user = Self::user_in(tx, id).await?;
        self.audit(tx, Some(actor), "user.created", "user", Some(id), None::<&()>, Some(&user)).await?;
        Ok(user)
    }

    pub(super) async fn admin_count(tx: &mut Tx) -> Result<i64> {
        tx.int("SELECT COUNT(*) FROM users WHERE org_role = 'A'", args![]).await
    }

    pub async fn update_user_role(&self, actor: &Actor, id: Uuid, role: OrgRole) -> Result<User> {
        Self::org_check(actor, Action::ManageUsers)?;
        let mut tx = self.begin().await?;
        let before = Self::user_in(&mut tx, id).await?;
        if before.org_role == OrgRole::Admin && role != OrgRole::Admin && Self::admin_count(&mut tx).await? <= 1 {
            return Err(Error::validation("org_role", "the organization must keep at least one admin"));
        }
        tx.exec("UPDATE users SET org_role = $1 WHERE id = $2", args![role.code(), id]).await?;
        let after = Self::user_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "user.role_changed", "user", Some(id), Some(&before), Some(&after)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a user from the organization; their keys stop working.
    pub async fn remove_user(&self, actor: &Actor, id: Uuid) -> Result<()> {
        Self::org_check(actor, Action::ManageUsers)?;
        if id == actor.user_id {
            return Err(Error::validation("user_id", "you cannot remove yourself"));
        }
        let mut tx = self.begin().await?;
        let before = Self::user_in(&mut tx, id).await?;
        if before.org_role == OrgRole::Admin && Self::admin_count(&mut tx).await? <= 1 {
            return Err(Error::validation("user_id", "the organization must keep at least one admin"));
        }
        // The user's keys go with them, each with its own audit entry (not
        // silently by the foreign key's cascade).
        let rows: Vec<KeyRow> = tx.all(&format!("{KEY_SELECT} WHERE k.owner_id = $1 ORDER BY k.created_at"), args![id]).await?;
        let billing_active = Self::org_in(&mut tx).await?.is_none_or(|o| o.billing_active);
        for row in rows {
            let key = self.key_from_row(row, billing_active, false);
            tx.exec("DELETE FROM api_keys WHERE id = $1", args![key.key_id]).await?;
            let after = serde_json::json!({ "reason": "owner_removed", "owner_id": id });
            self.audit(&mut tx, Some(actor), "api_key.deleted", "api_key", Some(key.key_id), Some(&key), Some(&after)).await?;
        }
        tx.exec("DELETE FROM users WHERE id = $1", args![id]).await?;
        self.audit(&mut tx, Some(actor), "user.removed", "user", Some(id), Some(&before), None::<&()>).await?;
        self.commit_announcing(tx, &[Change::AllKeys]).await?;
        Ok(())
    }
}
