import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionStatus, KeyFilter } from '../api';
import { apiKey, state, USER_ID } from '../test/fixtures';
import { byTestId, render, type, waitFor } from '../test/dom';
import TrayApp from './TrayApp.svelte';

const LOCAL: ConnectionStatus = { kind: 'local', profile: null, profiles: [], remembered: null, offline: null, notice: null };

function inDays(days: number): string {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

let rendered: { destroy(): void } | undefined;

afterEach(() => {
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
