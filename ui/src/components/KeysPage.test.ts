import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKey } from '../api';
import { apiKey, created, SECRET, workspace } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import KeysPage from './KeysPage.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

/** A fake backend holding keys in memory, recording clipboard writes. */
function fakeBackend() {
  const keys: ApiKey[] = [];
  const clipboard: string[] = [];
  const calls: string[] = [];
  mockIPC((cmd, args) => {
    calls.push(cmd);
    const a = args as Record<string, any>;
    switch (cmd) {
      case 'list_keys':
        return { keys: [...keys], total: keys.length, total_exact: true };
      case 'create_key': {
        const result = created(SECRET, { name: a.input.name ?? null });
        keys.push(result.key);
        return result;
      }
      case 'delete_key': {
        const at = keys.findIndex((k) => k.key_id === a.key_id);
        keys.splice(at, 1);
        return null;
      }
      case 'copy_secret':
        clipboard.push(a.secret);
        return { clears_in_seconds: 60 };
      case 'clear_copied_secret':
        return true;
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return { keys, clipboard, calls };
}

describe('create key, reveal once', () => {
  it('shows the full key once, copies it, and drops it when closed', async () => {
    const backend = fakeBackend();
    const page = render(KeysPage, { workspace: workspace() });
    await waitFor(() => page.target.textContent?.includes('No API keys yet'));

    click(byTestId(page.target, 'create-key'));
    type(await waitFor(() => page.target.querySelector<HTMLInputElement>('#key-name')), 'CI pipeline');
    click(byTestId(page.target, 'create-key-submit'));

    const secretField = await waitFor(() => byTestId<HTMLInputElement>(page.target, 'reveal-secret'));
    expect(secretField.value).toBe(SECRET);
    expect(secretField.classList.contains('mono')).toBe(true);
    expect(page.target.textContent).toMatch(/never be shown again/);

    click(byTestId(page.target, 'reveal-copy'));
    await waitFor(() => backend.clipboard.length === 1);
    expect(backend.clipboard).toEqual([SECRET]);

    click(byTestId(page.target, 'reveal-close'));
    await waitFor(() => byTestId(page.target, 'reveal-dialog') === null);

    // The list shows the hidden form only; the secret is gone from the page.
    const hidden = await waitFor(() => byTestId(page.target, 'key-hidden'));
    expect(hidden.textContent).toBe(`${SECRET.slice(0, 4)}...${SECRET.slice(-4)}`);
    expect(document.body.innerHTML).not.toContain(SECRET);
    page.destroy();
  });

  it('closes the reveal dialog with Escape, forgetting the key', async () => {
    fakeBackend();
    const page = render(KeysPage, { workspace: workspace() });
    await waitFor(() => page.target.textContent?.includes('No API keys yet'));
    click(byTestId(page.target, 'create-key'));
    click(await waitFor(() => byTestId(page.target, 'create-key-submit')));
    await waitFor(() => byTestId(page.target, 'reveal-secret'));

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await waitFor(() => byTestId(page.target, 'reveal-dialog') === null);
    expect(document.body.innerHTML).not.toContain(SECRET);
    page.destroy();
  });

  it('deletes a key only on the second click', async () => {
    const backend = fakeBackend();
    backend.keys.push(apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', { name: 'Old' }));
    const page = render(KeysPage, { workspace: workspace() });
    const button = await waitFor(() => byTestId(page.target, 'delete-key'));

    click(button);
    expect(button.textContent?.trim()).toBe('Click again to confirm');
    expect(backend.calls).not.toContain('delete_key');

    click(button);
    await waitFor(() => page.target.textContent?.includes('No API keys yet'));
    expect(backend.calls).toContain('delete_key');
    page.destroy();
  });
});

describe('sorting', () => {
  it('asks the backend to sort, so the order holds across all pages', async () => {
    const filters: Array<Record<string, any>> = [];
    const key = apiKey('kd_sortsortsortsortsortsortsortsortsort', { name: 'one' });
    mockIPC((cmd, args) => {
      if (cmd === 'list_keys') {
        filters.push((args as Record<string, any>).filter);
        return { keys: [key], total: 1, total_exact: true };
      }
      return [];
    });
    const page = render(KeysPage, { workspace: workspace() });
    const header = await waitFor(() =>
      [...page.target.querySelectorAll<HTMLButtonElement>('button.sort')].find((b) => b.textContent?.trim().startsWith('Name')),
    );
    expect(filters.at(-1)?.sort ?? null).toBeNull();
    click(header!);
    await waitFor(() => filters.at(-1)?.sort?.column === 'name');
    expect(filters.at(-1)?.sort).toEqual({ column: 'name', descending: false });
    expect(filters.at(-1)?.offset).toBe(0);
    click(header!);
    await waitFor(() => filters.at(-1)?.sort?.descending === true);
  });
});
