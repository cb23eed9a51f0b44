// The member drawer lists at most 500 keys and says so when the member has more.

import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKey, User } from '../api';
import { apiKey, state } from '../test/fixtures';
import { byTestId, click, render, waitFor } from '../test/dom';
import KeysPage from './KeysPage.svelte';
import MembersPage from './MembersPage.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

const bob: User = { id: 'bob-id', email: 'bob@example.com', name: 'Bob', org_role: 'member', created_at: '2025-01-01T00:00:00Z' };

function bobKeys(n: number): ApiKey[] {
  return Array.from({ length: n }, (_, i) => apiKey(`kd_bob${String(i).padStart(36, '0')}`, { owner_id: bob.id, owner_email: bob.email }));
}

/** A backend whose list_keys answers with the requested page and the given total. */
function backend(keys: ApiKey[], total: number, exact: boolean) {
  const filters: any[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'list_users') return [state.user, bob];
    if (cmd === 'list_keys') {
      const f = (args as any).filter;
      filters.push(f);
      return { keys: keys.slice(0, f.limit), total, total_exact: exact };
    }
    throw { code: 'internal', message: `unexpected ${cmd}` };
  });
  return filters;
}

async function openBob(props: { onshowkeys?: (userId: string) => void } = {}) {
  const page = render(MembersPage, props);
  const row = await waitFor(() => page.target.querySelector<HTMLElement>('[data-testid="user-row"][data-email="bob@example.com"]'));
  click(byTestId(row, 'open-member'));
  const drawer = await waitFor(() => (byTestId(page.target, 'member-key-row') ? byTestId(page.target, 'member-drawer') : null));
  return { page, drawer };
}

describe('member drawer key count', () => {
  it('says how many of the keys are shown when the member has more than fit', async () => {
    const filters = backend(bobKeys(600), 600, true);
    const { page, drawer } = await openBob();
    expect(filters[0]).toMatchObject({ owner_id: bob.id, limit: 500 });
    expect(drawer.querySelectorAll('[data-testid="member-key-row"]')).toHaveLength(500);
    const note = byTestId(drawer, 'member-keys-partial')!;
    expect(note).not.toBeNull();
    expect(note.textContent).toContain('Showing 500 of 600 keys');
    expect(note.textContent).toContain('bob@example.com as the owner');
    expect(byTestId(drawer, 'member-keys-count')).toBeNull();
    page.destroy();
  });

  it('gives the total as a lower bound when the count is not exact', async () => {
    backend(bobKeys(500), 10_000, false);
    const { page, drawer } = await openBob();
    const note = byTestId(drawer, 'member-keys-partial')!;
    expect(note).not.toBeNull();
    expect(note.textContent).toContain('Showing 500 of 10,000+ keys');
    page.destroy();
  });

  it('shows only the count when every key is listed', async () => {
    backend(bobKeys(3), 3, true);
    const { page, drawer } = await openBob();
    expect(drawer.querySelectorAll('[data-testid="member-key-row"]')).toHaveLength(3);
    expect(byTestId(drawer, 'member-keys-partial')).toBeNull();
    expect(byTestId(drawer, 'member-keys-count')!.textContent).toBe('3 keys');
    expect(drawer.textContent).not.toContain('Showing');
    page.destroy();
  });

  it('opens every key of the member in API keys when the page can', async () => {
    backend(bobKeys(600), 600, true);
    const shown: string[] = [];
    const { page, drawer } = await openBob({ onshowkeys: (id) => shown.push(id) });
    click(byTestId(drawer, 'member-keys-all'));
    expect(shown).toEqual([bob.id]);
    page.destroy();
  });
});

describe('API keys page opened for one owner', () => {
  it('asks the backend for that owner only, and the owner filter shows it', async () => {
    const filters: any[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'list_keys') {
        filters.push((args as any).filter);
        return { keys: bobKeys(2), total: 2, total_exact: true };
      }
      if (cmd === 'list_users') return [state.user, bob];
      if (cmd === 'list_workspaces') return [];
      return null;
    });
    const page = render(KeysPage, { ownerId: bob.id });
    await waitFor(() => filters.length > 0);
    expect(filters[0]).toMatchObject({ owner_id: bob.id });
    await waitFor(() => page.target.querySelector<HTMLSelectElement>('#filter-owner')?.value === bob.id);
    page.destroy();
  });
});
