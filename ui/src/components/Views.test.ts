import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKey, User } from '../api';
import { clipboardGuard } from '../lib/clipboard.svelte';
import { orgStore } from '../lib/org.svelte';
import { apiKey, created, SECRET, state, USER_ID, workspace } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import CreateKeyDialog from './CreateKeyDialog.svelte';
import KeysPage from './KeysPage.svelte';
import MembersPage from './MembersPage.svelte';
import WorkspaceSettings from './WorkspaceSettings.svelte';

afterEach(async () => {
  await clipboardGuard.clearNow();
  clearMocks();
  orgStore.current = null;
  document.body.innerHTML = '';
});

/** Picks an option the way a user does: selected option, then a bubbling change. */
function choose(select: HTMLSelectElement, value: string) {
  for (const option of select.options) option.selected = option.value === value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  flushSync();
}

const NEW_SECRET = 'kd_N3wN3wN3wN3wN3wN3wN3wN3wN3wN3wN3wzz9999';

function backend(keys: ApiKey[], users: User[] = []) {
  const calls: Array<[string, any]> = [];
  mockIPC((cmd, args) => {
    const a = args as Record<string, any>;
    calls.push([cmd, a]);
    switch (cmd) {
      case 'list_keys': {
        const f = a.filter ?? {};
        let list = keys.filter((k) => (!f.status || k.status === f.status) && (!f.owner_id || k.owner_id === f.owner_id));
        const all = list.length;
        list = list.slice(f.offset ?? 0, (f.offset ?? 0) + (f.limit ?? 100));
        return { keys: list, total: all, total_exact: true };
      }
      case 'list_workspaces':
        return [workspace()];
      case 'list_users':
        return users;
      case 'rotate_key': {
        const old = keys.find((k) => k.key_id === a.key_id)!;
        old.delete_after = new Date(Date.now() + a.grace_seconds * 1000).toISOString();
        const result = created(NEW_SECRET, { name: old.name });
        keys.unshift(result.key);
        return result;
      }
      case 'delete_keys': {
        for (const id of a.key_ids) keys.splice(keys.findIndex((k) => k.key_id === id), 1);
        return a.key_ids.length;
      }
      case 'update_workspace':
        return workspace({ monthly_spend_limit_micros: a.patch.monthly_spend_limit_micros });
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return calls;
}

describe('rotate with a grace period', () => {
  it('sends the grace in seconds, shows the new key once, lists both', async () => {
    const keys = [apiKey('kd_oldoldoldoldoldoldoldoldoldoldoldold1111', { name: 'CI' })];
    const calls = backend(keys);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    click(await waitFor(() => byTestId(page.target, 'rotate-key')));
    click(await waitFor(() => byTestId(page.target, 'rotate-grace')));
    type(page.target.querySelector<HTMLInputElement>('#rotate-amount'), '2');
    click(byTestId(page.target, 'rotate-submit'));
    const secret = await waitFor(() => byTestId<HTMLInputElement>(page.target, 'reveal-secret'));
    expect(secret.value).toBe(NEW_SECRET);
    expect(calls.find(([c]) => c === 'rotate_key')![1]).toEqual({ key_id: keys[1].key_id, grace_seconds: 7200 });
    click(byTestId(page.target, 'reveal-close'));
    await waitFor(() => page.target.querySelectorAll('[data-testid="key-row"]').length === 2);
    expect(document.body.innerHTML).not.toContain(NEW_SECRET);
    page.destroy();
  });

  it('refuses a grace period beyond 30 days next to the field', async () => {
    backend([apiKey('kd_oldoldoldoldoldoldoldoldoldoldoldold1111')]);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    click(await waitFor(() => byTestId(page.target, 'rotate-key')));
    type(await waitFor(() => page.target.querySelector<HTMLInputElement>('#rotate-amount')), '45');
    choose(page.target.querySelector<HTMLSelectElement>('#rotate-unit')!, 'days');
    click(byTestId(page.target, 'rotate-submit'));
    await waitFor(() => page.target.querySelector('#rotate-error'));
    page.destroy();
  });
});

describe('bulk delete', () => {
  it('selects every expired key and deletes them after one confirmation with the count', async () => {
    const keys = [
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0001', { status: 'expired' }),
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0002', { status: 'expired' }),
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0003'),
    ];
    const calls = backend(keys);
    const page = render(KeysPage, {});
    await waitFor(() => page.target.querySelectorAll('[data-testid="key-row"]').length === 3);
    const status = byTestId<HTMLSelectElement>(page.target, 'filter-status')!;
    choose(status, 'expired');
    await waitFor(() => page.target.querySelectorAll('[data-testid="key-row"]').length === 2);
    click(byTestId(page.target, 'select-matching'));
    await waitFor(() => byTestId(page.target, 'selected-count')?.textContent === '2 keys selected');
    click(byTestId(page.target, 'bulk-delete'));
    expect(byTestId(page.target, 'bulk-consequence')!.textContent).toContain('2 keys will stop working immediately.');
    expect(calls.some(([c]) => c === 'delete_keys')).toBe(false);
    click(byTestId(page.target, 'bulk-confirm'));
    await waitFor(() => page.target.textContent?.includes('No key matches these filters'));
    expect(keys).toHaveLength(1);
    page.destroy();
  });
});

describe('create key dialog', () => {
  it('limits the date picker to the policy and explains the clamp', async () => {
    orgStore.current = { ...state.organization!, key_max_days: 90 };
    backend([]);
    const dialog = render(CreateKeyDialog, { workspace: workspace({ key_max_days: 30 }), oncreated: () => {}, onclose: () => {} });
    const input = dialog.target.querySelector<HTMLInputElement>('#key-expiration')!;
    const expected = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    expect(input.max).toBe(expected);
    expect(byTestId(dialog.target, 'expiry-policy')!.textContent).toMatch(/at most 30 days/);
    // Only Studio and Vibe can be created; the legacy type is never offered.
    const types = [...dialog.target.querySelectorAll<HTMLInputElement>('input[name="key-type"]')].map((i) => i.value);
    expect(types).toEqual(['API', 'Vibe']);
    const scope = dialog.target.querySelector<HTMLInputElement>('input[name="key-scope"]:checked')!;
    expect(scope.value).toBe('shared');
    dialog.destroy();
  });
});

describe('workspace settings', () => {
  it('refuses a limit above the organization limit next to the field, without calling the backend', async () => {
    orgStore.current = { ...state.organization!, monthly_spend_limit_micros: 100_000_000 };
    const calls = backend([]);
    const view = render(WorkspaceSettings, { workspace: workspace(), onsaved: () => {} });
    type(view.target.querySelector<HTMLInputElement>('#ws-limit'), '150');
    click(byTestId(view.target, 'ws-settings-save'));
    const error = await waitFor(() => byTestId(view.target, 'ws-limit-error'));
    expect(error.textContent).toMatch(/organization's monthly limit/);
    expect(calls.some(([c]) => c === 'update_workspace')).toBe(false);
    type(view.target.querySelector<HTMLInputElement>('#ws-limit'), '80');
    click(byTestId(view.target, 'ws-settings-save'));
    await waitFor(() => byTestId(view.target, 'ws-settings-saved'));
    expect(calls.find(([c]) => c === 'update_workspace')![1].patch.monthly_spend_limit_micros).toBe(80_000_000);
    view.destroy();
  });
});

describe('member details', () => {
  it("lists that member's keys", async () => {
    const bob: User = { id: 'bob-id', email: 'bob@example.com', name: 'Bob', org_role: 'member', created_at: '2025-01-01T00:00:00Z' };
    const ada = state.user!;
    const keys = [apiKey(SECRET, { owner_id: USER_ID }), apiKey('kd_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbob1', { owner_id: 'bob-id', product: 'Vibe' })];
    backend(keys, [ada, bob]);
    const page = render(MembersPage, {});
    const rows = await waitFor(() => {
      const r = page.target.querySelectorAll<HTMLElement>('[data-testid="user-row"]');
      return r.length === 2 ? r : null;
    });
    click(byTestId(rows[1], 'open-member'));
    await waitFor(() => byTestId(page.target, 'member-key-row'));
    const shown = [...page.target.querySelectorAll('[data-testid="member-key-hidden"]')].map((e) => e.textContent);
    expect(shown).toEqual(['kd_b...bob1']);
    expect(byTestId(page.target, 'member-drawer')!.textContent).toContain('Vibe');
    page.destroy();
  });
});

describe('audit log filters', () => {
  it('sends actor, action, target and a date range; refuses a malformed target id next to the field', async () => {
    const calls: any[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'list_users') return [state.user];
      if (cmd === 'list_audit') {
        calls.push((args as any).filter);
        return [
          {
            id: 'e1', at: '2025-01-01T00:00:00Z', actor_id: USER_ID, actor_email: 'ada@example.com',
            action: 'api_key.renamed', target_type: 'api_key', target_id: null, before: { name: 'a' }, after: { name: 'b' },
          },
        ];
      }
      throw { code: 'internal', message: cmd };
    });
    const { default: AuditPage } = await import('./AuditPage.svelte');
    const page = render(AuditPage, {});
    await waitFor(() => page.target.querySelector('[data-testid="audit-row"]'));
    expect(page.target.textContent).toContain('"name": "b"');
    type(page.target.querySelector<HTMLInputElement>('#audit-target'), 'not-a-uuid');
    click(page.target.querySelector<HTMLButtonElement>('button[type="submit"]'));
    await waitFor(() => page.target.querySelector('#audit-target-error'));
    expect(calls).toHaveLength(1);
    type(page.target.querySelector<HTMLInputElement>('#audit-target'), '');
    type(page.target.querySelector<HTMLInputElement>('#audit-action'), 'api_key.deleted');
    type(page.target.querySelector<HTMLInputElement>('#audit-since'), '2025-01-01');
    click(page.target.querySelector<HTMLButtonElement>('button[type="submit"]'));
    await waitFor(() => calls.length === 2);
    expect(calls[1]).toMatchObject({ action: 'api_key.deleted', target_id: null, limit: 100, offset: 0 });
    expect(typeof calls[1].since).toBe('string');
    page.destroy();
  });
});

describe('reveal once', () => {
  it('copies the .env line and shows the clipboard countdown', async () => {
    const writes: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'copy_secret') {
        writes.push((args as any).secret);
        return { clears_in_seconds: 60 };
      }
      if (cmd === 'list_keys') return { keys: [], total: 0, total_exact: true };
      if (cmd === 'create_key') return created(SECRET);
      return [];
    });
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    click(await waitFor(() => byTestId(page.target, 'create-key')));
    click(await waitFor(() => byTestId(page.target, 'create-key-submit')));
    await waitFor(() => byTestId(page.target, 'reveal-secret'));
    const envButton = [...page.target.querySelectorAll('button')].find((b) => b.textContent?.includes('.env line'))!;
    click(envButton);
    await waitFor(() => writes.length === 1);
    expect(writes[0]).toBe(`MISTRAL_API_KEY=${SECRET}`);
    const countdown = await waitFor(() => byTestId(page.target, 'clipboard-countdown'));
    expect(countdown.textContent).toMatch(/Clipboard clears in 60 s/);
    click(byTestId(page.target, 'reveal-close'));
    await waitFor(() => byTestId(page.target, 'reveal-dialog') === null);
    expect(document.body.innerHTML).not.toContain(SECRET);
    page.destroy();
  });
});

describe('key details drawer', () => {
  it('lists the connectors the key reaches and renames it, validating the length first', async () => {
    const key = apiKey(SECRET, { name: 'CI', connector_scope: 'private_and_shared' });
    const calls: Array<[string, any]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'reachable_connectors')
        return [{ id: 'c1', name: 'Drive', owner_id: USER_ID, workspace_id: key.workspace_id, visibility: 'private', created_at: '2025-01-01T00:00:00Z' }];
      if (cmd === 'rename_key') return { ...key, name: (args as any).name };
      throw { code: 'internal', message: cmd };
    });
    const { default: KeyDrawer } = await import('./KeyDrawer.svelte');
    let renamed: string | null = null;
    const view = render(KeyDrawer, { key, onclose: () => {}, onrenamed: (k: ApiKey) => (renamed = k.name) });
    const list = await waitFor(() => byTestId(view.target, 'reachable-connectors'));
    expect(list.textContent).toContain('Drive');
    expect(view.target.textContent).toContain('Private and shared connectors');
    type(byTestId<HTMLInputElement>(view.target, 'rename-input'), 'x'.repeat(256));
    click(byTestId(view.target, 'rename-submit'));
    await waitFor(() => view.target.querySelector('#rename-key-error'));
    expect(calls.some(([c]) => c === 'rename_key')).toBe(false);
    type(byTestId<HTMLInputElement>(view.target, 'rename-input'), 'Deploy bot');
    click(byTestId(view.target, 'rename-submit'));
    await waitFor(() => renamed === 'Deploy bot');
    view.destroy();
  });
});

describe('workspace detail tabs', () => {
  it('moves between tabs with the arrow keys', async () => {
    backend([]);
    const { default: WorkspaceDetail } = await import('./WorkspaceDetail.svelte');
    const view = render(WorkspaceDetail, { workspace: workspace(), onback: () => {} });
    const keysTab = byTestId(view.target, 'tab-keys')!;
    expect(keysTab.getAttribute('aria-selected')).toBe('true');
    keysTab.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    flushSync();
    expect(byTestId(view.target, 'tab-settings')!.getAttribute('aria-selected')).toBe('true');
    await waitFor(() => byTestId(view.target, 'workspace-settings'));
    view.destroy();
  });
});
