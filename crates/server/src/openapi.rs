//! The server's own OpenAPI document, generated from the handlers'
//! annotations and the wire types, served at `/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{billing, keys, session, usage, users, workspaces};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keydesk server",
        description = "The platform's Admin API subset (same paths, fields and codes) and Keydesk's additions: \
                       sessions, self-service `me` endpoints, key rotation and rename, workspace settings, \
                       connectors (and those a key reaches), per-workspace spend and usage by key, usage events, \
                       the full audit log, spend alerts, organization settings and Admin API keys. Errors are \
                       `{\"error\": {\"code\", \"message\", \"field\"}}`. The gateway (`/v1/models` and every \
                       other `/v1/*` path outside the Admin API, forwarded to the configured upstream) takes API \
                       keys and refuses with `{\"error\": {\"type\", \"code\", \"message\"}}`."
    ),
    paths(
        session::health, session::openapi_json, session::sign_in, session::sign_out, session::me, session::change_password,
        users::list_users, users::create_users, users::get_user, users::update_user, users::delete_user, users::issue_password,
        users::invite_users, users::list_invites, users::delete_invite, users::roles,
        workspaces::list, workspaces::create, workspaces::get_one, workspaces::update, workspaces::update_settings,
        workspaces::delete_one, workspaces::list_members, workspaces::add_users, workspaces::upsert_users,
        workspaces::remove_users, workspaces::list_connectors, workspaces::create_connector,
        workspaces::set_connector_visibility, workspaces::delete_connector,
        keys::list, keys::create, keys::get_one, keys::update, keys::delete_one, keys::delete_many, keys::rotate, keys::reachable_connectors,
        keys::list_my_keys, keys::create_my_key, keys::delete_my_key,
        billing::rate_limit, billing::spend_limit, billing::update_spend_limit, billing::usage, billing::audit_logs,
        billing::organization, billing::update_organization, billing::list_admin_keys, billing::create_admin_key,
        billing::delete_admin_key, billing::audit_events,
        usage::workspace_spend, usage::usage_by_key, usage::record_usage_event, usage::spend_alerts,
        crate::gateway::list_models, crate::gateway::get_model, crate::metrics::page,
    ),
    components(schemas(keydesk_api::ErrorBody)),
    modifiers(&Security),
    security(("AdminApiKey" = []), ("ApiKeyHeader" = []))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "AdminApiKey",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An Admin API key or a session token, as a bearer token"))
                    .build(),
            ),
        );
        components.add_security_scheme("ApiKeyHeader", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))));
        components.add_security_scheme(
            "ApiKey",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key issued by Keydesk, for the gateway's /v1/* API requests (every path not under \
                         /v1/admin, /v1/me or /v1/auth is forwarded to the configured upstream)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
