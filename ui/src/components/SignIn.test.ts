import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionStatus, Profile } from '../api';
import { validateServerUrl } from '../lib/connection';
import { connectionStatus, PROFILE } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import SignIn from './SignIn.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

const status = connectionStatus;

function submit(target: HTMLElement) {
  const form = byTestId<HTMLFormElement>(target, 'sign-in')!;
  form.dispatchEvent(new SubmitEvent('submit', { bubbles: true, cancelable: true }));
}

describe('sign-in form', () => {
  it('checks the address before anything is sent, and names the field', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    const { target } = render(SignIn, { connection: status(), onconnected: () => {}, oncancel: () => {} });
    type(target.querySelector('#server-url'), 'http://keydesk.example.com');
    type(target.querySelector('#email'), 'ada@example.com');
    type(target.querySelector('#password'), 'pw');
    submit(target);
    const error = await waitFor(() => byTestId(target, 'server-url-error'));
    expect(error.textContent).toBe('Use https:// for a server on another computer.');
    expect(calls).toEqual([]);
  });

  it('shows a refused password next to the password field, then signs in', async () => {
    const sent: Array<Record<string, any>> = [];
    mockIPC((cmd, args) => {
      if (cmd !== 'sign_in') return;
      const input = (args as any).input;
      sent.push(input);
      if (input.password !== 'right') {
        throw { code: 'unauthorized', message: 'wrong email or password, or too many attempts', field: 'password' };
      }
      return status({ kind: 'remote', profile: PROFILE, profiles: [PROFILE], remembered: { kind: 'keychain' } });
    });
    const got: { status: ConnectionStatus | null } = { status: null };
    const { target } = render(SignIn, {
      connection: status(),
      onconnected: (s: ConnectionStatus) => (got.status = s),
      oncancel: () => {},
    });
    type(target.querySelector('#server-url'), ' https://keydesk.example.com ');
    type(target.querySelector('#email'), 'ada@example.com');
    type(target.querySelector('#password'), 'wrong');
    submit(target);
    const error = await waitFor(() => byTestId(target, 'password-error'));
    expect(error.textContent).toMatch(/wrong email or password/);
    expect(got.status).toBeNull();

    type(target.querySelector('#password'), 'right');
    submit(target);
    await waitFor(() => got.status);
    expect(got.status!.kind).toBe('remote');
    expect(sent[1]).toEqual({ server_url: 'https://keydesk.example.com', email: 'ada@example.com', password: 'right' });
  });

  it('opens filled in for a profile whose session ended, and says why', () => {
    const { target } = render(SignIn, {
      connection: status({ kind: 'signed_out', profile: PROFILE, profiles: [PROFILE], notice: 'Your session has ended.' }),
      onconnected: () => {},
      oncancel: () => {},
    });
    expect(byTestId(target, 'sign-in-notice')!.textContent).toBe('Your session has ended.');
    expect(target.querySelector<HTMLInputElement>('#server-url')!.value).toBe(PROFILE.server_url);
    expect(target.querySelector<HTMLInputElement>('#email')!.value).toBe(PROFILE.account);
    expect(target.querySelector<HTMLInputElement>('#password')!.value).toBe('');
  });

  it('signs in with an Admin API key instead of a password', async () => {
    const sent: Array<[string, any]> = [];
    mockIPC((cmd, args) => {
      sent.push([cmd, (args as any).input]);
      return status({ kind: 'remote', profile: { ...PROFILE, credential: 'admin_key' }, profiles: [PROFILE] });
    });
    let connected = false;
    const { target } = render(SignIn, { connection: status(), onconnected: () => (connected = true), oncancel: () => {} });
    click(byTestId(target, 'method-admin-key'));
    expect(target.querySelector('#password')).toBeNull();
    type(target.querySelector('#server-url'), 'http://127.0.0.1:8080');
    submit(target);
    expect((await waitFor(() => byTestId(target, 'api-key-error'))).textContent).toMatch(/Admin API key/);
    type(target.querySelector('#api-key'), '  kd_admin  ');
    submit(target);
    await waitFor(() => connected);
    expect(sent).toEqual([['sign_in_with_key', { server_url: 'http://127.0.0.1:8080', api_key: 'kd_admin' }]]);
  });
});

describe('saved servers on the sign-in screen', () => {
  it('removes a saved server from the list', async () => {
    const other: Profile = { ...PROFILE, id: 'https://other.example.com bo@example.com', server_url: 'https://other.example.com', account: 'bo@example.com' };
    const removed: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'forget_profile') {
        removed.push((args as any).profile_id);
        return status({ kind: 'signed_out', profile: PROFILE, profiles: [PROFILE] });
      }
    });
    const { target } = render(SignIn, {
      connection: status({ kind: 'signed_out', profile: PROFILE, profiles: [PROFILE, other] }),
      onconnected: () => {},
      oncancel: () => {},
    });
    expect(target.textContent).toContain('other.example.com · bo@example.com');
    click(byTestId(target, 'forget-profile'));
    await waitFor(() => !target.textContent!.includes('other.example.com'));
    expect(removed).toEqual([other.id]);
  });
});

describe('server address check', () => {
  it('accepts https anywhere and plain http only on this computer', () => {
    expect(validateServerUrl('https://keydesk.example.com')).toBeUndefined();
    expect(validateServerUrl('http://localhost:8080')).toBeUndefined();
    expect(validateServerUrl('http://127.0.0.1:9')).toBeUndefined();
    expect(validateServerUrl('http://[::1]:9')).toBeUndefined();
    expect(validateServerUrl('http://10.0.0.5')).toBe('Use https:// for a server on another computer.');
    expect(validateServerUrl('ftp://keydesk.example.com')).toBe('The address must start with https://.');
    expect(validateServerUrl('keydesk')).toBe('Enter the server address, like https://keydesk.example.com.');
    expect(validateServerUrl('')).toBe('Enter the server address, like https://keydesk.example.com.');
    expect(validateServerUrl('https://ada:secret@keydesk.example.com')).toMatch(/user name and password/);
  });
});

describe('a sign-in screen set up by a team', () => {
  const team = {
    source: '/etc/keydesk/team.json',
    default_server_url: 'https://keys.acme.example',
    allowed_servers: ['https://keys.acme.example'],
    local_mode: false,
    default_key_expiry_days: 30,
    problem: null,
  };

  it('starts at the team’s server, says so, and offers no local store', async () => {
    mockIPC(() => null);
    const profile = { id: 'https://keys.acme.example ', server_url: 'https://keys.acme.example', account: '', credential: 'session' as const };
    const page = render(SignIn, {
      connection: status({ kind: 'signed_out', profile, profiles: [], team }),
      onconnected: () => {},
      oncancel: () => {},
    });
    expect(page.target.querySelector<HTMLInputElement>('#server-url')?.value).toBe('https://keys.acme.example');
    expect(byTestId(page.target, 'sign-in-team')?.textContent).toContain('signs in only to https://keys.acme.example');
    expect(byTestId(page.target, 'sign-in-cancel')).toBeNull();
    page.destroy();
  });

  it('keeps "Use the local store" when the team allows it', async () => {
    mockIPC(() => null);
    const page = render(SignIn, {
      connection: status({ kind: 'signed_out', profile: PROFILE, profiles: [PROFILE], team: { ...team, local_mode: true } }),
      onconnected: () => {},
      oncancel: () => {},
    });
    expect(byTestId(page.target, 'sign-in-cancel')?.textContent).toContain('Use the local store');
    page.destroy();
  });
});
