import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendError,
  createKey,
  createWorkspace,
  deleteWorkspace,
  getState,
  listKeys,
  toBackendError,
  updateWorkspace,
} from './api';
import { created, state, WS_ID } from './test/fixtures';

afterEach(() => clearMocks());

describe('api error mapping', () => {
  it('throws a BackendError with code, message and field from a command rejection', async () => {
    mockIPC(() => {
      throw { code: 'validation', message: 'name is required', field: 'name' };
    });
    const error = await createWorkspace({ name: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'validation', message: 'name is required', field: 'name' });
  });

  it('keeps the field undefined when the backend sends none', async () => {
    mockIPC(() => {
      throw { code: 'unavailable', message: 'cannot open the local store' };
    });
    const error = (await getState().catch((e: unknown) => e)) as BackendError;
    expect(error.code).toBe('unavailable');
    expect(error.field).toBeUndefined();
  });

  it('maps a plain string rejection (Tauri refusing a command) to internal', () => {
    const error = toBackendError('Command create_key not allowed by ACL');
    expect(error.code).toBe('internal');
    expect(error.message).toBe('Command create_key not allowed by ACL');
  });

  it('maps an unknown code to internal instead of trusting it', () => {
    expect(toBackendError({ code: 'teapot', message: 'short and stout' }).code).toBe('internal');
  });

  it('maps garbage to internal with a generic message', () => {
    expect(toBackendError(undefined)).toMatchObject({ code: 'internal', message: 'Unexpected error' });
  });
});

describe('api calls', () => {
  it('sends snake_case arguments to the right commands', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'get_state') return state;
      if (cmd === 'list_keys') return { keys: [], total: 0, total_exact: true };
      if (cmd === 'create_key') return created();
      if (cmd === 'delete_workspace') return 3;
      if (cmd === 'update_workspace') return {};
      return null;
    });
    expect(await getState()).toEqual(state);
    await listKeys({ workspace_id: WS_ID });
    const result = await createKey({ workspace_id: WS_ID, name: 'CI' });
    expect(result.secret.startsWith('kd_')).toBe(true);
    expect(await deleteWorkspace(WS_ID)).toBe(3);
    await updateWorkspace(WS_ID, { name: 'Renamed' });
    expect(calls).toEqual([
      ['get_state', {}],
      ['list_keys', { filter: { workspace_id: WS_ID } }],
      ['create_key', { input: { workspace_id: WS_ID, name: 'CI' } }],
      ['delete_workspace', { workspace_id: WS_ID, confirmed: true }],
      ['update_workspace', { workspace_id: WS_ID, patch: { name: 'Renamed' } }],
    ]);
  });
});
