import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { afterEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import type { ConnectionStatus } from './api';
import { orgStore } from './lib/org.svelte';
import { connectionStatus, PROFILE, state, workspace } from './test/fixtures';
import { byTestId, click, destroyAll, render, waitFor } from './test/dom';

afterEach(() => {
  destroyAll();
  clearMocks();
  orgStore.current = null;
  document.body.innerHTML = '';
});

function remote(over: Partial<ConnectionStatus> = {}): ConnectionStatus {
  return connectionStatus({ kind: 'remote', profile: PROFILE, profiles: [PROFILE], remembered: { kind: 'keychain' }, ...over });
}

/** A backend whose connection the test changes; records the commands. */
function backend(start: ConnectionStatus) {
  const box = { connection: start, calls: [] as string[] };
  mockIPC(
    (cmd, args) => {
      box.calls.push(cmd);
      switch (cmd) {
        case 'connection_status':
          return box.connection;
        case 'get_state':
          if (box.connection.kind === 'signed_out') throw { code: 'unauthorized', message: 'not signed in' };
          return { ...state, mode: box.connection.kind === 'local' ? 'local' : 'remote' };
        case 'list_workspaces':
          return [workspace()];
        case 'monthly_spend':
          return null;
        case 'use_profile':
          box.connection = (args as any).profile_id === null ? { ...remote(), kind: 'local', profile: null } : remote();
          return box.connection;
        case 'sign_out':
          box.connection = remote({ kind: 'signed_out', remembered: null });
          return box.connection;
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );
  return box;
}

describe('main window and its connection', () => {
  it('shows an offline banner with the age of the data, and the sidebar says so too', async () => {
    const fetched = new Date(Date.now() - 5 * 60_000).toISOString();
    backend(remote({ offline: { fetched_at: fetched, age_seconds: 300 } }));
    const { target } = render(App, {});
    const banner = await waitFor(() => byTestId(target, 'offline-banner'));
    expect(banner.textContent).toMatch(/keydesk\.example\.com cannot be reached/);
    expect(banner.textContent).toMatch(/5 minutes ago/);
    expect(banner.textContent).toMatch(/changes are refused/);
    expect(byTestId(target, 'offline-badge')?.textContent).toBe('Offline · data from 5 minutes ago');
  });

  it('says when the session will not be remembered', async () => {
    backend(remote({ remembered: { kind: 'memory_only', reason: 'the system keychain is not available' } }));
    const { target } = render(App, {});
    const banner = await waitFor(() => byTestId(target, 'memory-only-banner'));
    expect(banner.textContent).toMatch(/will not be remembered/);
  });

  it('returns to sign-in with the reason when the backend says the session ended', async () => {
    const box = backend(remote());
    const { target } = render(App, {});
    await waitFor(() => byTestId(target, 'page-workspaces'));
    box.connection = remote({ kind: 'signed_out', remembered: null, notice: 'Your session on keydesk.example.com has ended.' });
    await emit('connection-changed');
    const notice = await waitFor(() => byTestId(target, 'sign-in-notice'));
    expect(notice.textContent).toMatch(/has ended/);
    expect(target.querySelector<HTMLInputElement>('#email')!.value).toBe('ada@example.com');
    expect(byTestId(target, 'page-workspaces')).toBeNull();
  });

  it('signs out from the sidebar to a sign-in screen that keeps the profile', async () => {
    const box = backend(remote());
    const { target } = render(App, {});
    await waitFor(() => byTestId(target, 'sign-out'));
    click(byTestId(target, 'sign-out'));
    await waitFor(() => byTestId(target, 'sign-in'));
    expect(box.calls).toContain('sign_out');
    expect(target.querySelector<HTMLInputElement>('#server-url')!.value).toBe(PROFILE.server_url);
    // Leaving the sign-in screen goes back to the local store.
    click(byTestId(target, 'sign-in-cancel'));
    await waitFor(() => byTestId(target, 'page-workspaces'));
    expect(box.connection.kind).toBe('local');
  });

  it('switches the data source from the sidebar menu, and Escape closes it', async () => {
    const box = backend({ ...remote(), kind: 'local', profile: null });
    const { target } = render(App, {});
    const trigger = await waitFor(() => byTestId<HTMLButtonElement>(target, 'data-source'));
    expect(trigger.textContent).toMatch(/Local store/);
    click(trigger);
    const menu = await waitFor(() => byTestId(target, 'data-source-menu'));
    await waitFor(() => document.activeElement === menu.querySelector('button'));
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await waitFor(() => byTestId(target, 'data-source-menu') === null);
    expect(document.activeElement).toBe(trigger);

    click(trigger);
    const items = [...(await waitFor(() => byTestId(target, 'data-source-menu'))).querySelectorAll<HTMLButtonElement>('button')];
    expect(items.map((b) => b.textContent!.trim())).toEqual(['Local store', 'keydesk.example.com · ada@example.com', 'Sign in to a server…']);
    click(items[1]);
    await waitFor(() => box.calls.includes('use_profile'));
    await waitFor(() => byTestId(target, 'data-source')?.textContent?.includes('keydesk.example.com'));
  });

  it('redraws the page when the server answers again after being offline', async () => {
    const fetched = new Date(Date.now() - 60_000).toISOString();
    const box = backend(remote({ offline: { fetched_at: fetched, age_seconds: 60 } }));
    const { target } = render(App, {});
    await waitFor(() => byTestId(target, 'offline-banner'));
    const before = box.calls.filter((c) => c === 'list_workspaces').length;
    box.connection = remote();
    await emit('connection-changed');
    await waitFor(() => byTestId(target, 'offline-banner') === null);
    await waitFor(() => box.calls.filter((c) => c === 'list_workspaces').length > before);
  });

  it('opens the command palette with Ctrl+K and jumps to the chosen workspace', async () => {
    backend(remote());
    const { target } = render(App, {});
    await waitFor(() => byTestId(target, 'page-workspaces'));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true, bubbles: true }));
    const input = await waitFor(() => document.querySelector<HTMLInputElement>('[data-testid="palette-input"]'));
    await waitFor(() => document.activeElement === input);
    const option = await waitFor(() =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="palette-option"]')].find((o) => o.textContent?.includes('Research')),
    );
    click(option);
    await waitFor(() => byTestId(target, 'page-workspace'));
    expect(document.querySelector('[data-testid="palette-option"]')).toBeNull();
  });
});

describe("an organization member's main window", () => {
  it('opens on their own keys, with no organization pages and no search palette', async () => {
    const filters: unknown[] = [];
    mockIPC(
      (cmd, args) => {
        switch (cmd) {
          case 'connection_status':
            return remote();
          case 'get_state':
            return { ...state, mode: 'remote', user: { ...state.user!, org_role: 'member' } };
          case 'list_keys':
            filters.push((args as any).filter);
            return { keys: [], total: 0, total_exact: true };
          case 'list_workspaces':
            return [workspace()];
          default:
            return null;
        }
      },
      { shouldMockEvents: true },
    );
    const { target } = render(App, {});
    await waitFor(() => byTestId(target, 'page-keys'));
    const nav = [...target.querySelectorAll('[data-testid^="nav-"]')].map((b) => b.textContent?.trim());
    expect(nav).toEqual(['My keys']);
    expect(target.querySelector('h1')?.textContent).toBe('My keys');
    expect(byTestId(target, 'open-palette')).toBeNull();
    // No owner to choose: the list is theirs.
    expect(byTestId(target, 'filter-owner')).toBeNull();
    await waitFor(() => (filters.length > 0 ? true : null));
    // Never the organization's pages, not even for a moment.
    expect(filters).toHaveLength(1);
    expect(filters[0]).toMatchObject({ owner_id: state.user!.id });
  });
});
