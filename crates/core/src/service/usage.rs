//! Usage reports: a workspace's month, its days, the organization's month.

use super::*;

impl Service {
    /// A workspace's spend in the calendar month (UTC) containing `at`, with
    /// the limit in force.
    pub async fn monthly_spend(&self, actor: &Actor, workspace_id: Uuid, at: DateTime<Utc>) -> Result<MonthlySpend> {
        let mut tx = self.begin().await?;
        let ws = self.get_workspace_in(&mut tx, actor, workspace_id).await?;
        self.spend_in(&mut tx, &ws, at).await
    }

    /// The same, for the gateway (no actor: the key was authenticated).
    pub async fn workspace_spend(&self, workspace_id: Uuid, at: DateTime<Utc>) -> Result<MonthlySpend> {
        let mut tx = self.begin().await?;
        let ws = Self::workspace_in(&mut tx, workspace_id).await?;
        self.spend_in(&mut tx, &ws, at).await
    }

    pub(super) async fn get_workspace_in(&self, tx: &mut Tx, actor: &Actor, workspace_id: Uuid) -> Result<Workspace> {
        let subject = Self::subject(tx, actor, workspace_id, false).await?;
        let ws = Self::workspace_in(tx, workspace_id).await?;
        if !authorize(subject, Action::ViewUsage).is_allowed() {
            return Err(Error::not_found("workspace"));
        }
        Ok(ws)
    }

    pub(super) async fn spend_in(&self, tx: &mut Tx, ws: &Workspace, at: DateTime<Utc>) -> Result<MonthlySpend> {
        let org = Self::require_org(tx).await?;
        let (start, end) = policy::month_bounds(at);
        let (spent, requests, input, output): (i64, i64, i64, i64) = tx
            .one(
                "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT), COUNT(*), \
                 CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) \
                 FROM usage_records WHERE workspace_id = $1 AND at >= $2 AND at < $3",
                args![ws.id, ms(start), ms(end)],
            )
            .await?;
        Ok(MonthlySpend {
            workspace_id: ws.id,
            year: chrono::Datelike::year(&start),
            month: chrono::Datelike::month(&start),
            spent_micros: spent,
            limit_micros: policy::effective_spend_limit(org.monthly_spend_limit_micros, ws.monthly_spend_limit_micros),
            requests,
            input_tokens: input,
            output_tokens: output,
        })
    }

    /// The organization's spend in the calendar month (UTC) containing
    /// `at`: every usage record of the month, of workspaces deleted since
    /// too — the spend ledger's sum, which the organization's limit is
    /// checked against, read in one row however many workspaces there are.
    pub async fn organization_spend(&self, actor: &Actor, at: DateTime<Utc>) -> Result<i64> {
        authorize(Subject::organization(actor.org_role), Action::ViewUsage).check()?;
        let org = self.gateway_organization().await?;
        self.ledger_committed(crate::ledger::SpendScope::Organization(org.id), crate::ledger::Period::containing(at)).await
    }

    /// Cost per day (UTC) of a workspace in the month containing `at`.
    pub async fn daily_costs(&self, actor: &Actor, workspace_id: Uuid, at: DateTime<Utc>) -> Result<Vec<DailyCost>> {
        let mut tx = self.begin().await?;
        self.get_workspace_in(&mut tx, actor, workspace_id).await?;
        let (start, end) = policy::month_bounds(at);
        let day_ms: i64 = 86_400_000;
        let rows: Vec<(i64, i64)> = tx
            .all(
                "SELECT CAST((at - $2) / $4 AS BIGINT) AS day_index, CAST(SUM(cost_micros) AS BIGINT) FROM usage_records \
                 WHERE workspace_id = $1 AND at >= $2 AND at < $3 GROUP BY day_index ORDER BY day_index",
                args![workspace_id, ms(start), ms(end), day_ms],
            )
            .await?;
        Ok(rows.into_iter().map(|(d, c)| DailyCost { day: (start + Duration::days(d)).date_naive(), cost_micros: c }).collect())
    }
}
