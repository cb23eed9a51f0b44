//! Reading the audit log (entries are written by each operation, see `audit`).

use super::*;

impl Service {
    pub async fn list_audit(&self, actor: &Actor, filter: AuditFilter) -> Result<Vec<AuditEvent>> {
        self.query_audit(actor, filter.into()).await
    }

    /// The audit log filtered, ordered and paged by the database.
    pub async fn query_audit(&self, actor: &Actor, q: AuditQuery) -> Result<Vec<AuditEvent>> {
        Self::org_check(actor, Action::ViewAuditLog)?;
        let (limit, offset) = page_bounds(q.limit, q.offset, 100)?;
        let mut cond = vec!["1 = 1".to_owned()];
        let mut a: Vec<Arg> = vec![];
        let any_of = |a: &mut Vec<Arg>, column: &str, values: &[String]| -> String {
            let slots: Vec<String> = values
                .iter()
                .map(|v| {
                    a.push(v.clone().into());
                    format!("${}", a.len())
                })
                .collect();
            format!("{column} IN ({})", slots.join(", "))
        };
        if let Some(v) = q.actor_id {
            a.push(v.into());
            cond.push(format!("actor_id = ${}", a.len()));
        }
        if !q.actions.is_empty() {
            cond.push(any_of(&mut a, "action", &q.actions));
        }
        if let Some(v) = q.target_id {
            a.push(v.into());
            cond.push(format!("target_id = ${}", a.len()));
        }
        if !q.target_types.is_empty() {
            cond.push(any_of(&mut a, "target_type", &q.target_types));
        }
        match q.by_person {
            Some(true) => cond.push("actor_id IS NOT NULL".to_owned()),
            Some(false) => cond.push("actor_id IS NULL".to_owned()),
            None => {}
        }
        if let Some(v) = q.since {
            a.push(ms(v).into());
            cond.push(format!("at >= ${}", a.len()));
        }
        if let Some(v) = q.until {
            a.push(ms(v).into());
            cond.push(format!("at < ${}", a.len()));
        }
        a.push(limit.into());
        a.push(offset.into());
        let sql = format!(
            "SELECT id, at, actor_id, actor_email, action, target_type, target_id, before_json, after_json FROM audit_log \
             WHERE {} ORDER BY seq {} LIMIT ${} OFFSET ${}",
            cond.join(" AND "),
            if q.oldest_first { "ASC" } else { "DESC" },
            a.len() - 1,
            a.len()
        );
        let mut tx = self.begin().await?;
        let rows: Vec<AuditRow> = tx.all(&sql, a).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEvent {
                id: r.id,
                at: from_ms(r.at),
                actor_id: r.actor_id,
                actor_email: r.actor_email,
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                before: r.before_json.and_then(|s| serde_json::from_str(&s).ok()),
                after: r.after_json.and_then(|s| serde_json::from_str(&s).ok()),
            })
            .collect())
    }
}
