// Sample payloads shaped like the Rust side's JSON, for unit tests.

import type { ApiKey, AppState, ConnectionStatus, CreatedKey, Profile, Workspace } from '../api';

export const ORG_ID = '00000000-0000-4000-8000-000000000001';
export const USER_ID = '00000000-0000-4000-8000-000000000002';
export const WS_ID = '00000000-0000-4000-8000-000000000003';

export const state: AppState = {
  mode: 'local',
  organization: {
    id: ORG_ID,
    name: 'Acme',
    plan: 'experiment',
    billing_active: true,
    monthly_spend_limit_micros: null,
    key_max_days: null,
    created_at: '2025-01-01T00:00:00Z',
  },
  user: { id: USER_ID, email: 'ada@example.com', name: 'Ada', org_role: 'admin', created_at: '2025-01-01T00:00:00Z' },
};

export function workspace(overrides: Partial<Workspace> = {}): Workspace {
  return {
    id: WS_ID,
    name: 'Research',
    description: 'Models and experiments',
    icon: 'R',
    is_default: false,
    members_count: 1,
    monthly_spend_limit_micros: null,
    rate_limits: { requests_per_second: null, tokens_per_minute: {} },
    key_max_days: null,
    created_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

export function apiKey(secret: string, overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    key_id: `00000000-0000-4000-8000-${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`,
    name: null,
    hidden_key: `${secret.slice(0, 4)}...${secret.slice(-4)}`,
    workspace_id: WS_ID,
    workspace_name: 'Research',
    owner_id: USER_ID,
    owner_email: 'ada@example.com',
    product: 'API',
    connector_scope: 'shared',
    created_at: new Date().toISOString(),
    expiration_date: null,
    last_used_at: null,
    delete_after: null,
    monthly_budget_micros: null,
    status: 'active',
    actions: { rotate: { status: 'available' }, delete: { status: 'available' } },
    ...overrides,
  };
}

export const SECRET = 'kd_Q8m2ZtR4vW9yB1nC3xD5fG7hJ0kL2pS4abc123';

export function created(secret = SECRET, overrides: Partial<ApiKey> = {}): CreatedKey {
  return { key: apiKey(secret, overrides), secret, expiration_clamped: false };
}

/** A saved server profile for Ada. */
export const PROFILE: Profile = {
  id: 'https://keydesk.example.com ada@example.com',
  server_url: 'https://keydesk.example.com',
  account: 'ada@example.com',
  credential: 'session',
};

/** A connection status: the local store unless overridden. */
export function connectionStatus(overrides: Partial<ConnectionStatus> = {}): ConnectionStatus {
  return { kind: 'local', profile: null, profiles: [], remembered: null, offline: null, notice: null, team: null, ...overrides };
}
