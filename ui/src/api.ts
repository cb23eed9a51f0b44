// The one module that talks to the Rust side. Every call to a Tauri command
// (and to the clipboard plugin) goes through here, typed with the shapes the
// Rust serde types produce: snake_case fields, enums as serialized strings.
// Failures are thrown as `BackendError`; callers branch on `code`, never on
// the message text.

import { invoke } from '@tauri-apps/api/core';
import { writeText } from '@tauri-apps/plugin-clipboard-manager';

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

/** Absent fields are left unchanged. */
export interface WorkspacePatch {
  name?: string;
  description?: string;
  icon?: string;
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
}

export interface KeyFilter {
  workspace_id?: Uuid | null;
  owner_id?: Uuid | null;
  search?: string | null;
  status?: KeyStatus | null;
  product?: KeyProduct | null;
  unused_for_days?: number | null;
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
  | 'unavailable';

const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'validation',
  'not_found',
  'conflict',
  'forbidden',
  'unauthorized',
  'internal',
  'not_initialized',
  'unavailable',
]);

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

// renameKey and rotateKey have no view yet, so the main window's capability
// (src-tauri/capabilities/main.json) does not allow them: add
// `allow-rename-key` / `allow-rotate-key` there with the view that uses them.
export function renameKey(keyId: Uuid, name: string | null): Promise<ApiKey> {
  return call('rename_key', { key_id: keyId, name });
}

export function deleteKey(keyId: Uuid): Promise<void> {
  return call('delete_key', { key_id: keyId });
}

export function rotateKey(keyId: Uuid, graceSeconds: number | null = null): Promise<CreatedKey> {
  return call('rotate_key', { key_id: keyId, grace_seconds: graceSeconds });
}

/** Puts text on the system clipboard (the reveal-once Copy button). */
export async function copyText(text: string): Promise<void> {
  try {
    await writeText(text);
  } catch (raw) {
    throw toBackendError(raw);
  }
}
