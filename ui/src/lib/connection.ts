// The sign-in form's checks and the connection's wording: what the sidebar's
// switcher and the offline banner say. The address rules are the backend's
// (remote/http.rs parse_server_url): https, or plain http for this computer only.

import type { ConnectionStatus, CredentialKind, Profile } from '../api';
import type { FieldErrors } from './validation';

export interface SignInFields {
  method: CredentialKind;
  server_url: string;
  email: string;
  password: string;
  api_key: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function validateServerUrl(text: string): string | undefined {
  const value = text.trim();
  if (value === '') return 'Enter the server address, like https://keydesk.example.com.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter the server address, like https://keydesk.example.com.';
  }
  if (url.username !== '' || url.password !== '') return 'Leave the user name and password out of the address.';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return LOOPBACK.test(url.hostname) ? undefined : 'Use https:// for a server on another computer.';
  }
  return 'The address must start with https://.';
}

export function validateSignIn(fields: SignInFields): FieldErrors {
  const errors: FieldErrors = {};
  const url = validateServerUrl(fields.server_url);
  if (url) errors.server_url = url;
  if (fields.method === 'session') {
    if (fields.email.trim() === '') errors.email = 'Enter the email address of your account.';
    if (fields.password === '') errors.password = 'Enter your password.';
  } else if (fields.api_key.trim() === '') {
    errors.api_key = 'Paste the Admin API key.';
  }
  return errors;
}

/** "keydesk.example.com · ada@example.com": where first, then who. */
/** A server address without its scheme: "keydesk.example.com:8443". */
export function serverHost(serverUrl: string): string {
  try {
    return new URL(serverUrl).host;
  } catch {
    return serverUrl; // Kept as saved.
  }
}

export function profileLabel(profile: Profile): string {
  return `${serverHost(profile.server_url)} · ${profile.account}`;
}

/** The switcher's value for the current connection: a profile id, or '' for the local store. */
export function activeSource(connection: ConnectionStatus): string {
  return connection.kind === 'local' ? '' : (connection.profile?.id ?? '');
}

/** Whether the local store may be used: always, unless a team's settings turned it off (or could not be read). */
export function localStoreAllowed(status: Pick<ConnectionStatus, 'team'>): boolean {
  return status.team === null || (status.team.local_mode && status.team.problem === null);
}

/** The sentence a team-provisioned sign-in screen shows about its servers. */
export function teamServersNote(status: Pick<ConnectionStatus, 'team'>): string | null {
  const team = status.team;
  if (!team || team.problem) return null;
  const servers = team.allowed_servers.length > 0 ? `signs in only to ${team.allowed_servers.join(', ')}` : 'may sign in to any server';
  return `Set up by your team: Keydesk ${servers}${team.local_mode ? '' : ', without a local store'}.`;
}
