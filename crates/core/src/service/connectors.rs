//! Connectors: creation, visibility, deletion, and which a key reaches.

use super::*;

impl Service {
    pub(crate) async fn connector_in(tx: &mut Tx, id: Uuid) -> Result<Connector> {
        let row: Option<ConnectorRow> =
            tx.opt("SELECT id, name, owner_id, workspace_id, visibility, created_at FROM connectors WHERE id = $1", args![id]).await?;
        row.map(ConnectorRow::into_model).ok_or_else(|| Error::not_found("connector"))
    }

    pub async fn create_connector(&self, actor: &Actor, new: NewConnector) -> Result<Connector> {
        let name = new.name.trim();
        check_len("name", name, 1, 255)?;
        let mut tx = self.begin().await?;
        let action = match new.visibility {
            ConnectorVisibility::Shared => Action::ManageSharedConnectors,
            ConnectorVisibility::Private => Action::ViewConnectors,
        };
        self.workspace_for(&mut tx, actor, new.workspace_id, action).await?;
        let id = Uuid::new_v4();
        let vis = if new.visibility == ConnectorVisibility::Shared { "shared" } else { "private" };
        tx.exec(
            "INSERT INTO connectors (id, name, owner_id, workspace_id, visibility, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, name, actor.user_id, new.workspace_id, vis, ms(self.now())],
        )
        .await?;
        let c = Self::connector_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "connector.created", "connector", Some(id), None::<&()>, Some(&c)).await?;
        self.commit_announcing(tx, &[Change::Connector(id)]).await?;
        Ok(c)
    }

    /// Shared connectors of a workspace and the private ones the actor may see
    /// (their own; all of them for workspace and organization admins).
    pub async fn list_connectors(&self, actor: &Actor, workspace_id: Uuid) -> Result<Vec<Connector>> {
        let mut tx = self.begin().await?;
        let (_, subject) = self.workspace_for(&mut tx, actor, workspace_id, Action::ViewConnectors).await?;
        // Others' private connectors: shown to those who may manage them.
        let sees_private = authorize(Subject { owns_target: false, ..subject }, Action::ManageConnector).is_allowed();
        let rows: Vec<ConnectorRow> = tx
            .all(
                "SELECT id, name, owner_id, workspace_id, visibility, created_at FROM connectors WHERE workspace_id = $1 \
                 AND (visibility = 'shared' OR owner_id = $2 OR $3) ORDER BY name",
                args![workspace_id, actor.user_id, sees_private],
            )
            .await?;
        Ok(rows.into_iter().map(ConnectorRow::into_model).collect())
    }

    pub(super) async fn connector_for(&self, tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<Connector> {
        let c = Self::connector_in(tx, id).await?;
        let subject = Self::subject(tx, actor, c.workspace_id, c.owner_id == actor.user_id).await?;
        // A connector one may not manage is not shown to exist.
        if !authorize(subject, Action::ManageConnector).is_allowed() {
            return Err(Error::not_found("connector"));
        }
        Ok(c)
    }

    pub async fn set_connector_visibility(&self, actor: &Actor, id: Uuid, visibility: ConnectorVisibility) -> Result<Connector> {
        let mut tx = self.begin().await?;
        let before = self.connector_for(&mut tx, actor, id).await?;
        if visibility == ConnectorVisibility::Shared || before.visibility == ConnectorVisibility::Shared {
            let subject = Self::subject(&mut tx, actor, before.workspace_id, false).await?;
            authorize(subject, Action::ManageSharedConnectors).check()?;
        }
        let vis = if visibility == ConnectorVisibility::Shared { "shared" } else { "private" };
        tx.exec("UPDATE connectors SET visibility = $1 WHERE id = $2", args![vis, id]).await?;
        let after = Self::connector_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "connector.visibility_changed", "connector", Some(id), Some(&before), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Connector(id)]).await?;
        Ok(after)
    }

    pub async fn delete_connector(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = self.connector_for(&mut tx, actor, id).await?;
        tx.exec("DELETE FROM connectors WHERE id = $1", args![id]).await?;
        self.audit(&mut tx, Some(actor), "connector.deleted", "connector", Some(id), Some(&before), None::<&()>).await?;
        self.commit_announcing(tx, &[Change::Connector(id)]).await?;
        Ok(())
    }

    /// The connectors requests made with this key may reach.
    pub async fn reachable_connectors(&self, actor: &Actor, key_id: Uuid) -> Result<Vec<Connector>> {
        let mut tx = self.begin().await?;
        let (key, _) = self.key_for(&mut tx, actor, key_id).await?;
        let rows: Vec<ConnectorRow> = tx
            .all(
                "SELECT id, name, owner_id, workspace_id, visibility, created_at FROM connectors WHERE workspace_id = $1 ORDER BY name",
                args![key.workspace_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(ConnectorRow::into_model)
            .filter(|c| can_use(key.connector_scope, key.owner_id, key.workspace_id, c))
            .collect())
    }
}
