// End-to-end journey of the real Keydesk app in remote mode, against a real
// keydesk-server process, with the session token in a real Secret Service:
// sign in from the first screen, create a key, restart (still signed in:
// the token came back from the keychain), sign out, restart (signed out);
// then an organization member signs in and sees only their own keys.
// Then no file the app, the server or the test tools wrote holds the key,
// the password or the session token (read from the keychain with secret-tool). Started by tests/e2e/remote.sh, which sets up the server,
// the keychain and these variables besides driver.mjs's:
//   E2E_SERVER_URL, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, E2E_ORG_NAME
//   E2E_SCAN_DIRS     folders to search for secrets afterwards (':'-separated)

import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { APP_BIN, Session, assert, hiddenForm, readClipboard, runTests, step, switchToPage, waitFor, waitForText } from './driver.mjs';

const SERVER_URL = process.env.E2E_SERVER_URL;
const EMAIL = process.env.E2E_ADMIN_EMAIL;
const PASSWORD = process.env.E2E_ADMIN_PASSWORD;
const ORG = process.env.E2E_ORG_NAME;
const SCAN_DIRS = (process.env.E2E_SCAN_DIRS ?? '').split(':').filter(Boolean);

// The app identifier: the keychain service its sessions are stored under.
// The test command builds the app with the dev overlay, so by default the
// identifier of tauri.dev.conf.json; E2E_APP_IDENTIFIER names another (that
// of tauri.conf.json for a binary built without the overlay).
const KEYCHAIN_SERVICE = process.env.E2E_APP_IDENTIFIER
  || JSON.parse(readFileSync(new URL('../../tauri.dev.conf.json', import.meta.url), 'utf8')).identifier;

const shared = { secret: null, hidden: null, token: null, memberPassword: null, traySecret: null };

/** The session token as the Secret Service holds it (secret-tool, libsecret). */
function tokenInKeychain() {
  try {
    return execFileSync('secret-tool', ['lookup', 'service', KEYCHAIN_SERVICE], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function signInCreateKey() {
  assert(SERVER_URL && EMAIL && PASSWORD && ORG, 'E2E_SERVER_URL, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD and E2E_ORG_NAME are set');
  const session = await Session.start();
  try {
    step('from the first screen to sign-in');
    await session.click('[data-testid="first-run-sign-in"]');
    await session.find('[data-testid="sign-in"]');
    await session.type('#server-url', SERVER_URL);
    await session.type('#email', EMAIL);
    await session.type('#password', 'not the password');
    await session.click('[data-testid="sign-in-submit"]');
    const refused = await session.text('[data-testid="password-error"]');
    assert(/wrong email or password/i.test(refused), `a wrong password is reported next to the field (read ${JSON.stringify(refused)})`);
    await session.type('#password', PASSWORD);
    await session.screenshot('remote-01-sign-in');
    await session.click('[data-testid="sign-in-submit"]');

    step("the server's organization");
    await session.find('[data-testid="page-workspaces"]');
    await waitForText(session, '[data-testid="org-name"]', ORG);
    await waitForText(session, '[data-testid="signed-in-as"]', EMAIL);
    assert((await session.count('[data-testid="memory-only-banner"]')) === 0, 'no "will not be remembered" banner');
    shared.token = tokenInKeychain();
    assert(shared.token.length >= 20, 'the session token is in the Secret Service under the app identifier');

    step('create a key in the default workspace');
    const row = await waitFor('the Default workspace', async () => (await session.all('[data-testid="workspace-row"][data-name="Default"]'))[0]);
    await session.click('[data-testid="open-workspace"]', row);
    await waitForText(session, '[data-testid="page-title"]', 'Default');
    await session.click('[data-testid="create-key"]');
    await session.type('#key-name', 'Remote CI');
    await session.click('[data-testid="create-key-submit"]');
    await session.find('[data-testid="reveal-dialog"]');
    const secret = await waitFor('the revealed secret', () => session.property('[data-testid="reveal-secret"]', 'value'));
    assert(/^[A-Za-z0-9]+_[0-9A-Za-z]{38}$/.test(secret), 'the revealed key has the documented format');
    await session.script("document.querySelector('[data-testid=\"reveal-secret\"]').value = '\u2022'.repeat(41);", []);
    await session.screenshot('remote-02-reveal-once');
    await session.click('[data-testid="reveal-close"]');
    await session.gone('[data-testid="reveal-dialog"]');
    shared.hidden = hiddenForm(secret);
    shared.secret = secret;
    await waitForText(session, '[data-testid="key-hidden"]', shared.hidden);
    await session.screenshot('remote-03-key-listed');
  } finally {
    await session.end();
  }
}

async function stillSignedInAfterRestart() {
  assert(shared.hidden, 'this test needs the key made by the one before it, which failed');
  const session = await Session.start();
  try {
    await session.find('[data-testid="page-workspaces"]');
    assert((await session.count('[data-testid="sign-in"]')) === 0, 'no sign-in screen: the token came from the keychain');
    await waitForText(session, '[data-testid="signed-in-as"]', EMAIL);
    await session.click('[data-testid="nav-keys"]');
    await waitForText(session, '[data-testid="page-title"]', 'API keys');
    await waitForText(session, '[data-testid="key-hidden"]', shared.hidden);
    await session.screenshot('remote-04-after-restart');

    step('sign out');
    await session.click('[data-testid="sign-out"]');
    await session.find('[data-testid="sign-in"]');
    assert((await session.property('#email', 'value')) === EMAIL, 'the profile is kept: the email is filled in');
    await waitFor('the token to leave the keychain', () => tokenInKeychain() === '');
  } finally {
    await session.end();
  }
}

async function signedOutAfterRestart() {
  const session = await Session.start();
  try {
    await session.find('[data-testid="sign-in"]');
    assert((await session.count('[data-testid="page-workspaces"]')) === 0, 'no data is shown while signed out');
    assert((await session.property('#server-url', 'value')) === SERVER_URL, 'the saved server is filled in');
    await session.screenshot('remote-05-signed-out-after-restart');
  } finally {
    await session.end();
  }
}

/** One Admin API call as the admin, the way a script of theirs would. */
async function adminCall(token, method, path, body) {
  const response = await fetch(`${SERVER_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert(response.ok, `${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** One API call made as `email`, in a session of its own, signed out after. */
async function callAs(email, password, method, path) {
  const signIn = await fetch(`${SERVER_URL}/v1/auth/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert(signIn.ok, `${email} signs in over the API (${signIn.status})`);
  const { token } = await signIn.json();
  try {
    return await adminCall(token, method, path);
  } finally {
    await adminCall(token, 'DELETE', '/v1/auth/sessions/current');
  }
}

async function memberSeesOnlyTheirKeys() {
  assert(shared.hidden, "this test needs the admin's key made by the first test, which failed");
  step('an admin adds a member to the Default workspace and issues them a key');
  const signIn = await fetch(`${SERVER_URL}/v1/auth/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  assert(signIn.ok, `the admin signs in over the API (${signIn.status})`);
  const { token } = await signIn.json();
  const memberEmail = 'dev@northwind.example';
  const created = await adminCall(token, 'POST', '/v1/admin/users', [
    { email: memberEmail, first_name: 'Dana', last_name: 'Dev', role_names: ['member'] },
  ]);
  const memberId = created.email_to_user_id[memberEmail];
  assert(memberId, 'the member was created');
  shared.memberPassword = (await adminCall(token, 'POST', `/v1/admin/users/${memberId}/password`)).password;
  const workspaces = await adminCall(token, 'GET', '/v1/admin/workspaces');
  const home = workspaces.items.find((w) => w.is_default);
  await adminCall(token, 'POST', `/v1/admin/workspaces/${home.uuid}/add-users`, {
    members: [{ user_uuid: memberId, role_names: ['workspace_contributor'] }],
  });
  const memberKey = await adminCall(token, 'POST', '/v1/admin/api-keys', {
    workspace_uuid: home.uuid,
    user_id: memberId,
    name: "Dana's laptop",
  });
  await adminCall(token, 'DELETE', '/v1/auth/sessions/current');

  const session = await Session.start();
  try {
    step('the member signs in on the saved server');
    await session.find('[data-testid="sign-in"]');
    await session.type('#email', memberEmail);
    await session.type('#password', shared.memberPassword);
    await session.click('[data-testid="sign-in-submit"]');
    await session.find('[data-testid="page-keys"]');
    await waitForText(session, '[data-testid="page-title"]', 'My keys');
    await waitForText(session, '[data-testid="signed-in-as"]', memberEmail);

    step('only their keys, and no organization pages');
    const nav = await session.all('[data-testid^="nav-"]');
    assert(nav.length === 1, `one section in the sidebar (found ${nav.length})`);
    assert((await session.text('[data-testid="nav-keys"]')) === 'My keys', 'the section is "My keys"');
    await waitForText(session, '[data-testid="key-hidden"]', memberKey.hidden_key);
    const shown = await session.script(
      "return [...document.querySelectorAll('[data-testid=\"key-hidden\"]')].map((e) => e.textContent.trim());",
      [],
    );
    assert(!shown.includes(shared.hidden), `the admin's key is not listed (listed: ${shown.join(', ')})`);
    assert((await session.count('[role="alert"]')) === 0, 'no error on the page');
    await session.screenshot('remote-06-member-my-keys');
    const main = await session.cmd('GET', '/window');

    step("the member's tray window: their keys only; a new key there, copied, then deleted");
    await switchToPage(session, 'tray.html');
    await waitForText(session, '[data-testid="tray-user"]', 'Dana Dev');
    const trayKeys = async () =>
      session.script("return [...document.querySelectorAll('[data-testid=\"tray-key-hidden\"]')].map((e) => e.textContent.trim());", []);
    await waitFor("the member's key in the tray", async () => (await trayKeys()).includes(memberKey.hidden_key));
    assert(!(await trayKeys()).includes(shared.hidden), "the admin's key is not in the member's tray");
    await session.click('[data-testid="tray-new-key-open"]');
    await session.type('[data-testid="tray-new-key-name"]', 'Dana tray key');
    await session.click('[data-testid="tray-new-key-submit"]');
    const secret = await waitFor('the revealed secret', () => session.property('[data-testid="tray-reveal-secret"]', 'value'));
    shared.traySecret = secret;
    await session.click('[data-testid="tray-reveal-copy"]');
    await waitFor('the key on the clipboard', () => readClipboard() === secret);
    await session.click('[data-testid="tray-reveal-done"]');
    await waitFor('the new key listed hidden', async () => (await trayKeys()).includes(hiddenForm(secret)));
    const listed = await waitFor('the tray row', async () => (await session.all('[data-testid="tray-key"][data-name="Dana tray key"]'))[0]);
    const remove = (await session.all('[data-testid="tray-key-delete"]', listed))[0];
    await session.cmd('POST', `/element/${remove}/click`, {});
    await session.cmd('POST', `/element/${remove}/click`, {});
    await session.gone('[data-testid="tray-key"][data-name="Dana tray key"]');
    const owned = await callAs(memberEmail, shared.memberPassword, 'GET', '/v1/me/api-keys');
    assert(!JSON.stringify(owned).includes('Dana tray key'), 'the server no longer lists the deleted key');

    await session.cmd('POST', '/window', { handle: main });
    await session.click('[data-testid="sign-out"]');
    await session.find('[data-testid="sign-in"]');
  } finally {
    await session.end();
  }
}

/** Runs the app binary once more; resolves with its exit code, or null if
 *  it is still running after `ms` (then it is stopped). */
function launchAgain(ms) {
  return new Promise((resolvePromise) => {
    const child = spawn(APP_BIN, [], { env: process.env, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolvePromise(null);
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

async function aSecondLaunchGivesWayToTheRunningApp() {
  const session = await Session.start();
  try {
    await session.find('[data-testid="sign-in"]');
    step('start Keydesk again while it runs (same user session, same D-Bus)');
    const code = await launchAgain(15_000);
    assert(code === 0, `the second launch ended at once and cleanly (exit code ${code}; null: it kept running)`);
    // The running app still answers.
    await session.find('[data-testid="sign-in"]');
  } finally {
    await session.end();
  }
}

function filesUnder(dir, out = []) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isDirectory()) filesUnder(path, out);
    else if (info?.isFile()) out.push(path);
  }
  return out;
}

async function noSecretInAnyFile() {
  assert(shared.secret, 'this test needs the key made by the first test, which failed');
  assert(SCAN_DIRS.length > 0, 'E2E_SCAN_DIRS names the folders to search');
  assert(shared.token, 'the session token was read from the keychain by the first test');
  const needles = [shared.secret, shared.secret.slice(8, -6), PASSWORD, shared.token, shared.memberPassword, shared.traySecret]
    .filter(Boolean)
    .map((s) => Buffer.from(s));
  let scanned = 0;
  for (const dir of SCAN_DIRS) {
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      scanned++;
      for (const needle of needles) {
        assert(!bytes.includes(needle), `a secret was written to ${file}`);
      }
    }
  }
  assert(scanned > 0, 'the scan found files to search');
  step(`searched ${scanned} files`);
}

await runTests([
  ['remote: sign in from the first screen, create a key shown once', signInCreateKey],
  ['remote: still signed in after a restart (token from the keychain), then sign out', stillSignedInAfterRestart],
  ['remote: signed out after a restart too', signedOutAfterRestart],
  ['remote: an organization member signs in and sees only their own keys', memberSeesOnlyTheirKeys],
  ['remote: a second launch ends at once and brings the running app forward', aSecondLaunchGivesWayToTheRunningApp],
  ['remote: no key, password or session token in any file the app, the server or the tools wrote', noSecretInAnyFile],
]);
