//! Keeps ui/src/api.ts's payload types from drifting away from the Rust
//! types. This test serializes one sample of every payload that crosses the
//! IPC boundary (what the commands return and what they accept) and writes
//! them as typed TypeScript constants to ui/src/generated/payload-samples.ts;
//! the UI's type check (`npm run check`, and Vitest's typecheck) then proves
//! each sample has exactly the fields its TS type declares, with the right
//! types. The test fails when the checked-in file differs from what the Rust
//! types produce; `KEYDESK_UPDATE_SAMPLES=1 cargo test -p keydesk
//! payload_samples` rewrites it.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use keydesk_core::model::*;
use keydesk_core::report::ModelDayUsage;
use keydesk_core::secret::Sensitive;
use keydesk_core::{DailyCost, NewUser};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::{AppState, BackendMode, IssuedKey, KeyUsage};
use crate::commands::RevealOnce;
use crate::connection::{ConnectionKind, ConnectionStatus};
use crate::error::AppError;
use crate::keychain::Remembered;
use crate::remote::Profile;
use crate::remote::{CredentialKind, OfflineInfo};
use crate::wire::{OrganizationPatchInput, WorkspacePatchInput};

const OUT: &str = "ui/src/generated/payload-samples.ts";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
}

fn organization() -> Organization {
    Organization {
        id: id(1),
        name: "Acme".into(),
        plan: Plan::Scale,
        billing_active: true,
        monthly_spend_limit_micros: Some(500_000_000),
        key_max_days: Some(90),
        created_at: at(),
    }
}

fn user() -> User {
    User {
        id: id(2),
        email: "ada@example.com".into(),
        name: "Ada".into(),
        org_role: OrgRole::Admin,
        created_at: at(),
    }
}

fn rate_limits() -> RateLimits {
    RateLimits {
        requests_per_second: Some(5),
        tokens_per_minute: BTreeMap::from([("mistral-large".to_owned(), 100_000)]),
    }
}

fn workspace() -> Workspace {
    Workspace {
        id: id(3),
        name: "Research".into(),
        description: "Models".into(),
        icon: "R".into(),
        is_default: false,
        members_count: 2,
        monthly_spend_limit_micros: Some(100_000_000),
        rate_limits: rate_limits(),
        key_max_days: Some(30),
        created_at: at(),
    }
}

fn api_key() -> ApiKey {
    ApiKey {
        key_id: id(4),
        name: Some("CI".into()),
        hidden_key: "kd_a...wxyz".into(),
        workspace_id: id(3),
        workspace_name: "Research".into(),
        owner_id: id(2),
        owner_email: "ada@example.com".into(),
        product: KeyProduct::Vibe,
        connector_scope: ConnectorScope::PrivateAndShared,
        created_at: at(),
        expiration_date: Some(day()),
        last_used_at: Some(at()),
        delete_after: Some(at()),
        monthly_budget_micros: Some(25_000_000),
        status: KeyStatus::Active,
        actions: KeyActions {
            rotate: ActionAvailability::Available,
            delete: ActionAvailability::Unavailable {
                reason: Some(UnavailableReason::NotAllowed),
            },
        },
    }
}

fn connector() -> Connector {
    Connector {
        id: id(5),
        name: "Drive".into(),
        owner_id: id(2),
        workspace_id: id(3),
        visibility: ConnectorVisibility::Private,
        created_at: at(),
    }
}

/// `(TS constant name, TS type, sample)` for every payload.
fn samples() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    fn v<T: Serialize>(value: T) -> serde_json::Value {
        serde_json::to_value(value).expect("sample serializes")
    }
    let reveal = RevealOnce(IssuedKey {
        key: api_key(),
        secret: Sensitive::new("kd_example-not-a-real-key".into()),
        expiration_clamped: true,
    });
    let profile = Profile {
        id: "https://keydesk.example.com ada@example.com".into(),
        server_url: "https://keydesk.example.com".into(),
        account: "ada@example.com".into(),
        credential: CredentialKind::Session,
    };
    vec![
        (
            "remoteConnection",
            "ConnectionStatus",
            v(ConnectionStatus {
                kind: ConnectionKind::Remote,
                profile: Some(profile.clone()),
                profiles: vec![profile.clone()],
                remembered: Some(Remembered::MemoryOnly {
                    reason: "the system keychain is not available".into(),
                }),
                offline: Some(OfflineInfo {
                    fetched_at: at(),
                    age_seconds: 300,
                }),
                notice: None,
            }),
        ),
        (
            "signedOutConnection",
            "ConnectionStatus",
            v(ConnectionStatus {
                kind: ConnectionKind::SignedOut,
                profile: Some(Profile {
                    credential: CredentialKind::AdminKey,
                    ..profile.clone()
                }),
                profiles: vec![profile],
                remembered: Some(Remembered::Keychain),
                offline: None,
                notice: Some("Your session has ended".into()),
            }),
        ),
        (
            "appState",
            "AppState",
            v(AppState {
                mode: BackendMode::Local,
                organization: Some(organization()),
                user: Some(user()),
            }),
        ),
        ("organization", "Organization", v(organization())),
        ("user", "User", v(user())),
        ("workspace", "Workspace", v(workspace())),
        (
            "workspaceMember",
            "WorkspaceMember",
            v(WorkspaceMember {
                user_id: id(2),
                email: "ada@example.com".into(),
                name: "Ada".into(),
                role: WorkspaceRole::Admin,
                added_at: at(),
            }),
        ),
        ("apiKey", "ApiKey", v(api_key())),
        (
            "keyPage",
            "KeyPage",
            v(KeyPage {
                keys: vec![api_key()],
                total: 1,
                total_exact: true,
            }),
        ),
        ("createdKey", "CreatedKey", v(&reveal)),
        ("connector", "Connector", v(connector())),
        (
            "monthlySpend",
            "MonthlySpend",
            v(MonthlySpend {
                workspace_id: id(3),
                year: 2025,
                month: 3,
                spent_micros: 1_250_000,
                limit_micros: Some(100_000_000),
                requests: 10,
                input_tokens: 1000,
                output_tokens: 2000,
            }),
        ),
        (
            "dailyCost",
            "DailyCost",
            v(DailyCost {
                day: day(),
                cost_micros: 10,
            }),
        ),
        (
            "modelDayUsage",
            "ModelDayUsage",
            v(ModelDayUsage {
                model: "mistral-large".into(),
                day: day(),
                requests: 1,
                input_tokens: 2,
                output_tokens: 3,
                cost_micros: 4,
            }),
        ),
        (
            "keyUsage",
            "KeyUsage",
            v(KeyUsage {
                key_id: id(4),
                name: Some("CI".into()),
                hidden_key: None,
                requests: 1,
                input_tokens: 2,
                output_tokens: 3,
                cost_micros: 4,
            }),
        ),
        (
            "auditEvent",
            "AuditEvent",
            v(AuditEvent {
                id: id(6),
                at: at(),
                actor_id: Some(id(2)),
                actor_email: Some("ada@example.com".into()),
                action: "key.renamed".into(),
                target_type: "api_key".into(),
                target_id: Some(id(4)),
                before: Some(json!({"name": "old"})),
                after: Some(json!({"name": "new"})),
            }),
        ),
        (
            "backendError",
            "BackendErrorPayload",
            v(AppError::validation("name", "name is required")),
        ),
        // Inputs: every field filled, so a TS type missing one fails.
        (
            "newWorkspace",
            "NewWorkspace",
            v(NewWorkspace {
                name: "Research".into(),
                description: "Models".into(),
                icon: "R".into(),
                admin_user_id: Some(id(2)),
            }),
        ),
        (
            "workspacePatch",
            "WorkspacePatch",
            v(WorkspacePatchInput {
                name: Some("R".into()),
                description: Some("d".into()),
                icon: Some("R".into()),
                monthly_spend_limit_micros: Some(Some(1)),
                rate_limits: Some(rate_limits()),
                key_max_days: Some(None),
            }),
        ),
        (
            "organizationPatch",
            "OrganizationPatch",
            v(OrganizationPatchInput {
                name: Some("Acme".into()),
                plan: Some(Plan::Experiment),
                billing_active: Some(false),
                monthly_spend_limit_micros: Some(None),
                key_max_days: Some(Some(30)),
            }),
        ),
        (
            "newKey",
            "NewKey",
            v(NewKey {
                workspace_id: id(3),
                user_id: Some(id(2)),
                name: Some("CI".into()),
                expiration: Some(day()),
                connector_scope: Some(ConnectorScope::Shared),
                product: Some(KeyProduct::Api),
                monthly_budget_micros: Some(10_000_000),
            }),
        ),
        (
            "keyFilter",
            "KeyFilter",
            v(KeyFilter {
                workspace_id: Some(id(3)),
                owner_id: Some(id(2)),
                search: Some("ci".into()),
                status: Some(KeyStatus::Expired),
                product: Some(KeyProduct::MistralCode),
                unused_for_days: Some(30),
                sort: Some(KeySort {
                    column: KeySortColumn::Expires,
                    descending: true,
                }),
                limit: Some(100),
                offset: Some(0),
            }),
        ),
        (
            "newUser",
            "NewUser",
            v(NewUser {
                email: "bob@example.com".into(),
                name: "Bob".into(),
                org_role: OrgRole::BillingManager,
            }),
        ),
        (
            "newConnector",
            "NewConnector",
            v(NewConnector {
                workspace_id: id(3),
                name: "Drive".into(),
                visibility: ConnectorVisibility::Shared,
            }),
        ),
        (
            "auditFilter",
            "AuditFilter",
            v(AuditFilter {
                actor_id: Some(id(2)),
                action: Some("key.created".into()),
                target_id: Some(id(4)),
                since: Some(at()),
                until: Some(at()),
                limit: Some(50),
                offset: Some(0),
            }),
        ),
    ]
}

fn render() -> String {
    let samples = samples();
    let mut types: Vec<&str> = samples.iter().map(|(_, ty, _)| *ty).collect();
    types.sort_unstable();
    types.dedup();
    let mut out = String::from(
        "// GENERATED by the Rust test src-tauri/src/payload_samples.rs — do not edit.\n\
         // One sample of each IPC payload as the Rust types serialize it, typed with\n\
         // api.ts's types: the type check fails when the two drift apart.\n\
         // Regenerate: KEYDESK_UPDATE_SAMPLES=1 cargo test -p keydesk payload_samples\n\n",
    );
    out.push_str(&format!(
        "import type {{ {} }} from '../api';\n",
        types.join(", ")
    ));
    for (name, ty, value) in samples {
        let json = serde_json::to_string_pretty(&value).expect("json");
        out.push_str(&format!("\nexport const {name}: {ty} = {json};\n"));
    }
    out
}

#[test]
fn ts_payload_samples_are_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(OUT);
    let expected = render();
    if std::env::var_os("KEYDESK_UPDATE_SAMPLES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{OUT} is out of date with the Rust payload types; run \
         KEYDESK_UPDATE_SAMPLES=1 cargo test -p keydesk payload_samples, then fix api.ts until `npm run check` passes"
    );
}
