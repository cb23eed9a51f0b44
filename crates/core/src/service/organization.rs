//! The organization: its creation (the first run), settings and the role catalogue.

use super::*;

impl Service {
    pub(crate) async fn org_in(tx: &mut Tx) -> Result<Option<Organization>> {
        let row: Option<OrgRow> = tx.opt(&format!("SELECT {ORG_COLS} FROM organizations LIMIT 1"), args![]).await?;
        Ok(row.map(OrgRow::into_model))
    }

    pub(crate) async fn require_org(tx: &mut Tx) -> Result<Organization> {
        Self::org_in(tx).await?.ok_or_else(|| Error::not_found("organization"))
    }

    /// The deployment's organization, or `None` before the first run.
    pub async fn organization(&self) -> Result<Option<Organization>> {
        let mut tx = self.begin().await?;
        Self::org_in(&mut tx).await
    }

    /// First run: creates the organization, its first admin and the default
    /// workspace. Refused once an organization exists.
    pub async fn bootstrap(&self, org_name: &str, admin_email: &str, admin_name: &str) -> Result<(Organization, User)> {
        let org_name = org_name.trim();
        let admin_email = admin_email.trim();
        let admin_name = admin_name.trim();
        check_len("organization_name", org_name, 1, 255)?;
        check_email(admin_email)?;
        check_len("name", admin_name, 0, 255)?;
        let mut tx = self.begin().await?;
        if Self::org_in(&mut tx).await?.is_some() {
            return Err(Error::conflict("organization", "this deployment already has an organization"));
        }
        let now = ms(self.now());
        let org_id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO organizations (id, name, plan, billing_active, monthly_spend_limit_micros, key_max_days, created_at) \
             VALUES ($1, $2, 'experiment', $3, NULL, NULL, $4)",
            args![org_id, org_name, true, now],
        )
        .await?;
        let user_id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO users (id, email, email_folded, name, org_role, created_at) VALUES ($1, $2, $3, $4, 'A', $5)",
            args![user_id, admin_email, admin_email.to_lowercase(), admin_name, now],
        )
        .await?;
        let ws_id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO workspaces (id, name, name_folded, description, icon, is_default, tokens_per_minute, created_at) \
             VALUES ($1, 'Default', 'default', '', '', $2, '{}', $3)",
            args![ws_id, true, now],
        )
        .await?;
        tx.exec(
            "INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, 'A', $3)",
            args![ws_id, user_id, now],
        )
        .await?;
        let org = Self::require_org(&mut tx).await?;
        let user = Self::user_in(&mut tx, user_id).await?;
        let actor = Actor { user_id, email: user.email.clone(), org_role: OrgRole::Admin };
        self.audit(&mut tx, Some(&actor), "organization.created", "organization", Some(org_id), None::<&()>, Some(&org)).await?;
        self.audit(&mut tx, Some(&actor), "user.created", "user", Some(user_id), None::<&()>, Some(&user)).await?;
        tx.commit().await?;
        Ok((org, user))
    }

    pub async fn update_organization(&self, actor: &Actor, patch: OrganizationPatch) -> Result<Organization> {
        let subject = Subject::organization(actor.org_role);
        let touches_settings = patch.name.is_some() || patch.key_max_days.is_some();
        let touches_billing = patch.plan.is_some() || patch.billing_active.is_some() || patch.monthly_spend_limit_micros.is_some();
        // An empty patch changes nothing but is still an organization update:
        // it needs at least the billing right.
        if touches_billing || !touches_settings {
            authorize(subject, Action::ManageBilling).check()?;
        }
        if touches_settings {
            authorize(subject, Action::ManageOrganizationSettings).check()?;
        }
        if let Some(name) = &patch.name {
            check_len("name", name.trim(), 1, 255)?;
        }
        if let Some(limit) = patch.monthly_spend_limit_micros {
            policy::check_spend_limit("monthly_spend_limit", limit, None)?;
        }
        // The organization's policy may go below a workspace's: the platform
        // documents that the organization maximum then becomes the ceiling
        // for new keys. Workspace values are kept as set, so they apply again
        // if the organization loosens its policy later.
        if let Some(days) = patch.key_max_days {
            policy::check_policy_days("key_max_days", days)?;
        }
        let mut tx = self.begin().await?;
        let before = Self::require_org(&mut tx).await?;
        let mut after = before.clone();
        if let Some(name) = patch.name {
            after.name = name.trim().to_owned();
        }
        if let Some(plan) = patch.plan {
            after.plan = plan;
        }
        if let Some(active) = patch.billing_active {
            after.billing_active = active;
        }
        if let Some(limit) = patch.monthly_spend_limit_micros {
            after.monthly_spend_limit_micros = limit;
        }
        if let Some(days) = patch.key_max_days {
            after.key_max_days = days;
        }
        tx.exec(
            "UPDATE organizations SET name = $1, plan = $2, billing_active = $3, monthly_spend_limit_micros = $4, key_max_days = $5 WHERE id = $6",
            args![after.name.clone(), after.plan.as_str(), after.billing_active, after.monthly_spend_limit_micros, after.key_max_days, after.id],
        )
        .await?;
        self.audit(&mut tx, Some(actor), "organization.updated", "organization", Some(after.id), Some(&before), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Organization]).await?;
        Ok(after)
    }

    /// The roles of the organization and of workspaces, with stable ids.
    pub fn roles(&self) -> Roles {
        let role =
            |n, name: &str, description: &str| RoleInfo { uuid: role_uuid(n), name: name.to_owned(), description: description.to_owned() };
        Roles {
            organization_roles: vec![
                role(1, "admin", "Manages the whole organization: users, workspaces, keys, billing and policies."),
                role(2, "member", "Works in the workspaces they belong to and manages their own keys."),
                role(3, "billing_manager", "Sees usage and manages the plan, billing and spending limits."),
            ],
            workspace_roles: vec![
                role(11, "workspace_admin", "Manages the workspace's members, keys and settings."),
                role(12, "workspace_member", "Uses the workspace, creates own keys and views usage."),
            ],
        }
    }
}
