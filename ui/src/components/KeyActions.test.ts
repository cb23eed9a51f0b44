import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKey } from '../api';
import { clipboardGuard } from '../lib/clipboard.svelte';
import { apiKey, created, SECRET, workspace } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import KeyDrawer from './KeyDrawer.svelte';
import KeysPage from './KeysPage.svelte';
import RotateKeyDialog from './RotateKeyDialog.svelte';

afterEach(async () => {
  await clipboardGuard.clearNow();
  clearMocks();
  document.body.innerHTML = '';
});

const NEW_SECRET = 'kd_R0t4t3dR0t4t3dR0t4t3dR0t4t3dR0t4t3dzz7777';

function expiredKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return apiKey('kd_expiredexpiredexpiredexpiredexpired0001', {
    name: 'Old batch job',
    status: 'expired',
    expiration_date: '2024-01-31',
    actions: { rotate: { status: 'unavailable', reason: 'key_expired' }, delete: { status: 'available' } },
    ...overrides,
  });
}

/** A backend with keys in memory; `fail` makes a command reject with that payload. */
function backend(keys: ApiKey[], fail: Record<string, unknown> = {}) {
  const calls: Array<[string, any]> = [];
  mockIPC((cmd, args) => {
    const a = args as Record<string, any>;
    calls.push([cmd, a]);
    if (cmd in fail) throw fail[cmd];
    switch (cmd) {
      case 'list_keys':
        return { keys: [...keys], total: keys.length, total_exact: true };
      case 'list_users':
      case 'list_workspaces':
      case 'reachable_connectors':
        return [];
      case 'rotate_key': {
        const result = created(NEW_SECRET, { name: 'rotated' });
        keys.unshift(result.key);
        return result;
      }
      case 'delete_key':
        keys.splice(keys.findIndex((k) => k.key_id === a.key_id), 1);
        return null;
      case 'delete_keys':
        for (const id of a.key_ids) keys.splice(keys.findIndex((k) => k.key_id === id), 1);
        return a.key_ids.length;
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return calls;
}

function describedText(element: Element): string {
  const ids = element.getAttribute('aria-describedby');
  if (!ids) return '';
  return ids
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
}

describe('rotate dialog', () => {
  it("shows the server's grace-period validation error next to the grace field", async () => {
    const message = 'grace_period_seconds must be between 0 and 2592000';
    backend([], { rotate_key: { code: 'validation', message, field: 'grace_period_seconds' } });
    const view = render(RotateKeyDialog, { key: apiKey(SECRET), onrotated: () => {}, onclose: () => {} });
    click(byTestId(view.target, 'rotate-submit'));
    const error = await waitFor(() => view.target.querySelector('#rotate-error'));
    expect(error.textContent).toBe(message);
    const amount = view.target.querySelector<HTMLInputElement>('#rotate-amount')!;
    expect(amount.getAttribute('aria-invalid')).toBe('true');
    expect(describedText(amount)).toBe(message);
    expect(view.target.querySelector('.form-error')).toBeNull();
    view.destroy();
  });

  it('shows an error that is not about the grace period at the top of the dialog', async () => {
    backend([], { rotate_key: { code: 'not_found', message: 'no such key' } });
    const view = render(RotateKeyDialog, { key: apiKey(SECRET), onrotated: () => {}, onclose: () => {} });
    click(byTestId(view.target, 'rotate-submit'));
    const alert = await waitFor(() => view.target.querySelector('[role="alert"]'));
    expect(alert.textContent).toContain('no such key');
    expect(view.target.querySelector('#rotate-error')).toBeNull();
    view.destroy();
  });
});

describe('rename in the key drawer', () => {
  it('shows a name validation error next to the name field, not as an alert', async () => {
    const message = 'name must not contain control characters';
    backend([], { rename_key: { code: 'validation', message, field: 'name' } });
    const view = render(KeyDrawer, { key: apiKey(SECRET, { name: 'CI' }), onrenamed: () => {}, onclose: () => {} });
    type(byTestId<HTMLInputElement>(view.target, 'rename-input'), 'bad\u0007name');
    click(byTestId(view.target, 'rename-submit'));
    const error = await waitFor(() => view.target.querySelector('#rename-key-error'));
    expect(error.textContent).toBe(message);
    expect(describedText(byTestId(view.target, 'rename-input')!)).toBe(message);
    expect(byTestId(view.target, 'key-drawer-error')).toBeNull();
    view.destroy();
  });

  it.each([
    ['not_found', 'key 123 not found', /no longer exists/],
    ['forbidden', 'only the owner or an admin may rename', /Not allowed/],
    ['unavailable', 'the server cannot be reached', /cannot be reached/],
  ])('shows a %s error as the drawer alert, not under the name field', async (code, message, shown) => {
    backend([], { rename_key: { code, message } });
    const view = render(KeyDrawer, { key: apiKey(SECRET, { name: 'CI' }), onrenamed: () => {}, onclose: () => {} });
    type(byTestId<HTMLInputElement>(view.target, 'rename-input'), 'Deploy bot');
    click(byTestId(view.target, 'rename-submit'));
    const alert = await waitFor(() => byTestId(view.target, 'key-drawer-error'));
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toMatch(shown);
    expect(alert.textContent).toContain(message);
    expect(view.target.querySelector('#rename-key-error')).toBeNull();
    expect(byTestId(view.target, 'rename-input')!.getAttribute('aria-invalid')).toBeNull();
    view.destroy();
  });
});

describe('monthly budget in the key drawer', () => {
  it('sends dollars as micro-USD and shows the saved budget', async () => {
    const calls = backend([]);
    mockIPC((cmd, args) => {
      const a = args as Record<string, any>;
      calls.push([cmd, a]);
      if (cmd === 'reachable_connectors') return [];
      if (cmd === 'set_key_budget') return apiKey(SECRET, { name: 'CI', monthly_budget_micros: a.budget_micros });
      throw { code: 'internal', message: `unexpected ${cmd}` };
    });
    let shown: ApiKey | null = null;
    const key = apiKey(SECRET, { name: 'CI' });
    const view = render(KeyDrawer, { key, onrenamed: (k: ApiKey) => (shown = k), onclose: () => {} });
    expect(byTestId(view.target, 'key-budget')!.textContent).toMatch(/None/);
    type(byTestId<HTMLInputElement>(view.target, 'budget-input'), '25.50');
    click(byTestId(view.target, 'budget-submit'));
    await waitFor(() => shown);
    expect(calls.find(([c]) => c === 'set_key_budget')![1]).toEqual({ key_id: key.key_id, budget_micros: 25_500_000 });
    expect(shown!.monthly_budget_micros).toBe(25_500_000);
    view.destroy();
  });

  it('refuses an amount that is not dollars next to the field, without calling the backend', async () => {
    const calls = backend([]);
    const view = render(KeyDrawer, { key: apiKey(SECRET, { name: 'CI' }), onrenamed: () => {}, onclose: () => {} });
    type(byTestId<HTMLInputElement>(view.target, 'budget-input'), 'twenty');
    click(byTestId(view.target, 'budget-submit'));
    const error = await waitFor(() => view.target.querySelector('#key-budget-error'));
    expect(error.textContent).toMatch(/amount in dollars/);
    expect(calls.some(([c]) => c === 'set_key_budget')).toBe(false);
    view.destroy();
  });

  it("shows the backend's refusal of a member next to the budget field", async () => {
    const message = 'only workspace admins can do this';
    backend([], { set_key_budget: { code: 'forbidden', message } });
    const view = render(KeyDrawer, { key: apiKey(SECRET, { name: 'CI' }), onrenamed: () => {}, onclose: () => {} });
    type(byTestId<HTMLInputElement>(view.target, 'budget-input'), '10');
    click(byTestId(view.target, 'budget-submit'));
    const error = await waitFor(() => view.target.querySelector('#key-budget-error'));
    expect(error.textContent).toBe(message);
    expect(byTestId(view.target, 'key-drawer-error')).toBeNull();
    view.destroy();
  });
});

describe('unavailable key actions say why', () => {
  it("keeps an expired key's Rotate focusable but inert, described by the expiry reason", async () => {
    const calls = backend([expiredKey()]);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    const rotate = await waitFor(() => byTestId<HTMLButtonElement>(page.target, 'rotate-key'));
    expect(rotate.disabled).toBe(false);
    expect(rotate.getAttribute('aria-disabled')).toBe('true');
    expect(describedText(rotate)).toMatch(/expired key cannot be rotated/i);
    rotate.focus();
    expect(document.activeElement).toBe(rotate);
    click(rotate);
    expect(byTestId(page.target, 'rotate-dialog')).toBeNull();
    expect(calls.some(([c]) => c === 'rotate_key')).toBe(false);
    page.destroy();
  });

  it('says why a key cannot be selected for bulk delete', async () => {
    backend([apiKey(SECRET, { name: 'Not mine', actions: { rotate: { status: 'available' }, delete: { status: 'unavailable', reason: 'not_allowed' } } })]);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    const checkbox = await waitFor(() => byTestId<HTMLInputElement>(page.target, 'select-key'));
    expect(checkbox.disabled).toBe(true);
    expect(describedText(checkbox)).toMatch(/not allowed to delete/);
    expect(checkbox.title).toMatch(/not allowed to delete/);
    const remove = byTestId<HTMLButtonElement>(page.target, 'delete-key')!;
    expect(remove.getAttribute('aria-disabled')).toBe('true');
    expect(describedText(remove)).toMatch(/not allowed to delete/);
    page.destroy();
  });

  it("shows the expiry reason as text beside the drawer's Rotate and leaves Delete usable", async () => {
    const key = expiredKey();
    const keys = [key];
    const calls = backend(keys);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    click(await waitFor(() => byTestId(page.target, 'key-details')));
    const drawer = await waitFor(() => byTestId(page.target, 'key-drawer'));
    const rotate = byTestId<HTMLButtonElement>(drawer, 'drawer-rotate')!;
    expect(rotate.getAttribute('aria-disabled')).toBe('true');
    const reason = document.getElementById(rotate.getAttribute('aria-describedby')!)!;
    expect(reason.textContent).toBe('An expired key cannot be rotated.');
    expect(reason.className).not.toContain('tip');
    click(rotate);
    expect(byTestId(page.target, 'rotate-dialog')).toBeNull();

    const remove = byTestId<HTMLButtonElement>(drawer, 'drawer-delete')!;
    expect(remove.getAttribute('aria-disabled')).toBeNull();
    click(remove);
    click(remove);
    await waitFor(() => byTestId(page.target, 'key-drawer') === null);
    await waitFor(() => page.target.textContent?.includes('No API keys yet'));
    expect(calls.find(([c]) => c === 'delete_key')![1]).toEqual({ key_id: key.key_id });
    expect(page.target.querySelector('[role="status"]')!.textContent).toContain('Old batch job deleted');
    page.destroy();
  });

  it('rotates from the drawer and shows the new key once', async () => {
    backend([apiKey(SECRET, { name: 'CI' })]);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    click(await waitFor(() => byTestId(page.target, 'key-details')));
    click(await waitFor(() => byTestId(page.target, 'drawer-rotate')));
    click(await waitFor(() => byTestId(page.target, 'rotate-submit')));
    const secret = await waitFor(() => byTestId<HTMLInputElement>(page.target, 'reveal-secret'));
    expect(secret.value).toBe(NEW_SECRET);
    expect(byTestId(page.target, 'key-drawer')).toBeNull();
    click(byTestId(page.target, 'reveal-close'));
    await waitFor(() => byTestId(page.target, 'reveal-dialog') === null);
    expect(document.body.innerHTML).not.toContain(NEW_SECRET);
    page.destroy();
  });

  it('shows a failed delete in the drawer as its alert', async () => {
    backend([apiKey(SECRET, { name: 'CI' })], { delete_key: { code: 'forbidden', message: 'only an admin may delete it' } });
    const view = render(KeyDrawer, { key: apiKey(SECRET, { name: 'CI' }), onrenamed: () => {}, onclose: () => {} });
    const remove = byTestId(view.target, 'drawer-delete')!;
    click(remove);
    click(remove);
    const alert = await waitFor(() => byTestId(view.target, 'key-drawer-error'));
    expect(alert.textContent).toBe('Not allowed: only an admin may delete it');
    view.destroy();
  });
});

describe('focus after deleting', () => {
  it('moves focus to the search field when the deleted key’s row goes away', async () => {
    backend([apiKey(SECRET, { name: 'Old' }), apiKey('kd_keepkeepkeepkeepkeepkeepkeepkeepkeep0002', { name: 'Keep' })]);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    await waitFor(() => page.target.querySelectorAll('[data-testid="key-row"]').length === 2);
    const button = byTestId<HTMLButtonElement>(page.target, 'delete-key')!;
    button.focus();
    click(button);
    click(button);
    await waitFor(() => page.target.querySelectorAll('[data-testid="key-row"]').length === 1);
    await waitFor(() => document.activeElement === byTestId(page.target, 'key-search'));
    page.destroy();
  });

  it('moves focus to the search field after a bulk delete', async () => {
    backend([apiKey(SECRET), apiKey('kd_keepkeepkeepkeepkeepkeepkeepkeepkeep0002')]);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    await waitFor(() => page.target.querySelectorAll('[data-testid="key-row"]').length === 2);
    click(byTestId(page.target, 'select-matching'));
    await waitFor(() => byTestId(page.target, 'selected-count'));
    click(byTestId(page.target, 'bulk-delete'));
    click(await waitFor(() => byTestId(page.target, 'bulk-confirm')));
    await waitFor(() => page.target.textContent?.includes('No API keys yet'));
    await waitFor(() => document.activeElement === byTestId(page.target, 'key-search'));
    page.destroy();
  });
});
