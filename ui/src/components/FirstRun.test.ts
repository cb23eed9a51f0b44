import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppState } from '../api';
import { state } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import FirstRun from './FirstRun.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

function field(root: ParentNode, id: string) {
  return root.querySelector<HTMLInputElement>(`#${id}`);
}

describe('first run', () => {
  it('asks for the organization name and a valid email next to the fields before creating anything', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return state;
    });
    const view = render(FirstRun, { onready: () => {} });
    click(byTestId(view.target, 'first-run-submit'));
    expect(byTestId(view.target, 'org-name-error')!.textContent).toBe('Organization name is required.');
    expect(byTestId(view.target, 'admin-email-error')!.textContent).toBe('Email is required.');
    expect(field(view.target, 'org-name')!.getAttribute('aria-invalid')).toBe('true');

    type(field(view.target, 'org-name'), 'Acme');
    type(field(view.target, 'admin-email'), 'ada at example');
    click(byTestId(view.target, 'first-run-submit'));
    expect(byTestId(view.target, 'org-name-error')).toBeNull();
    expect(byTestId(view.target, 'admin-email-error')!.textContent).toBe('Email must look like name@example.com.');
    expect(calls).not.toContain('bootstrap');
    view.destroy();
  });

  it('creates the organization with trimmed values and hands over the new state', async () => {
    const inputs: any[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'bootstrap') {
        inputs.push((args as any).input);
        return state;
      }
      throw { code: 'internal', message: cmd };
    });
    let ready: AppState | null = null;
    const view = render(FirstRun, { onready: (s: AppState) => (ready = s) });
    type(field(view.target, 'org-name'), ' Acme ');
    type(field(view.target, 'admin-email'), 'ada@example.com ');
    type(field(view.target, 'admin-name'), 'Ada');
    click(byTestId(view.target, 'first-run-submit'));
    await waitFor(() => ready !== null);
    expect(inputs).toEqual([{ org_name: 'Acme', admin_email: 'ada@example.com', admin_name: 'Ada' }]);
    view.destroy();
  });

  it("shows the backend's email validation error next to the email field", async () => {
    const message = 'email domain is not allowed';
    mockIPC((cmd) => {
      if (cmd === 'bootstrap') throw { code: 'validation', message, field: 'email' };
      throw { code: 'internal', message: cmd };
    });
    const view = render(FirstRun, { onready: () => {} });
    type(field(view.target, 'org-name'), 'Acme');
    type(field(view.target, 'admin-email'), 'ada@example.com');
    click(byTestId(view.target, 'first-run-submit'));
    const error = await waitFor(() => byTestId(view.target, 'admin-email-error'));
    expect(error.textContent).toBe(message);
    expect(view.target.querySelector('.form-error')).toBeNull();
    view.destroy();
  });
});
