// The one module that talks to the Rust side. Every call to a Tauri command
// goes through here, typed with the shapes the Rust serde types produce:
// snake_case fields, enums as serialized strings.
// Failures are thrown as `BackendError`; callers branch on `code`, never on
// the message text.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { ActionAvailability } from './generated/bindings/ActionAvailability';
import type { AdminKeySignIn } from './generated/bindings/AdminKeySignIn';
import type { ApiKey } from './generated/bindings/ApiKey';
import type { AppState } from './generated/bindings/AppState';
import type { AuditEvent } from './generated/bindings/AuditEvent';
import type { AuditFilter } from './generated/bindings/AuditFilter';
import type { BackendErrorPayload } from './generated/bindings/BackendErrorPayload';
import type { BackendMode } from './generated/bindings/BackendMode';
import type { BootstrapInput } from './generated/bindings/BootstrapInput';
import type { ConnectionKind } from './generated/bindings/ConnectionKind';
import type { ConnectionStatus } from './generated/bindings/ConnectionStatus';
import type { Connector } from './generated/bindings/Connector';
import type { ConnectorScope } from './generated/bindings/ConnectorScope';
import type { ConnectorVisibility } from './generated/bindings/ConnectorVisibility';
import type { CreatedKey } from './generated/bindings/CreatedKey';
import type { CredentialKind } from './generated/bindings/CredentialKind';
import type { DailyCost } from './generated/bindings/DailyCost';
import type { EnvFileSaved } from './generated/bindings/EnvFileSaved';
import type { ErrorCode } from './generated/bindings/ErrorCode';
import type { KeyActions } from './generated/bindings/KeyActions';
import type { KeyFilter } from './generated/bindings/KeyFilter';
import type { KeyPage } from './generated/bindings/KeyPage';
import type { KeyProduct } from './generated/bindings/KeyProduct';
import type { KeySort } from './generated/bindings/KeySort';
import type { KeySortColumn } from './generated/bindings/KeySortColumn';
import type { KeyStatus } from './generated/bindings/KeyStatus';
import type { KeyUsage } from './generated/bindings/KeyUsage';
import type { ModelDayUsage } from './generated/bindings/ModelDayUsage';
import type { MonthlySpend } from './generated/bindings/MonthlySpend';
import type { NewConnector } from './generated/bindings/NewConnector';
import type { NewKey } from './generated/bindings/NewKey';
import type { NewUser } from './generated/bindings/NewUser';
import type { NewWorkspace } from './generated/bindings/NewWorkspace';
import type { NotificationTarget } from './generated/bindings/NotificationTarget';
import type { OfflineInfo } from './generated/bindings/OfflineInfo';
import type { OrgRole } from './generated/bindings/OrgRole';
import type { Organization } from './generated/bindings/Organization';
import type { OrganizationPatch } from './generated/bindings/OrganizationPatch';
import type { PasswordSignIn } from './generated/bindings/PasswordSignIn';
import type { Plan } from './generated/bindings/Plan';
import type { Preferences } from './generated/bindings/Preferences';
import type { Profile } from './generated/bindings/Profile';
import type { RateLimits } from './generated/bindings/RateLimits';
import type { Remembered } from './generated/bindings/Remembered';
import type { SecretCopied } from './generated/bindings/SecretCopied';
import type { UnavailableReason } from './generated/bindings/UnavailableReason';
import type { UpdateOffer } from './generated/bindings/UpdateOffer';
import type { User } from './generated/bindings/User';
import type { Workspace } from './generated/bindings/Workspace';
import type { WorkspaceMember } from './generated/bindings/WorkspaceMember';
import type { WorkspacePatch } from './generated/bindings/WorkspacePatch';
import type { WorkspaceRole } from './generated/bindings/WorkspaceRole';

// The payload types are generated from the Rust types that produce them
// (ts-rs, written by the Rust tests): a field renamed or retyped on the Rust
// side is a type error here, not a surprise at run time.
export type {
  ActionAvailability,
  AdminKeySignIn,
  ApiKey,
  AppState,
  AuditEvent,
  AuditFilter,
  BackendErrorPayload,
  BackendMode,
  BootstrapInput,
  ConnectionKind,
  ConnectionStatus,
  Connector,
  ConnectorScope,
  ConnectorVisibility,
  CreatedKey,
  CredentialKind,
  DailyCost,
  EnvFileSaved,
  ErrorCode,
  KeyActions,
  KeyFilter,
  KeyPage,
  KeyProduct,
  KeySort,
  KeySortColumn,
  KeyStatus,
  KeyUsage,
  ModelDayUsage,
  MonthlySpend,
  NewConnector,
  NewKey,
  NewUser,
  NewWorkspace,
  NotificationTarget,
  OfflineInfo,
  OrgRole,
  Organization,
  OrganizationPatch,
  PasswordSignIn,
  Plan,
  Preferences,
  Profile,
  RateLimits,
  Remembered,
  SecretCopied,
  UnavailableReason,
  UpdateOffer,
  User,
  Workspace,
  WorkspaceMember,
  WorkspacePatch,
  WorkspaceRole,
};

/** A uuid, as a string. */
export type Uuid = string;
/** An RFC 3339 timestamp in UTC, e.g. "2025-03-01T12:00:00Z". */
export type Timestamp = string;
/** A calendar day, "YYYY-MM-DD". */
export type DateOnly = string;

const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'validation',
  'not_found',
  'conflict',
  'forbidden',
  'unauthorized',
  'internal',
  'not_initialized',
  'unavailable',
  'keychain_unavailable',
]);

// ------------------------------------------------------------ connection

/** A failure reported by the backend, as `{code, message, field?}`. */
export class BackendError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
    this.field = field;
  }
}

/**
 * Turns whatever a rejected `invoke` produced into a `BackendError`. Our
 * commands reject with `{code, message, field?}`; Tauri itself rejects with a
 * plain string (e.g. a command refused by the capabilities), which becomes
 * `internal` with that text.
 */
export function toBackendError(raw: unknown): BackendError {
  if (raw instanceof BackendError) return raw;
  if (typeof raw === 'object' && raw !== null && 'code' in raw) {
    const { code, message, field } = raw as { code: unknown; message?: unknown; field?: unknown };
    const known = typeof code === 'string' && KNOWN_CODES.has(code);
    return new BackendError(
      known ? (code as ErrorCode) : 'internal',
      typeof message === 'string' ? message : 'Unexpected error',
      typeof field === 'string' ? field : undefined,
    );
  }
  if (typeof raw === 'string') return new BackendError('internal', raw);
  if (raw instanceof Error) return new BackendError('internal', raw.message);
  return new BackendError('internal', 'Unexpected error');
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toBackendError(raw);
  }
}

export function connectionStatus(): Promise<ConnectionStatus> {
  return call('connection_status');
}

export function signIn(input: PasswordSignIn): Promise<ConnectionStatus> {
  return call('sign_in', { input });
}

export function signInWithKey(input: AdminKeySignIn): Promise<ConnectionStatus> {
  return call('sign_in_with_key', { input });
}

export function signOut(): Promise<ConnectionStatus> {
  return call('sign_out');
}

/** `null` switches to the local store. */
export function useProfile(profileId: string | null): Promise<ConnectionStatus> {
  return call('use_profile', { profile_id: profileId });
}

export function forgetProfile(profileId: string): Promise<ConnectionStatus> {
  return call('forget_profile', { profile_id: profileId });
}

/** The backend's events: the connection changed, or a list shown from the
 *  cache was refreshed (payload: its kind). Returns the unsubscribe call. */
export async function onConnectionChanged(handler: () => void): Promise<() => void> {
  return listen('connection-changed', () => handler());
}

export async function onDataRefreshed(handler: (kind: string) => void): Promise<() => void> {
  return listen<string>('data-refreshed', (event) => handler(event.payload));
}

/** The tray window was shown from the tray (it reloads its list). */
export async function onTrayShown(handler: () => void): Promise<() => void> {
  return listen('tray-shown', () => handler());
}

/** A desktop notification was clicked: the main window opens the view it is about. */
export async function onOpenView(handler: (target: NotificationTarget) => void): Promise<() => void> {
  return listen<NotificationTarget>('open-view', (event) => handler(event.payload));
}

/** Which kinds of desktop notification the user wants (all on by default). */
export function getPreferences(): Promise<Preferences> {
  return call('get_preferences');
}

/** Saves the notification preferences; resolves to them as saved. */
export function setPreferences(preferences: Preferences): Promise<Preferences> {
  return call('set_preferences', { preferences });
}

export function getState(): Promise<AppState> {
  return call('get_state');
}

export function bootstrap(input: BootstrapInput): Promise<AppState> {
  return call('bootstrap', { input });
}

export function listWorkspaces(): Promise<Workspace[]> {
  return call('list_workspaces');
}

export function createWorkspace(input: NewWorkspace): Promise<Workspace> {
  return call('create_workspace', { input });
}

export function updateWorkspace(workspaceId: Uuid, patch: WorkspacePatch): Promise<Workspace> {
  return call('update_workspace', { workspace_id: workspaceId, patch });
}

export function workspaceKeyCount(workspaceId: Uuid): Promise<number> {
  return call('workspace_key_count', { workspace_id: workspaceId });
}

/** Deletes the workspace and revokes its keys; resolves to how many were revoked. */
export function deleteWorkspace(workspaceId: Uuid): Promise<number> {
  return call('delete_workspace', { workspace_id: workspaceId, confirmed: true });
}

export function listKeys(filter: KeyFilter = {}): Promise<KeyPage> {
  return call('list_keys', { filter });
}

export function createKey(input: NewKey): Promise<CreatedKey> {
  return call('create_key', { input });
}

export function renameKey(keyId: Uuid, name: string | null): Promise<ApiKey> {
  return call('rename_key', { key_id: keyId, name });
}

/** Sets (or, with null, removes) a key's own monthly budget, in micro-USD. */
export function setKeyBudget(keyId: Uuid, budgetMicros: number | null): Promise<ApiKey> {
  return call('set_key_budget', { key_id: keyId, budget_micros: budgetMicros });
}

export function deleteKey(keyId: Uuid): Promise<void> {
  return call('delete_key', { key_id: keyId });
}

export function rotateKey(keyId: Uuid, graceSeconds: number | null = null): Promise<CreatedKey> {
  return call('rotate_key', { key_id: keyId, grace_seconds: graceSeconds });
}

/** Deletes several keys at once; resolves to how many were deleted. */
export function deleteKeys(keyIds: Uuid[]): Promise<number> {
  return call('delete_keys', { key_ids: keyIds });
}

export function updateOrganization(patch: OrganizationPatch): Promise<Organization> {
  return call('update_organization', { patch });
}

export function listUsers(): Promise<User[]> {
  return call('list_users');
}

export function createUser(input: NewUser): Promise<User> {
  return call('create_user', { input });
}

export function setUserRole(userId: Uuid, role: OrgRole): Promise<User> {
  return call('set_user_role', { user_id: userId, role });
}

export function removeUser(userId: Uuid): Promise<void> {
  return call('remove_user', { user_id: userId });
}

export function listMembers(workspaceId: Uuid): Promise<WorkspaceMember[]> {
  return call('list_members', { workspace_id: workspaceId });
}

export function addMember(workspaceId: Uuid, userId: Uuid, role: WorkspaceRole): Promise<void> {
  return call('add_member', { workspace_id: workspaceId, user_id: userId, role });
}

export function setMemberRole(workspaceId: Uuid, userId: Uuid, role: WorkspaceRole): Promise<void> {
  return call('set_member_role', { workspace_id: workspaceId, user_id: userId, role });
}

/** Resolves to how many of the member's keys in the workspace were revoked. */
export function removeMember(workspaceId: Uuid, userId: Uuid): Promise<number> {
  return call('remove_member', { workspace_id: workspaceId, user_id: userId });
}

export function monthlySpend(workspaceId: Uuid): Promise<MonthlySpend> {
  return call('monthly_spend', { workspace_id: workspaceId });
}

export function dailyCosts(workspaceId: Uuid): Promise<DailyCost[]> {
  return call('daily_costs', { workspace_id: workspaceId });
}

export function usageByModel(workspaceId: Uuid): Promise<ModelDayUsage[]> {
  return call('usage_by_model', { workspace_id: workspaceId });
}

export function usageByKey(workspaceId: Uuid): Promise<KeyUsage[]> {
  return call('usage_by_key', { workspace_id: workspaceId });
}

export function listConnectors(workspaceId: Uuid): Promise<Connector[]> {
  return call('list_connectors', { workspace_id: workspaceId });
}

export function createConnector(input: NewConnector): Promise<Connector> {
  return call('create_connector', { input });
}

export function setConnectorVisibility(connectorId: Uuid, visibility: ConnectorVisibility): Promise<Connector> {
  return call('set_connector_visibility', { connector_id: connectorId, visibility });
}

export function deleteConnector(connectorId: Uuid): Promise<void> {
  return call('delete_connector', { connector_id: connectorId });
}

export function reachableConnectors(keyId: Uuid): Promise<Connector[]> {
  return call('reachable_connectors', { key_id: keyId });
}

export function listAudit(filter: AuditFilter = {}): Promise<AuditEvent[]> {
  return call('list_audit', { filter });
}

/** Puts a new key (or its .env line) on the clipboard; the shell clears it after the delay it answers, or at quit. */
export function copySecret(secret: string): Promise<SecretCopied> {
  return call('copy_secret', { secret });
}

/** Clears the clipboard now if it still holds the copied key; resolves to whether it did. */
export function clearCopiedSecret(): Promise<boolean> {
  return call('clear_copied_secret');
}

/** Asks where (native save dialog), then sets `variable` (default MISTRAL_API_KEY) to the key in that .env file; null when cancelled. */
export function saveEnvFile(secret: string, variable: string | null = null): Promise<EnvFileSaved | null> {
  return call('save_env_file', { secret, variable });
}

/** Whether Keydesk starts when the user logs in. */
export function startAtLogin(): Promise<boolean> {
  return call('start_at_login');
}

/** Turns starting at login on or off; resolves to the setting now in force. */
export function setStartAtLogin(enabled: boolean): Promise<boolean> {
  return call('set_start_at_login', { enabled });
}

/** Brings the main window forward and hides the tray window (the tray's "Open Keydesk"). */
export function openMainWindow(): Promise<void> {
  return call('open_main_window');
}

/** Whether this build updates itself (release builds with an update key). */
export function updatesEnabled(): Promise<boolean> {
  return call('updates_enabled');
}

/** Asks the update feed for a newer version; null when this is the latest. */
export function checkForUpdate(): Promise<UpdateOffer | null> {
  return call('check_for_update');
}

/** Installs `version` after the user agreed: download, signature check, install, restart. */
export function installUpdate(version: string): Promise<void> {
  return call('install_update', { version });
}

/** The tray menu's "Check for updates…". */
export async function onCheckForUpdates(handler: () => void): Promise<() => void> {
  return listen('check-for-updates', () => handler());
}
