//! Role names and codes on the wire: the platform's names for core's roles,
//! and reading a role from whichever of a request's role fields is present.

use keydesk_core::model::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

/// Organization role names of the Admin API.
pub fn org_role_name(role: OrgRole) -> &'static str {
    match role {
        OrgRole::Admin => "organization_admin",
        OrgRole::Member => "member",
        OrgRole::BillingManager => "billing_manager",
    }
}

/// The four ways a request may name roles: `role_names`, `roles` (codes or
/// role uuids), `role_name`, `role`. The first one present wins.
pub struct RoleFields<'a> {
    pub role_names: &'a Option<Vec<String>>,
    pub roles: &'a Option<Vec<String>>,
    pub role_name: &'a Option<String>,
    pub role: &'a Option<String>,
}

/// The role fields of a request body that has all four.
#[macro_export]
macro_rules! role_fields {
    ($body:expr) => {
        $crate::RoleFields { role_names: &$body.role_names, roles: &$body.roles, role_name: &$body.role_name, role: &$body.role }
    };
}

/// Reads one role from whichever role field is present. Several roles give
/// the union of their rights, which in Keydesk is the highest of them
/// (`rank`). `from_code` reads the single-letter codes; role uuids are those
/// listed by `GET /v1/admin/roles`.
fn role_from<R: Copy>(
    fields: RoleFields<'_>,
    role_uuids: &[RoleInfo],
    by_name: impl Fn(&str) -> Option<R>,
    from_code: impl Fn(&str) -> Option<R>,
    rank: impl Fn(R) -> u8,
    unknown: impl Fn(&str) -> String,
) -> Result<Option<R>, FieldError> {
    let by_value = |v: &str| {
        from_code(v).or_else(|| {
            let id = Uuid::parse_str(v).ok()?;
            role_uuids.iter().find(|r| r.uuid == id).and_then(|r| by_name(&r.name))
        })
    };
    fn listed(v: &Option<Vec<String>>) -> Option<Vec<&str>> {
        v.as_ref().filter(|v| !v.is_empty()).map(|v| v.iter().map(String::as_str).collect())
    }
    let (field, values, by_code): (&str, Vec<&str>, bool) = if let Some(v) = listed(fields.role_names) {
        ("role_names", v, false)
    } else if let Some(v) = listed(fields.roles) {
        ("roles", v, true)
    } else if let Some(v) = fields.role_name {
        ("role_name", vec![v.as_str()], false)
    } else if let Some(v) = fields.role {
        ("role", vec![v.as_str()], true)
    } else {
        return Ok(None);
    };
    let mut best: Option<R> = None;
    for v in values {
        let r = if by_code { by_value(v) } else { by_name(v) };
        let r = r.ok_or_else(|| FieldError::new(field, unknown(v)))?;
        if best.is_none_or(|b| rank(r) > rank(b)) {
            best = Some(r);
        }
    }
    Ok(best)
}

/// Reads the organization role of a request.
pub fn org_role_from(fields: RoleFields<'_>, role_uuids: &[RoleInfo]) -> Result<Option<OrgRole>, FieldError> {
    role_from(
        fields,
        role_uuids,
        |n| match n {
            "organization_admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            "billing_manager" => Some(OrgRole::BillingManager),
            _ => None,
        },
        OrgRole::from_code,
        |r| match r {
            OrgRole::Member => 0,
            OrgRole::BillingManager => 1,
            OrgRole::Admin => 2,
        },
        |v| format!("unknown organization role '{v}'"),
    )
}

/// Reads the workspace role of a request. The platform's product-access
/// roles (`user`, `dev`, `contributor`...) all mean "member" in Keydesk;
/// roles with no Keydesk meaning (billing, observability) are refused.
pub fn workspace_role_from(fields: RoleFields<'_>, role_uuids: &[RoleInfo]) -> Result<Option<WorkspaceRole>, FieldError> {
    role_from(
        fields,
        role_uuids,
        |n| match n {
            "workspace_admin" => Some(WorkspaceRole::Admin),
            "workspace_contributor" | "contributor" | "user" | "dev" | "dev_contributor" | "mistral_code_user" | "cloud_user" => {
                Some(WorkspaceRole::Member)
            }
            _ => None,
        },
        WorkspaceRole::from_code,
        |r| u8::from(r == WorkspaceRole::Admin),
        |v| format!("workspace role '{v}' is not supported by Keydesk"),
    )
}

/// Core's roles with the Admin API's names.
pub fn roles_with_api_names(roles: Roles) -> (Vec<RoleInfo>, Vec<RoleInfo>) {
    let rename = |mut r: RoleInfo, name: &str| {
        r.name = name.to_owned();
        r
    };
    let org = roles
        .organization_roles
        .into_iter()
        .map(|r| {
            let name = match r.name.as_str() {
                "admin" => "organization_admin",
                other => {
                    if other == "billing_manager" {
                        "billing_manager"
                    } else {
                        "member"
                    }
                }
            };
            rename(r, name)
        })
        .collect();
    let ws = roles
        .workspace_roles
        .into_iter()
        .map(|r| {
            let name = if r.name == "workspace_admin" { "workspace_admin" } else { "workspace_contributor" };
            rename(r, name)
        })
        .collect();
    (org, ws)
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleOut {
    pub name: String,
    pub uuid: Uuid,
    pub description: String,
    pub is_custom_role: bool,
}

impl From<RoleInfo> for RoleOut {
    fn from(r: RoleInfo) -> Self {
        RoleOut { name: r.name, uuid: r.uuid, description: r.description, is_custom_role: false }
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolesOut {
    pub workspace_roles: Vec<RoleOut>,
    pub organization_roles: Vec<RoleOut>,
}

#[cfg(test)]
mod role_field_tests {
    use super::*;

    fn none<T>() -> Option<T> {
        None
    }

    #[test]
    fn several_roles_give_the_highest_and_unknown_ones_name_their_field() {
        let names = Some(vec!["member".to_owned(), "billing_manager".to_owned()]);
        let fields = RoleFields { role_names: &names, roles: &none(), role_name: &none(), role: &none() };
        assert_eq!(org_role_from(fields, &[]).unwrap(), Some(OrgRole::BillingManager));

        let codes = Some(vec!["M".to_owned(), "A".to_owned()]);
        let fields = RoleFields { role_names: &none(), roles: &codes, role_name: &none(), role: &none() };
        assert_eq!(workspace_role_from(fields, &[]).unwrap(), Some(WorkspaceRole::Admin));

        let bad = Some("observability_viewer".to_owned());
        let fields = RoleFields { role_names: &none(), roles: &none(), role_name: &bad, role: &none() };
        let err = workspace_role_from(fields, &[]).unwrap_err();
        assert!(format!("{err:?}").contains("role_name"), "{err:?}");

        let fields = RoleFields { role_names: &none(), roles: &none(), role_name: &none(), role: &none() };
        assert_eq!(org_role_from(fields, &[]).unwrap(), None);
    }
}
