//! Contract scenarios on the organization: the app state and the key policy.

use keydesk_core::OrganizationPatch;
use keydesk_desktop::backend::{Backend, BackendMode};
use keydesk_desktop::error::ErrorCode;

pub async fn state_names_the_organization_and_user(
    b: &dyn Backend,
    mode: BackendMode,
    email: &str,
) {
    let state = b.state().await.unwrap();
    assert_eq!(state.mode, mode);
    assert!(state.organization.is_some());
    assert_eq!(state.user.unwrap().email, email);
}

pub async fn organization_policy_is_set_and_cleared(b: &dyn Backend) {
    let org = b
        .update_organization(OrganizationPatch {
            key_max_days: Some(Some(45)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(org.key_max_days, Some(45));
    let bad = b
        .update_organization(OrganizationPatch {
            key_max_days: Some(Some(0)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (bad.code, bad.field.as_deref()),
        (ErrorCode::Validation, Some("key_max_days"))
    );
    let org = b
        .update_organization(OrganizationPatch {
            key_max_days: Some(None),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(org.key_max_days, None);
}
