//! The SQL of one page of the key list: which keys the actor sees (as
//! `authz::key_scope` decides), the filters, the order and the capped count.
//! A pure function of its inputs, so its shape is tested without a database.

use chrono::{DateTime, Duration, Utc};

use super::{ms, COUNT_CAP};
use crate::authz::{self, KeyScope};
use crate::error::{Error, Result};
use crate::model::{KeyFilter, KeySortColumn, KeyStatus, WorkspaceRole};
use crate::service::Actor;
use crate::store::Arg;
use crate::text::{fold_for_search, like_escape};

/// Which database the statements are for: their indexes differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

/// The two statements of a page, with their arguments.
#[derive(Debug)]
pub struct KeyPageQuery {
    /// Counts matches up to `COUNT_CAP + 1`.
    pub count_sql: String,
    pub count_args: Vec<Arg>,
    /// The page's `KeyRow`s.
    pub page_sql: String,
    pub page_args: Vec<Arg>,
}

/// Appends `v` to the arguments and names its placeholder.
fn bind(args: &mut Vec<Arg>, v: Arg) -> String {
    args.push(v);
    format!("${}", args.len())
}

pub fn key_page(
    filter: &KeyFilter,
    actor: &Actor,
    now: DateTime<Utc>,
    store: Store,
    billing_active: bool,
    limit: i64,
    offset: i64,
) -> Result<KeyPageQuery> {
    let mut cond: Vec<String> = vec![];
    let mut a: Vec<Arg> = vec![];
    // The rows searched, and their order: newest first. On SQLite the
    // integer rowid follows creation order and every index carries it, so
    // that order needs no sort step.
    let mut from = "api_keys k";
    let mut order = match store {
        Store::Postgres => "k.created_at DESC, k.id DESC",
        Store::Sqlite => "k.seq DESC",
    };
    let n = bind(&mut a, ms(now).into());
    cond.push(format!("(k.delete_after IS NULL OR k.delete_after > {n})"));
    // Which keys the actor sees, as `key_scope` decides it: outside any
    // workspace (every key, for organization admins), then by the role
    // held in each workspace.
    let outside = authz::key_scope(actor.org_role, None);
    if outside != KeyScope::All {
        let u = bind(&mut a, actor.user_id.into());
        let mut visible = vec![];
        if outside == KeyScope::Own {
            visible.push(format!("k.owner_id = {u}"));
        }
        let (mut all_roles, mut own_roles) = (vec![], vec![]);
        for role in [WorkspaceRole::Admin, WorkspaceRole::Member] {
            match authz::key_scope(actor.org_role, Some(role)) {
                KeyScope::All => all_roles.push(bind(&mut a, role.code().into())),
                KeyScope::Own => own_roles.push(bind(&mut a, role.code().into())),
                KeyScope::Nothing => {}
            }
        }
        let in_workspaces_as = |roles: &[String]| {
            format!("k.workspace_id IN (SELECT workspace_id FROM workspace_members WHERE user_id = {u} AND role IN ({}))", roles.join(", "))
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
        let x = bind(&mut a, ws.into());
        cond.push(format!("k.workspace_id = {x}"));
    }
    if let Some(owner) = filter.owner_id {
        let x = bind(&mut a, owner.into());
        cond.push(format!("k.owner_id = {x}"));
    }
    if let Some(product) = filter.product {
        let x = bind(&mut a, product.as_str().into());
        cond.push(format!("k.product = {x}"));
    }
    if let Some(term) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let folded = fold_for_search(term);
        let last4 = (folded.chars().count() == 4).then(|| bind(&mut a, folded.clone().into()));
        let by_name = if folded.chars().count() >= 3 && store == Store::Sqlite {
            // SQLite: the trigram index answers substring queries of 3+ characters.
            let phrase = bind(&mut a, format!("\"{}\"", folded.replace('"', "\"\"")).into());
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
            let like = bind(&mut a, format!("%{}%", like_escape(&folded)).into());
            match &last4 {
                Some(l4) => format!("(k.name_folded LIKE {like} ESCAPE '\\' OR k.last4_folded = {l4})"),
                None => format!("k.name_folded LIKE {like} ESCAPE '\\'"),
            }
        };
        cond.push(by_name);
    }
    if let Some(status) = filter.status {
        let n = bind(&mut a, ms(now).into());
        match status {
            KeyStatus::Expired => cond.push(format!("(k.expires_at IS NOT NULL AND k.expires_at <= {n})")),
            KeyStatus::Active | KeyStatus::Inactive => {
                cond.push(format!("(k.expires_at IS NULL OR k.expires_at > {n})"));
                if billing_active != (status == KeyStatus::Active) {
                    cond.push("1 = 0".into());
                }
            }
        }
    }
    if let Some(days) = filter.unused_for_days {
        if days < 0 {
            return Err(Error::validation("unused_for_days", "unused_for_days cannot be negative"));
        }
        let cutoff = bind(&mut a, ms(now - Duration::days(i64::from(days))).into());
        cond.push(format!("COALESCE(k.last_used_at, k.created_at) < {cutoff}"));
    }
    let where_sql = cond.join(" AND ");
    // Counting stops past COUNT_CAP, so a broad filter over a million keys
    // costs no more than a narrow one.
    let mut count_args = a.clone();
    let cap = bind(&mut count_args, (COUNT_CAP + 1).into());
    let count_sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {where_sql} LIMIT {cap}) AS matching");
    // The sort's own argument comes after the count's, which does not use it.
    let mut sorted_by = String::new();
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
                let n = bind(&mut a, ms(now).into());
                format!("CASE WHEN k.expires_at IS NOT NULL AND k.expires_at <= {n} THEN 1 ELSE 0 END")
            }
        };
        let dir = if sort.descending { "DESC" } else { "ASC" };
        // A chosen column first; newest first between equal values.
        sorted_by = format!("{expr} {dir}, ");
    }
    let l = bind(&mut a, limit.into());
    let o = bind(&mut a, offset.into());
    let page_sql = format!(
        concat!(key_columns!(), " FROM {} ", key_joins!(), " WHERE {} ORDER BY {}{} LIMIT {} OFFSET {}"),
        from, where_sql, sorted_by, order, l, o
    );
    Ok(KeyPageQuery { count_sql, count_args, page_sql, page_args: a })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::model::{KeySort, OrgRole};

    fn actor(role: OrgRole) -> Actor {
        Actor { user_id: Uuid::from_u128(7), email: "a@example.com".into(), org_role: role }
    }

    fn page(filter: KeyFilter, role: OrgRole, store: Store, billing: bool) -> KeyPageQuery {
        let now = Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap();
        key_page(&filter, &actor(role), now, store, billing, 100, 0).unwrap()
    }

    /// Every `$n` a statement names has its argument, and no argument is left over.
    fn placeholders_match(sql: &str, args: &[Arg]) {
        let highest = (1..=args.len()).rev().find(|n| sql.contains(&format!("${n}"))).unwrap_or(0);
        assert_eq!(highest, args.len(), "{sql}");
        assert!(!sql.contains(&format!("${}", args.len() + 1)), "{sql}");
    }

    #[test]
    fn an_organization_admin_sees_every_key_and_a_member_only_by_their_workspace_roles() {
        let admin = page(KeyFilter::default(), OrgRole::Admin, Store::Sqlite, true);
        assert!(!admin.page_sql.contains("workspace_members"), "{}", admin.page_sql);
        let member = page(KeyFilter::default(), OrgRole::Member, Store::Sqlite, true);
        assert!(member.page_sql.contains("SELECT workspace_id FROM workspace_members WHERE user_id = $2"), "{}", member.page_sql);
        assert!(member.page_sql.contains("k.owner_id = $2"), "a plain workspace member sees their own keys: {}", member.page_sql);
        placeholders_match(&member.page_sql, &member.page_args);
        placeholders_match(&member.count_sql, &member.count_args);
    }

    #[test]
    fn a_four_character_search_also_matches_the_last_four_of_the_key() {
        let f = KeyFilter { search: Some("0A1F".into()), ..Default::default() };
        let sqlite = page(f.clone(), OrgRole::Admin, Store::Sqlite, true);
        assert!(sqlite.page_sql.contains("last4_folded") && sqlite.page_sql.contains("MATCH"), "{}", sqlite.page_sql);
        let pg = page(f, OrgRole::Admin, Store::Postgres, true);
        assert!(pg.page_sql.contains("LIKE") && pg.page_sql.contains("last4_folded"), "{}", pg.page_sql);
        placeholders_match(&pg.page_sql, &pg.page_args);
    }

    #[test]
    fn a_common_word_on_sqlite_walks_the_name_index_newest_first() {
        let f = KeyFilter { search: Some("staging".into()), ..Default::default() };
        let q = page(f, OrgRole::Admin, Store::Sqlite, true);
        assert!(q.page_sql.contains("FROM api_keys_name_search f JOIN api_keys k"), "{}", q.page_sql);
        assert!(q.page_sql.contains("ORDER BY f.rowid DESC"), "{}", q.page_sql);
    }

    #[test]
    fn active_keys_while_billing_is_off_match_nothing() {
        let f = KeyFilter { status: Some(KeyStatus::Active), ..Default::default() };
        assert!(page(f.clone(), OrgRole::Admin, Store::Sqlite, false).page_sql.contains("1 = 0"));
        assert!(!page(f, OrgRole::Admin, Store::Sqlite, true).page_sql.contains("1 = 0"));
    }

    #[test]
    fn a_chosen_sort_comes_first_and_newest_first_breaks_ties() {
        let f = KeyFilter { sort: Some(KeySort { column: KeySortColumn::Status, descending: true }), ..Default::default() };
        let q = page(f, OrgRole::Admin, Store::Postgres, true);
        assert!(q.page_sql.contains("ORDER BY CASE WHEN k.expires_at IS NOT NULL"), "{}", q.page_sql);
        assert!(q.page_sql.contains("DESC, k.created_at DESC, k.id DESC LIMIT"), "{}", q.page_sql);
        placeholders_match(&q.page_sql, &q.page_args);
        // The count never sorts.
        assert!(!q.count_sql.contains("ORDER BY"));
    }

    #[test]
    fn a_negative_idle_filter_is_refused_naming_the_field() {
        let f = KeyFilter { unused_for_days: Some(-1), ..Default::default() };
        let now = Utc::now();
        let err = key_page(&f, &actor(OrgRole::Admin), now, Store::Sqlite, true, 10, 0).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("unused_for_days"));
    }
}
