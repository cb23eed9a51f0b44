//! API keys over the Admin API: the key list (through the cache), creation
//! and rotation (whose answer carries the secret once), renames, budgets and
//! deletion, one or many at a time (all or none). An organization member's
//! own keys go through the self-service endpoints (`/v1/me/api-keys`), the
//! organization's through `/v1/admin/api-keys`.

use keydesk_api::{
    AdminCreateApiKeyIn, ApiKeyOut, ApiKeysOut, ApiKeysQuery, CreateOwnKeyIn, DeleteApiKeysIn,
    DeleteApiKeysOut, KeyPatchIn, MyKeysQuery, RotateKeyIn,
};
use keydesk_core::model::OrgRole;

use super::*;

impl RemoteBackend {
    /// The signed-in user when they are an organization member acting on
    /// keys of their own (`owner` absent or theirs): the self-service
    /// endpoints are theirs.
    async fn member_acting_for(&self, owner: Option<Uuid>) -> AppResult<Option<Uuid>> {
        let me = self.current_user().await?;
        let own = owner.is_none_or(|id| id == me.id);
        Ok((me.org_role == OrgRole::Member && own).then_some(me.id))
    }

    pub(super) async fn fetch_keys(&self, filter: &KeyFilter) -> AppResult<KeyPage> {
        let request = match self.member_acting_for(filter.owner_id).await? {
            Some(_) => self
                .request(Method::GET, "/v1/me/api-keys")
                .query(&MyKeysQuery::from(filter)),
            None => self
                .request(Method::GET, "/v1/admin/api-keys")
                .query(&ApiKeysQuery::from(filter)),
        };
        let body: ApiKeysOut = decode(self.execute(request).await?).await?;
        Ok(KeyPage {
            keys: read_all(body.keys)?,
            total: body.total,
            total_exact: body.total_exact,
        })
    }

    /// A created or rotated key: its secret, taken out of the answer at once,
    /// and its public form.
    async fn issued(&self, response: Response) -> AppResult<IssuedKey> {
        let mut answer: ApiKeyOut = decode(response).await?;
        let secret = answer
            .key
            .take()
            .ok_or_else(|| AppError::internal("the server did not return the new key's secret"))?;
        let clamped = answer.expiration_clamped.unwrap_or(false);
        Ok(IssuedKey {
            key: answer.try_into()?,
            secret: Sensitive::new(secret),
            expiration_clamped: clamped,
        })
    }

    async fn patch_key(&self, key_id: Uuid, patch: KeyPatchIn) -> AppResult<ApiKey> {
        let key: ApiKeyOut = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/api-keys/{key_id}"),
                body(&patch)?,
            )
            .await?;
        Ok(key.try_into()?)
    }

    pub(super) async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage> {
        let key = serde_json::to_string(&filter)
            .map_err(|e| AppError::internal(format!("cannot encode a key filter: {e}")))?;
        self.read_through("keys", &key, |b| async move { b.fetch_keys(&filter).await })
            .await
    }

    pub(super) async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey> {
        // A member's own key; one with a budget goes to the Admin API, whose
        // answer says who may set budgets.
        if input.monthly_budget_micros.is_none()
            && self.member_acting_for(input.user_id).await?.is_some()
        {
            let request = CreateOwnKeyIn {
                workspace_uuid: input.workspace_id,
                name: input.name,
                expiration: input.expiration,
                product: input.product.map(Into::into),
                connector_scope: input.connector_scope.map(Into::into),
            };
            let response = self
                .send(Method::POST, "/v1/me/api-keys", body(&request)?)
                .await?;
            return self.issued(response).await;
        }
        let user_id = match input.user_id {
            Some(id) => id,
            None => self.current_user().await?.id,
        };
        let request = AdminCreateApiKeyIn {
            name: input.name,
            expiration: input.expiration,
            workspace_uuid: input.workspace_id,
            user_id,
            product: input.product.map(Into::into),
            connector_scope: input.connector_scope.map(Into::into),
            monthly_budget: input.monthly_budget_micros.map(keydesk_api::usd),
        };
        let response = self
            .send(Method::POST, "/v1/admin/api-keys", body(&request)?)
            .await?;
        self.issued(response).await
    }

    pub(super) async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey> {
        self.patch_key(
            key_id,
            KeyPatchIn {
                name: Some(name),
                ..Default::default()
            },
        )
        .await
    }

    pub(super) async fn set_key_budget(
        &self,
        key_id: Uuid,
        budget_micros: Option<i64>,
    ) -> AppResult<ApiKey> {
        self.patch_key(
            key_id,
            KeyPatchIn {
                monthly_budget: Some(budget_micros.map(keydesk_api::usd)),
                ..Default::default()
            },
        )
        .await
    }

    pub(super) async fn delete_key(&self, key_id: Uuid) -> AppResult<()> {
        let path = match self.member_acting_for(None).await? {
            Some(_) => format!("/v1/me/api-keys/{key_id}"),
            None => format!("/v1/admin/api-keys/{key_id}"),
        };
        self.send(Method::DELETE, &path, None).await?;
        Ok(())
    }

    pub(super) async fn rotate_key(
        &self,
        key_id: Uuid,
        grace_seconds: Option<i64>,
    ) -> AppResult<IssuedKey> {
        let request = RotateKeyIn {
            grace_period_seconds: grace_seconds,
        };
        let response = self
            .send(
                Method::POST,
                &format!("/v1/admin/api-keys/{key_id}/rotate"),
                body(&request)?,
            )
            .await?;
        self.issued(response).await
    }

    /// One call: the server deletes all of them or none.
    pub(super) async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64> {
        let answer: DeleteApiKeysOut = self
            .call(
                Method::POST,
                "/v1/admin/api-keys-delete",
                body(&DeleteApiKeysIn { key_ids })?,
            )
            .await?;
        Ok(answer.deleted_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keydesk_core::model::KeyStatus;

    #[test]
    fn key_filters_become_the_servers_query_parameters_and_absent_ones_are_left_out() {
        let ws = Uuid::new_v4();
        let filter = KeyFilter {
            workspace_id: Some(ws),
            search: Some("ci".into()),
            status: Some(KeyStatus::Expired),
            limit: Some(10),
            ..Default::default()
        };
        let request = reqwest::Client::new()
            .get("http://127.0.0.1:9/v1/admin/api-keys")
            .query(&ApiKeysQuery::from(&filter))
            .build()
            .unwrap();
        assert_eq!(
            request.url().query(),
            Some(format!("limit=10&name=ci&workspace_id={ws}&status=expired").as_str())
        );
    }
}
