import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiKey, KeyPage, User, Workspace } from '../api';
import { apiKey, workspace } from '../test/fixtures';
import { click, render, type, waitFor } from '../test/dom';
import CommandPalette from './CommandPalette.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

const EQUIPE = workspace({ id: '00000000-0000-4000-8000-0000000000e1', name: 'Équipe données' });
const RESEARCH = workspace({ id: '00000000-0000-4000-8000-0000000000e2', name: 'Research' });

function user(name: string, email: string): User {
  return { id: `u-${email}`, email, name, org_role: 'member', created_at: '2025-01-01T00:00:00Z' };
}
const GRACE = user('Grace Hopper', 'grace@example.com');
const LINUS = user('Linus', 'linus@example.com');

interface Backend {
  workspaces?: Workspace[];
  users?: User[] | 'forbidden';
  /** Answers list_keys; may return a promise to control timing. */
  keys?: (search: string) => ApiKey[] | Promise<ApiKey[]>;
}

function fakeBackend(b: Backend = {}) {
  const keySearches: { search: unknown; limit: unknown }[] = [];
  mockIPC(async (cmd, args) => {
    const a = args as Record<string, any>;
    switch (cmd) {
      case 'list_workspaces':
        return b.workspaces ?? [EQUIPE, RESEARCH];
      case 'list_users':
        if (b.users === 'forbidden') throw { code: 'forbidden', message: 'admins only' };
        return b.users ?? [GRACE, LINUS];
      case 'list_keys': {
        keySearches.push({ search: a.filter.search, limit: a.filter.limit });
        const keys = await (b.keys ?? (() => []))(a.filter.search);
        return { keys, total: keys.length, total_exact: true } satisfies KeyPage;
      }
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return { keySearches };
}

function callbacks() {
  return {
    onclose: vi.fn(),
    onworkspace: vi.fn(),
    onmember: vi.fn(),
    onkey: vi.fn(),
    oncreatekey: vi.fn(),
  };
}

function open(cb = callbacks()) {
  const page = render(CommandPalette, { open: true, ...cb });
  const input = page.target.querySelector<HTMLInputElement>('[data-testid="palette-input"]')!;
  return { page, input, cb };
}

function options(root: ParentNode): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>('[role="option"]'));
}

function labels(root: ParentNode): string[] {
  return options(root).map((o) => o.querySelector('.label')?.textContent?.trim() ?? '');
}

function press(target: HTMLElement, key: string) {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  flushSync();
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('CommandPalette', () => {
  it('renders nothing while closed', () => {
    fakeBackend();
    const page = render(CommandPalette, { open: false, ...callbacks() });
    expect(page.target.querySelector('[role="dialog"]')).toBeNull();
  });

  it('opens as a labelled modal with the search input focused', async () => {
    fakeBackend();
    const { page, input } = open();
    const dialog = page.target.querySelector<HTMLElement>('[role="dialog"]')!;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.getElementById(dialog.getAttribute('aria-labelledby')!)?.textContent).toBe('Command palette');
    const label = page.target.querySelector<HTMLLabelElement>(`label[for="${input.id}"]`);
    expect(label?.textContent).toBe('Search workspaces, members and keys');
    await waitFor(() => document.activeElement === input);
    expect(page.target.querySelector('[role="listbox"]')).not.toBeNull();
  });

  it('shows workspaces and create actions on an empty query', async () => {
    fakeBackend();
    const { page } = open();
    await waitFor(() => options(page.target).length > 0);
    expect(labels(page.target)).toEqual([
      'Équipe données',
      'Research',
      'Create key in Équipe données',
      'Create key in Research',
    ]);
    // Members are not listed until something is typed.
    expect(page.target.textContent).not.toContain('Grace Hopper');
  });

  it('filters workspaces case- and accent-insensitively', async () => {
    fakeBackend();
    const { page, input } = open();
    await waitFor(() => labels(page.target).includes('Research'));
    type(input, 'equipe');
    expect(labels(page.target)).toEqual(['Équipe données', 'Create key in Équipe données']);
    type(input, 'DONNEES');
    expect(labels(page.target)).toContain('Équipe données');
    expect(labels(page.target)).not.toContain('Research');
  });

  it('searches keys through list_keys and shows name, hidden key and workspace', async () => {
    const named = apiKey('kd_aaaaaaaaaaaaaaab12', { name: 'CI pipeline', workspace_name: 'Research' });
    const unnamed = apiKey('kd_bbbbbbbbbbbbbbab12', { name: null, workspace_name: 'Équipe données' });
    const backend = fakeBackend({ keys: (s) => (s === 'ab12' ? [named, unnamed] : []) });
    const { page, input } = open();
    type(input, 'ab12');
    await waitFor(() => labels(page.target).includes('CI pipeline'));
    expect(backend.keySearches.at(-1)).toEqual({ search: 'ab12', limit: 8 });
    const keyRows = options(page.target).filter((o) => o.querySelector('.mono'));
    expect(keyRows).toHaveLength(2);
    expect(keyRows[0].querySelector('.mono')?.textContent).toBe(named.hidden_key);
    expect(keyRows[0].textContent).toContain('Research');
    expect(keyRows[1].querySelector('.label')?.textContent).toBe('Unnamed key');
    expect(keyRows[1].textContent).toContain('Équipe données');
    expect(page.target.textContent).toContain('API keys');
  });

  it('debounces the key search: waits ~120 ms after the last keystroke, one call', () => {
    const backend = fakeBackend();
    vi.useFakeTimers();
    try {
      const { input } = open();
      type(input, 'a');
      vi.advanceTimersByTime(60);
      type(input, 'ab');
      vi.advanceTimersByTime(60);
      type(input, 'ab1');
      vi.advanceTimersByTime(100);
      expect(backend.keySearches).toEqual([]);
      vi.advanceTimersByTime(30);
      expect(backend.keySearches).toEqual([{ search: 'ab1', limit: 8 }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores a slower, stale key answer', async () => {
    const slow = deferred<ApiKey[]>();
    const fast = deferred<ApiKey[]>();
    const backend = fakeBackend({ keys: (s) => (s === 'old' ? slow.promise : fast.promise) });
    const { page, input } = open();

    type(input, 'old');
    await waitFor(() => backend.keySearches.some((c) => c.search === 'old'));
    type(input, 'new');
    await waitFor(() => backend.keySearches.some((c) => c.search === 'new'));

    fast.resolve([apiKey('kd_newnewnewnew0001', { name: 'Fresh key' })]);
    await waitFor(() => labels(page.target).includes('Fresh key'));
    slow.resolve([apiKey('kd_oldoldoldold0002', { name: 'Stale key' })]);
    await new Promise((r) => setTimeout(r, 50));
    flushSync();

    expect(labels(page.target)).toContain('Fresh key');
    expect(labels(page.target)).not.toContain('Stale key');
  });

  it('moves the active option with the arrows and runs it with Enter', async () => {
    const cb = callbacks();
    fakeBackend();
    const { page, input } = open(cb);
    await waitFor(() => labels(page.target).includes('Research'));

    // The first option starts active.
    expect(input.getAttribute('aria-activedescendant')).toBe(options(page.target)[0].id);
    press(input, 'ArrowDown');
    const active = options(page.target)[1];
    expect(input.getAttribute('aria-activedescendant')).toBe(active.id);
    expect(active.getAttribute('aria-selected')).toBe('true');
    expect(options(page.target)[0].getAttribute('aria-selected')).toBe('false');

    press(input, 'Enter');
    expect(cb.onworkspace).toHaveBeenCalledTimes(1);
    expect(cb.onworkspace).toHaveBeenCalledWith(RESEARCH);
    expect(cb.onclose).toHaveBeenCalledTimes(1);
    expect(cb.oncreatekey).not.toHaveBeenCalled();
  });

  it('ArrowUp wraps to the last option', async () => {
    const cb = callbacks();
    fakeBackend();
    const { page, input } = open(cb);
    await waitFor(() => labels(page.target).includes('Research'));
    press(input, 'ArrowUp');
    press(input, 'Enter');
    expect(cb.oncreatekey).toHaveBeenCalledWith(RESEARCH);
    expect(cb.onworkspace).not.toHaveBeenCalled();
  });

  it('finds members by name or email and passes the user', async () => {
    const cb = callbacks();
    fakeBackend();
    const { page, input } = open(cb);
    await waitFor(() => labels(page.target).includes('Research'));
    type(input, 'gráce');
    expect(labels(page.target)).toEqual(['Grace Hopper']);
    press(input, 'Enter');
    expect(cb.onmember).toHaveBeenCalledWith(GRACE);

    type(input, 'linus@');
    expect(labels(page.target)).toEqual(['Linus']);
  });

  it('runs a key with ArrowDown + Enter', async () => {
    const cb = callbacks();
    const k1 = apiKey('kd_xxxxxxxxxxxxxxzz99', { name: 'first zz99' });
    const k2 = apiKey('kd_yyyyyyyyyyyyyyzz99', { name: 'second zz99' });
    fakeBackend({ keys: () => [k1, k2] });
    const { page, input } = open(cb);
    type(input, 'zz99');
    await waitFor(() => labels(page.target).includes('second zz99'));
    press(input, 'ArrowDown');
    press(input, 'Enter');
    expect(cb.onkey).toHaveBeenCalledWith(k2);
  });

  it('shows no members, and no error, when listing users is forbidden', async () => {
    fakeBackend({ users: 'forbidden' });
    const { page, input } = open();
    await waitFor(() => labels(page.target).includes('Research'));
    type(input, 'grace');
    await waitFor(() => page.target.textContent?.includes('No matches'));
    expect(page.target.querySelector('[role="alert"]')).toBeNull();
    expect(page.target.textContent).not.toContain('Grace');
  });

  it('says what to try when nothing matches', async () => {
    fakeBackend();
    const { page, input } = open();
    await waitFor(() => labels(page.target).includes('Research'));
    type(input, 'nothing-like-this');
    const status = await waitFor(() => {
      const el = page.target.querySelector('[data-testid="palette-status"]');
      return el?.textContent?.includes('No matches') ? el : null;
    });
    expect(status.textContent).toContain('last 4 characters');
    expect(options(page.target)).toHaveLength(0);
    expect(input.hasAttribute('aria-activedescendant')).toBe(false);
  });

  it('closes on Escape', async () => {
    const cb = callbacks();
    fakeBackend();
    const { input } = open(cb);
    press(input, 'Escape');
    expect(cb.onclose).toHaveBeenCalledTimes(1);
    expect(cb.onworkspace).not.toHaveBeenCalled();
  });

  it('runs "Create key in X" on click', async () => {
    const cb = callbacks();
    fakeBackend();
    const { page, input } = open(cb);
    await waitFor(() => labels(page.target).includes('Research'));
    type(input, 'create res');
    expect(labels(page.target)).toEqual(['Create key in Research']);
    click(options(page.target)[0]);
    expect(cb.oncreatekey).toHaveBeenCalledWith(RESEARCH);
    expect(cb.onclose).toHaveBeenCalledTimes(1);
  });
});
