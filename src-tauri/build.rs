//! Build script of the desktop package: runs tauri-build with this repo's
//! layout (manifest and tauri.conf.json at the root, sources and capabilities
//! under src-tauri/) and declares the app commands so that tauri-build
//! generates an `allow-<command>` permission for each of them.

/// Every `#[tauri::command]` of the app. A command missing here gets no
/// permission, so no window can call it; keep this list in step with
/// `commands::handler()`.
const COMMANDS: &[&str] = &[
    "connection_status",
    "sign_in",
    "sign_in_with_key",
    "sign_out",
    "use_profile",
    "forget_profile",
    "get_state",
    "bootstrap",
    "list_workspaces",
    "create_workspace",
    "update_workspace",
    "workspace_key_count",
    "delete_workspace",
    "list_keys",
    "create_key",
    "rename_key",
    "set_key_budget",
    "delete_key",
    "rotate_key",
    "delete_keys",
    "update_organization",
    "list_users",
    "create_user",
    "set_user_role",
    "remove_user",
    "list_members",
    "add_member",
    "set_member_role",
    "remove_member",
    "monthly_spend",
    "daily_costs",
    "usage_by_model",
    "usage_by_key",
    "list_connectors",
    "create_connector",
    "set_connector_visibility",
    "delete_connector",
    "reachable_connectors",
    "list_audit",
    "copy_secret",
    "clear_copied_secret",
    "save_env_file",
    "start_at_login",
    "set_start_at_login",
    "open_main_window",
    "updates_enabled",
    "check_for_update",
    "install_update",
    "get_preferences",
    "set_preferences",
];

fn main() {
    // tauri-build only watches the default capabilities folder; ours moved.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // `{:#}` shows the whole cause chain (which file, which permission).
        panic!("tauri-build failed: {error:#}");
    }
}
