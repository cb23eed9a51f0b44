// The one module that talks to the Rust side. Every call to a Tauri command
// (and to the clipboard plugin) goes through here, typed with the shapes the
// Rust serde types produce: snake_case fields, enums as serialized strings.
// Failures are thrown as `BackendError`; callers branch on `code`, never on
// the message text.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { readText, writeText } from '@tauri-apps/plugin-clipboard-manager';

/** A uuid, as a string. */
export type Uuid = string;
/** An RFC 3339 timestamp in UTC, e.g. "2025-03-01T12:00:00Z". */
export type Timestamp = string;
/** A calendar day, "YYYY-MM-DD". */
export type DateOnly = string;

export type Plan = 'experiment' | 'scale';
export type OrgRole = 'admin' | 'member' | 'billing_manager';

export interface Organization {
  id: Uuid;
  name: string;
  plan: Plan;
  billing_active: boolean;
  monthly_spend_limit_micros: number | null;
  key_max_days: number | null;
  created_at: Timestamp;
}

export interface User {
  id: Uuid;
  email: string;
  name: string;
  org_role: OrgRole;
  created_at: Timestamp;
}

export type BackendMode = 'local' | 'remote';

export interface AppState {
  mode: BackendMode;
  organization: Organization | null;
  user: User | null;
}

export interface BootstrapInput {
  org_name: string;
  admin_email: string;
  admin_name: string;
}

export interface RateLimits {
  requests_per_second: number | null;
  tokens_per_minute: Record<string, number>;
}

export interface Workspace {
  id: Uuid;
  name: string;
  description: string;
  icon: string;
  is_default: boolean;
  members_count: number;
  monthly_spend_limit_micros: number | null;
  rate_limits: RateLimits;
  key_max_days: number | null;
  created_at: Timestamp;
}

export interface NewWorkspace {
  name: string;
  description?: string;
  icon?: string;
  admin_user_id?: Uuid | null;
}

/** Absent fields are left unchanged; `null` removes a limit or policy. */
export interface WorkspacePatch {
  name?: string;
  description?: string;
  icon?: string;
  monthly_spend_limit_micros?: number | null;
  rate_limits?: RateLimits;
  key_max_days?: number | null;
}

/** Absent fields are left unchanged; `null` removes a limit or policy. */
export interface OrganizationPatch {
  name?: string;
  plan?: Plan;
  billing_active?: boolean;
  monthly_spend_limit_micros?: number | null;
  key_max_days?: number | null;
}

export interface NewUser {
  email: string;
  name?: string;
  org_role: OrgRole;
}

export type WorkspaceRole = 'admin' | 'member';

export interface WorkspaceMember {
  user_id: Uuid;
  email: string;
  name: string;
  role: WorkspaceRole;
  added_at: Timestamp;
}

export type ConnectorVisibility = 'private' | 'shared';

export interface Connector {
  id: Uuid;
  name: string;
  owner_id: Uuid;
  workspace_id: Uuid;
  visibility: ConnectorVisibility;
  created_at: Timestamp;
}

export interface NewConnector {
  workspace_id: Uuid;
  name: string;
  visibility: ConnectorVisibility;
}

/** A workspace's spend in one calendar month (UTC). */
export interface MonthlySpend {
  workspace_id: Uuid;
  year: number;
  month: number;
  spent_micros: number;
  /** The limit in force: the workspace's, else the organization's. */
  limit_micros: number | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
}

export interface DailyCost {
  day: DateOnly;
  cost_micros: number;
}

export interface ModelDayUsage {
  model: string;
  day: DateOnly;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
}

/** One key's usage this month; name and hidden_key are null once the key is deleted. */
export interface KeyUsage {
  key_id: Uuid;
  name: string | null;
  hidden_key: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
}

export interface AuditEvent {
  id: Uuid;
  at: Timestamp;
  actor_id: Uuid | null;
  actor_email: string | null;
  action: string;
  target_type: string;
  target_id: Uuid | null;
  before: unknown;
  after: unknown;
}

export interface AuditFilter {
  actor_id?: Uuid | null;
  action?: string | null;
  target_id?: Uuid | null;
  since?: Timestamp | null;
  until?: Timestamp | null;
  limit?: number | null;
  offset?: number | null;
}

export type KeyProduct = 'API' | 'Vibe' | 'Mistral Code';
export type ConnectorScope = 'shared' | 'private_and_shared';
export type KeyStatus = 'active' | 'expired' | 'inactive';
export type UnavailableReason = 'unsupported_scope' | 'key_expired' | 'not_allowed';

export type ActionAvailability =
  | { status: 'available' }
  | { status: 'unavailable'; reason: UnavailableReason | null };

export interface KeyActions {
  rotate: ActionAvailability;
  delete: ActionAvailability;
}

export interface ApiKey {
  key_id: Uuid;
  name: string | null;
  hidden_key: string;
  workspace_id: Uuid;
  workspace_name: string;
  owner_id: Uuid;
  owner_email: string;
  product: KeyProduct;
  connector_scope: ConnectorScope;
  created_at: Timestamp;
  /** Last valid day (inclusive, UTC); null: never expires. */
  expiration_date: DateOnly | null;
  last_used_at: Timestamp | null;
  delete_after: Timestamp | null;
  /** The key's own monthly spending cap in micro-USD; null: none. */
  monthly_budget_micros: number | null;
  status: KeyStatus;
  actions: KeyActions;
}

export interface NewKey {
  workspace_id: Uuid;
  user_id?: Uuid | null;
  name?: string | null;
  expiration?: DateOnly | null;
  connector_scope?: ConnectorScope | null;
  product?: KeyProduct | null;
  monthly_budget_micros?: number | null;
}

/** Columns the backend can order the key list by. */
export type KeySortColumn =
  | 'name'
  | 'hidden_key'
  | 'product'
  | 'workspace'
  | 'owner'
  | 'created'
  | 'last_used'
  | 'expires'
  | 'status';

export interface KeySort {
  column: KeySortColumn;
  descending: boolean;
}

export interface KeyFilter {
  workspace_id?: Uuid | null;
  owner_id?: Uuid | null;
  search?: string | null;
  status?: KeyStatus | null;
  product?: KeyProduct | null;
  unused_for_days?: number | null;
  /** Newest first when absent (and between equal values). */
  sort?: KeySort | null;
  limit?: number | null;
  offset?: number | null;
}

export interface KeyPage {
  keys: ApiKey[];
  /** Matching keys, counted up to a cap. */
  total: number;
  /** False when more than `total` keys match (show "10,000+"). */
  total_exact: boolean;
}

/** A key just created: the only payload that ever carries a full secret. */
export interface CreatedKey {
  key: ApiKey;
  secret: string;
  expiration_clamped: boolean;
}

export type ErrorCode =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'internal'
  | 'not_initialized'
  | 'unavailable'
  | 'keychain_unavailable';

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

export type CredentialKind = 'session' | 'admin_key';

/** A saved server and account; `id` also names its keychain entry. */
export interface Profile {
  id: string;
  server_url: string;
  account: string;
  credential: CredentialKind;
}

/** Where a session token went: the keychain, or this run's memory only. */
export type Remembered = { kind: 'keychain' } | { kind: 'memory_only'; reason: string };

export interface OfflineInfo {
  /** When the server last gave the data now shown. */
  fetched_at: Timestamp;
  age_seconds: number;
}

export type ConnectionKind = 'local' | 'remote' | 'signed_out';

export interface ConnectionStatus {
  kind: ConnectionKind;
  /** The active profile; null in local mode. */
  profile: Profile | null;
  profiles: Profile[];
  remembered: Remembered | null;
  /** Set while the lists shown come from the cache. */
  offline: OfflineInfo | null;
  /** Why the window is signed out, when it did not ask to be. */
  notice: string | null;
}

export interface PasswordSignIn {
  server_url: string;
  email: string;
  password: string;
}

export interface AdminKeySignIn {
  server_url: string;
  api_key: string;
}

/** What a rejected command carries. */
export interface BackendErrorPayload {
  code: ErrorCode;
  message: string;
  field?: string;
}

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

/** Puts text on the system clipboard (the reveal-once Copy button). */
export async function copyText(text: string): Promise<void> {
  try {
    await writeText(text);
  } catch (raw) {
    throw toBackendError(raw);
  }
}

/** What the system clipboard holds now (to clear it only if it still holds a key). */
export async function readClipboard(): Promise<string | null> {
  try {
    return await readText();
  } catch {
    // An empty or non-text clipboard reads as an error: nothing of ours is there.
    return null;
  }
}
