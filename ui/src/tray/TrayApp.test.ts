import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKey, ConnectionStatus, KeyFilter, NewKey, Preferences } from '../api';
import { apiKey, created, SECRET, state, USER_ID, workspace } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import { clipboardGuard } from '../lib/clipboard.svelte';
import TrayApp from './TrayApp.svelte';

const LOCAL: ConnectionStatus = { kind: 'local', profile: null, profiles: [], remembered: null, offline: null, notice: null, team: null };

function inDays(days: number): string {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

let rendered: { destroy(): void } | undefined;

afterEach(async () => {
  await clipboardGuard.clearNow();
  rendered?.destroy();
  rendered = undefined;
  clearMocks();
  document.body.innerHTML = '';
});

/** A backend answering the tray's three reads; records the key filters asked for. */
function fakeBackend(keys = [
  apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaLATE', { name: 'Later', expiration_date: inDays(40) }),
  apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaSOON', { name: 'Soon', expiration_date: inDays(3) }),
]) {
  const filters: KeyFilter[] = [];
  mockIPC((cmd, args) => {
    switch (cmd) {
      case 'get_state':
        return state;
      case 'connection_status':
        return LOCAL;
      case 'list_keys':
        filters.push((args as { filter: KeyFilter }).filter);
        return { keys, total: keys.length, total_exact: true };
      case 'plugin:event|listen':
        return 1;
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return { filters };
}

describe('the tray window', () => {
  it('asks the backend for the signed-in user’s keys only', async () => {
    const { filters } = fakeBackend();
    rendered = render(TrayApp, {});
    await waitFor(() => document.querySelectorAll('[data-testid="tray-key"]').length === 2);
    expect(filters[0]?.owner_id).toBe(USER_ID);
    expect(byTestId(document, 'tray-where')?.textContent).toContain('Local store');
  });

  it('lists the soonest expiry first, hidden, with a warning under 7 days', async () => {
    fakeBackend();
    rendered = render(TrayApp, {});
    await waitFor(() => document.querySelectorAll('[data-testid="tray-key"]').length === 2);
    const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="tray-key"]')];
    expect(rows.map((r) => r.dataset.name)).toEqual(['Soon', 'Later']);
    const soon = byTestId(rows[0], 'tray-key-expiry');
    expect(soon?.textContent?.trim()).toBe('in 3 days');
    expect(soon?.dataset.tone).toBe('warning');
    expect(byTestId(rows[1], 'tray-key-expiry')?.dataset.tone).toBe('ok');
    expect(byTestId(rows[0], 'tray-key-hidden')?.textContent).toBe('kd_a...SOON');
  });

  it('narrows the list by name or last 4 and says when nothing matches', async () => {
    fakeBackend();
    rendered = render(TrayApp, {});
    await waitFor(() => document.querySelectorAll('[data-testid="tray-key"]').length === 2);
    const search = byTestId<HTMLInputElement>(document, 'tray-search');
    type(search, 'late');
    expect([...document.querySelectorAll<HTMLElement>('[data-testid="tray-key"]')].map((r) => r.dataset.name)).toEqual(['Later']);
    type(search, 'soon');
    expect([...document.querySelectorAll<HTMLElement>('[data-testid="tray-key"]')].map((r) => r.dataset.name)).toEqual(['Soon']);
    type(search, 'nothing like it');
    expect(byTestId(document, 'tray-empty')?.textContent).toContain('No key matches');
  });

  it('says what to do when the user has no key yet', async () => {
    fakeBackend([]);
    rendered = render(TrayApp, {});
    const empty = await waitFor(() => byTestId(document, 'tray-empty'));
    expect(empty.textContent).toContain('no keys yet');
  });
});

/** "New key", once the user is known (it is disabled before). */
function newKeyButton() {
  return waitFor(() => {
    const button = byTestId<HTMLButtonElement>(document, 'tray-new-key-open');
    return button && !button.disabled ? button : null;
  });
}

/** A backend for the tray's writes: keys in memory, what was created, copied, saved and set. */
function writableBackend(keys: ApiKey[] = []) {
  const seen = { created: [] as NewKey[], copied: [] as string[], saved: [] as string[], deleted: [] as string[], preferences: [] as Preferences[], atLogin: false };
  let preferences: Preferences = { notify_key_expiry: true, notify_spend_alerts: true, notify_session_expired: true };
  mockIPC((cmd, args) => {
    const a = args as any;
    switch (cmd) {
      case 'get_state':
        return state;
      case 'connection_status':
        return LOCAL;
      case 'list_keys':
        return { keys, total: keys.length, total_exact: true };
      case 'list_workspaces':
        return [workspace({ id: 'ws-default', name: 'Default', is_default: true }), workspace({ key_max_days: 60 })];
      case 'create_key': {
        seen.created.push(a.input);
        const result = created(SECRET, { name: a.input.name, workspace_name: 'Research', expiration_date: a.input.expiration });
        keys.push(result.key);
        return result;
      }
      case 'delete_key':
        seen.deleted.push(a.key_id);
        keys.splice(keys.findIndex((k) => k.key_id === a.key_id), 1);
        return null;
      case 'copy_secret':
        seen.copied.push(a.secret);
        return { clears_in_seconds: 60 };
      case 'clear_copied_secret':
        return true;
      case 'save_env_file':
        seen.saved.push(a.secret);
        return { path: '/home/ada/project/.env', created: true, replaced: false };
      case 'get_preferences':
        return preferences;
      case 'set_preferences':
        preferences = a.preferences;
        seen.preferences.push(a.preferences);
        return preferences;
      case 'start_at_login':
        return seen.atLogin;
      case 'set_start_at_login':
        seen.atLogin = a.enabled;
        return seen.atLogin;
      case 'plugin:event|listen':
        return 1;
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return seen;
}

describe('a new key from the tray', () => {
  it('is created in the remembered workspace with the chosen preset, then revealed once with Copy, .env line and Save', async () => {
    localStorage.setItem('keydesk.tray.lastWorkspace', 'ws-default');
    const seen = writableBackend();
    rendered = render(TrayApp, {});
    click(await newKeyButton());
    const select = await waitFor(() => byTestId<HTMLSelectElement>(document, 'tray-new-key-workspace'));
    expect(select.value).toBe('ws-default');
    type(byTestId(document, 'tray-new-key-name'), 'laptop');
    click(byTestId(document, 'tray-new-key-expiry-30'));
    click(byTestId(document, 'tray-new-key-vibe'));
    click(byTestId(document, 'tray-new-key-submit'));

    const secret = await waitFor(() => byTestId<HTMLInputElement>(document, 'tray-reveal-secret'));
    expect(secret.value).toBe(SECRET);
    expect(seen.created[0]).toMatchObject({ workspace_id: 'ws-default', name: 'laptop', product: 'Vibe', connector_scope: 'shared' });
    expect(seen.created[0].expiration).toBe(new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10));
    expect(localStorage.getItem('keydesk.tray.lastWorkspace')).toBe('ws-default');

    click(byTestId(document, 'tray-reveal-copy'));
    await waitFor(() => seen.copied.length === 1);
    expect(seen.copied[0]).toBe(SECRET);
    expect((await waitFor(() => byTestId(document, 'tray-clipboard-countdown'))).textContent).toMatch(/clears in 60 s/);
    click(byTestId(document, 'tray-reveal-copy-env'));
    await waitFor(() => seen.copied.length === 2);
    expect(seen.copied[1]).toBe(`MISTRAL_API_KEY=${SECRET}`);
    click(byTestId(document, 'tray-reveal-save-env'));
    expect((await waitFor(() => byTestId(document, 'tray-reveal-saved'))).textContent).toContain('readable only by you');
    expect(seen.saved).toEqual([SECRET]);

    click(byTestId(document, 'tray-reveal-done'));
    await waitFor(() => document.querySelectorAll('[data-testid="tray-key"]').length === 1);
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('offers only the expiry choices the workspace policy allows', async () => {
    localStorage.setItem('keydesk.tray.lastWorkspace', workspace().id);
    writableBackend();
    rendered = render(TrayApp, {});
    click(await newKeyButton());
    await waitFor(() => byTestId(document, 'tray-new-key-workspace'));
    const choices = [...document.querySelectorAll<HTMLInputElement>('input[name="tray-key-expiry"]')].map((i) => i.value);
    expect(choices).toEqual(['30', 'max']);
    expect(document.querySelector('[data-testid="tray-new-key"]')?.textContent).toContain('60 days (policy maximum)');
  });

  it('shows a refusal next to the field the backend names and keeps the form', async () => {
    writableBackend();
    mockIPC((cmd) => {
      if (cmd === 'list_workspaces') return [workspace()];
      if (cmd === 'create_key') throw { code: 'validation', message: 'name is too long', field: 'name' };
      if (cmd === 'get_state') return state;
      if (cmd === 'connection_status') return LOCAL;
      if (cmd === 'list_keys') return { keys: [], total: 0, total_exact: true };
      return 1;
    });
    rendered = render(TrayApp, {});
    click(await newKeyButton());
    type(await waitFor(() => byTestId<HTMLInputElement>(document, 'tray-new-key-name')), 'x');
    click(byTestId(document, 'tray-new-key-submit'));
    expect((await waitFor(() => byTestId(document, 'tray-new-key-name-error'))).textContent).toBe('name is too long');
    expect(byTestId<HTMLInputElement>(document, 'tray-new-key-name')?.value).toBe('x');
  });
});

describe('deleting a key from the tray', () => {
  it('takes a second click to confirm', async () => {
    const keys = [apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaGONE', { name: 'Old' })];
    const seen = writableBackend(keys);
    rendered = render(TrayApp, {});
    const button = await waitFor(() => byTestId<HTMLButtonElement>(document, 'tray-key-delete'));
    click(button);
    expect(button.textContent?.trim()).toBe('Click again to confirm');
    expect(seen.deleted).toEqual([]);
    click(button);
    await waitFor(() => seen.deleted.length === 1);
    await waitFor(() => byTestId(document, 'tray-empty'));
  });
});

describe('the tray settings', () => {
  it('turn a kind of notification off and starting at login on, each saved at once', async () => {
    const seen = writableBackend();
    rendered = render(TrayApp, {});
    click(await waitFor(() => byTestId<HTMLButtonElement>(document, 'tray-settings-open')));
    const expiry = await waitFor(() => {
      const box = byTestId<HTMLInputElement>(document, 'tray-setting-notify_key_expiry');
      return box && !box.disabled ? box : null;
    });
    expect(expiry.checked).toBe(true);
    const atLogin = byTestId<HTMLInputElement>(document, 'tray-setting-start-at-login')!;
    expect(atLogin.checked).toBe(false);
    click(expiry);
    await waitFor(() => seen.preferences.length === 1);
    expect(seen.preferences[0]).toEqual({ notify_key_expiry: false, notify_spend_alerts: true, notify_session_expired: true });
    click(atLogin);
    await waitFor(() => seen.atLogin);
  });
});
