import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { byTestId, click, render, waitFor } from '../test/dom';
import UpdateNotice from './UpdateNotice.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

const OFFER = { version: '0.2.0', current_version: '0.1.0', notes: 'Faster key list.', date: null };

function shell(enabled: boolean, install: () => unknown = () => null) {
  const calls: string[] = [];
  const installed: string[] = [];
  mockIPC((cmd, args) => {
    calls.push(cmd);
    switch (cmd) {
      case 'updates_enabled':
        return enabled;
      case 'check_for_update':
        return OFFER;
      case 'install_update':
        installed.push((args as { version: string }).version);
        return install();
      case 'plugin:event|listen':
        return 1;
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return { calls, installed };
}

describe('a newer signed version', () => {
  it('is announced, its notes shown, and installed only after the user says so', async () => {
    const { installed } = shell(true);
    const page = render(UpdateNotice, {});
    const banner = await waitFor(() => byTestId(page.target, 'update-banner'));
    expect(banner.textContent).toContain('Keydesk 0.2.0 is available');
    expect(installed).toEqual([]);
    click(byTestId(page.target, 'update-open'));
    expect((await waitFor(() => byTestId(document.body, 'update-notes'))).textContent).toBe('Faster key list.');
    click(byTestId(document.body, 'update-install'));
    await waitFor(() => installed.length === 1);
    expect(installed).toEqual(['0.2.0']);
    page.destroy();
  });

  it('shows a refused signature in the dialog', async () => {
    shell(true, () => {
      throw { code: 'forbidden', message: 'The update was refused: its signature does not match. Nothing was installed.' };
    });
    const page = render(UpdateNotice, {});
    click(await waitFor(() => byTestId(page.target, 'update-open')));
    click(await waitFor(() => byTestId(document.body, 'update-install')));
    expect((await waitFor(() => byTestId(document.body, 'update-error'))).textContent).toContain('signature does not match');
    page.destroy();
  });

  it('is never looked for in a build that does not update itself', async () => {
    const { calls } = shell(false);
    const page = render(UpdateNotice, {});
    await waitFor(() => calls.includes('updates_enabled'));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).not.toContain('check_for_update');
    expect(byTestId(page.target, 'update-banner')).toBeNull();
    page.destroy();
  });
});
