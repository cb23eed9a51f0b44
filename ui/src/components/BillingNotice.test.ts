// The reveal-once and rotate dialogs say that a new key will not work while
// the organization's billing is off, and say nothing about it when it is on.

import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKey } from '../api';
import { clipboardGuard } from '../lib/clipboard.svelte';
import { orgStore } from '../lib/org.svelte';
import { RevealOnce } from '../lib/reveal.svelte';
import { apiKey, created, SECRET, state, workspace } from '../test/fixtures';
import { byTestId, click, render, waitFor } from '../test/dom';
import KeysPage from './KeysPage.svelte';
import RevealKeyDialog from './RevealKeyDialog.svelte';
import RotateKeyDialog from './RotateKeyDialog.svelte';

afterEach(async () => {
  await clipboardGuard.clearNow();
  clearMocks();
  orgStore.current = null;
  document.body.innerHTML = '';
});

const NEW_SECRET = 'kd_B1ll1ngB1ll1ngB1ll1ngB1ll1ngB1ll1ngzz4242';

function setBilling(active: boolean) {
  orgStore.current = { ...state.organization!, billing_active: active };
}

function backend(keys: ApiKey[]) {
  mockIPC((cmd) => {
    switch (cmd) {
      case 'list_keys':
        return { keys: [...keys], total: keys.length, total_exact: true };
      case 'list_users':
      case 'list_workspaces':
        return [];
      case 'rotate_key': {
        const result = created(NEW_SECRET, { name: 'rotated' });
        keys.unshift(result.key);
        return result;
      }
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
}

describe('reveal-once dialog and billing', () => {
  it('says the new key will not work until billing is turned on', () => {
    setBilling(false);
    const reveal = new RevealOnce();
    reveal.take(created());
    const view = render(RevealKeyDialog, { reveal });
    const dialog = byTestId(view.target, 'reveal-dialog')!;
    const note = byTestId(dialog, 'reveal-billing-inactive');
    expect(note).not.toBeNull();
    expect(note!.textContent).toMatch(/billing is not active/i);
    expect(note!.textContent).toMatch(/until billing is turned on/);
    expect(note!.textContent).toContain('Usage & limits');
    view.destroy();
  });

  it('says nothing about billing when it is active', () => {
    setBilling(true);
    const reveal = new RevealOnce();
    reveal.take(created());
    const view = render(RevealKeyDialog, { reveal });
    expect(byTestId(view.target, 'reveal-dialog')).not.toBeNull();
    expect(byTestId(view.target, 'reveal-billing-inactive')).toBeNull();
    expect(view.target.textContent).not.toMatch(/billing/i);
    view.destroy();
  });
});

describe('rotate dialog and billing', () => {
  it('says the new key will not work until billing is turned on', () => {
    setBilling(false);
    const view = render(RotateKeyDialog, { key: apiKey(SECRET), onrotated: () => {}, onclose: () => {} });
    const dialog = byTestId(view.target, 'rotate-dialog')!;
    const note = byTestId(dialog, 'rotate-billing-inactive');
    expect(note).not.toBeNull();
    expect(note!.textContent).toMatch(/billing is not active/i);
    expect(note!.textContent).toMatch(/new key will not work until billing is turned on/);
    expect(note!.textContent).toContain('Usage & limits');
    view.destroy();
  });

  it('says nothing about billing when it is active', () => {
    setBilling(true);
    const view = render(RotateKeyDialog, { key: apiKey(SECRET), onrotated: () => {}, onclose: () => {} });
    expect(byTestId(view.target, 'rotate-dialog')).not.toBeNull();
    expect(byTestId(view.target, 'rotate-billing-inactive')).toBeNull();
    expect(view.target.textContent).not.toMatch(/billing/i);
    view.destroy();
  });

  it('warns in both steps of a rotation from the keys page while billing is off', async () => {
    setBilling(false);
    backend([apiKey(SECRET, { name: 'CI' })]);
    const page = render(KeysPage, { workspace: workspace(), embedded: true });
    click(await waitFor(() => byTestId(page.target, 'rotate-key')));
    const rotate = await waitFor(() => byTestId(page.target, 'rotate-dialog'));
    expect(byTestId(rotate, 'rotate-billing-inactive')?.textContent).toMatch(/new key will not work until billing is turned on/);
    click(byTestId(page.target, 'rotate-submit'));
    const reveal = await waitFor(() => byTestId(page.target, 'reveal-dialog'));
    expect(byTestId<HTMLInputElement>(reveal, 'reveal-secret')!.value).toBe(NEW_SECRET);
    expect(byTestId(reveal, 'reveal-billing-inactive')?.textContent).toMatch(/until billing is turned on/);
    click(byTestId(page.target, 'reveal-close'));
    await waitFor(() => byTestId(page.target, 'reveal-dialog') === null);
    page.destroy();
  });
});
