// End-to-end journeys of the real Keydesk app in local mode: drives the built
// binary through tauri-driver (the client and runner are in driver.mjs, which
// lists the environment they read). Also read here:
//   KEYDESK_TEST_CLOCK_FILE  (test only, debug builds) a file holding the number
//                     of days the app's store clock is shifted by; journey (c)
//                     writes it to make keys expire
//   KEYDESK_TEST_OPEN_TRAY_WINDOW  (test only, debug builds) 1: the app shows
//                     its tray window at start, for journeys (d) and (e) to switch to
//   HOME              a scratch folder run.sh makes: where journey (f) reads
//                     the saved window places and the autostart entry
//   KEYDESK_TEST_NOTIFICATIONS_LOG  (test only, debug builds) the file the
//                     app logs each notification it shows to, read by (e)
// Usually started by tests/e2e/run.sh, which sets all of these up.
//
// The full key secret read from the reveal dialog is never printed.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { Session, assert, assertEqual, hiddenForm, readClipboard, runTests, step, switchToPage, waitFor, waitForText } from './driver.mjs';

const ORG = 'Acme Research';
const WORKSPACE = 'Platform Team';
const KEY_NAME = 'CI pipeline';
const CLOCK_FILE = process.env.KEYDESK_TEST_CLOCK_FILE;

async function workspaceRow(session, name) {
  return waitFor(`workspace row "${name}"`, async () => (await session.all(`[data-testid="workspace-row"][data-name="${name}"]`))[0]);
}

const shared = { hidden: null, payments: null };

async function firstRunWorkspaceAndKey() {
  const session = await Session.start();
  try {
    step('first-run step');
    await session.find('[data-testid="first-run"]');
    await session.type('#org-name', ORG);
    await session.type('#admin-email', 'ada@example.com');
    await session.type('#admin-name', 'Ada Lovelace');
    await session.screenshot('01-first-run');
    await session.click('[data-testid="first-run-submit"]');

    step('workspaces page');
    await session.find('[data-testid="page-workspaces"]');
    await waitForText(session, '[data-testid="org-name"]', ORG);
    await workspaceRow(session, 'Default');

    step('create a workspace');
    await session.click('[data-testid="create-workspace"]');
    await session.type('#workspace-name', WORKSPACE);
    await session.type('#workspace-icon', 'PT');
    await session.type('#workspace-description', 'Shared services and CI');
    await session.click('[data-testid="workspace-form-submit"]');
    await session.gone('[data-testid="workspace-dialog"]');
    const row = await workspaceRow(session, WORKSPACE);
    await session.screenshot('02-workspaces');

    step('open it');
    await session.click('[data-testid="open-workspace"]', row);
    await waitForText(session, '[data-testid="page-title"]', WORKSPACE);
    await waitForText(session, '[data-testid="key-count"]', '0 keys');

    step('create a key');
    await session.click('[data-testid="create-key"]');
    await session.type('#key-name', KEY_NAME);
    await session.click('[data-testid="create-key-submit"]');
    await session.find('[data-testid="reveal-dialog"]');
    const secret = await waitFor('the revealed secret', () => session.property('[data-testid="reveal-secret"]', 'value'));
    assert(/^kd_[0-9A-Za-z]{38}$/.test(secret), 'the revealed key has the documented format');
    const dialogText = await session.text('[data-testid="reveal-dialog"]');
    assert(/never be shown again/i.test(dialogText), 'the dialog warns that the key is shown once');
    await session.click('[data-testid="reveal-copy"]');
    await waitForText(session, '[data-testid="reveal-copy"]', 'Copied');
    // Artifacts never hold a secret: mask the field before the picture.
    await session.script(
      "document.querySelector('[data-testid=\"reveal-secret\"]').value = 'kd_' + '\u2022'.repeat(38);",
      [],
    );
    await session.screenshot('03-reveal-once');

    step('close the reveal dialog');
    await session.click('[data-testid="reveal-close"]');
    await session.gone('[data-testid="reveal-dialog"]');
    const hidden = hiddenForm(secret);
    await waitForText(session, '[data-testid="key-hidden"]', hidden);
    assertEqual(await session.text('[data-testid="key-status"]'), 'Active', 'the new key is active');
    const source = await session.source();
    assert(!source.includes(secret), 'the full secret is nowhere in the page source after closing');
    assert(!source.includes(secret.slice(4, -4)), 'no middle part of the secret is in the page source');
    const inDom = await session.script('return document.documentElement.outerHTML.includes(arguments[0]);', [secret]);
    assert(inDom === false, 'the full secret is nowhere in the live DOM');
    await session.screenshot('04-workspace-keys');
    console.log(`    key listed as ${hidden}`);
    shared.hidden = hidden;
  } finally {
    await session.end();
  }
}

async function dataSurvivesRestart() {
  assert(shared.hidden !== null, 'this test needs the key made by the first test, which failed');
  const session = await Session.start();
  try {
    await session.find('[data-testid="page-workspaces"]');
    assert((await session.all('[data-testid="first-run"]')).length === 0, 'no first-run step on the second start');
    const row = await workspaceRow(session, WORKSPACE);
    await session.click('[data-testid="open-workspace"]', row);
    await waitForText(session, '[data-testid="page-title"]', WORKSPACE);
    await waitForText(session, '[data-testid="key-hidden"]', shared.hidden);
    await session.screenshot('05-after-restart');

    await session.click('[data-testid="nav-keys"]');
    await waitForText(session, '[data-testid="page-title"]', 'API keys');
    await waitForText(session, '[data-testid="key-hidden"]', shared.hidden);

    step('jump to the workspace with the command palette');
    await session.click('[data-testid="open-palette"]');
    await session.type('[data-testid="palette-input"]', 'platform');
    // The option's own text, read in the page (its label clips itself, which
    // WebDriver's text call reads as not displayed).
    const index = await waitFor('the workspace in the palette', () =>
      session.script(
        `const i = [...document.querySelectorAll('[data-testid="palette-option"]')].findIndex((o) => o.textContent.trim() === arguments[0]);
         return i >= 0 ? i + 1 : null;`,
        [WORKSPACE],
      ),
    );
    await session.screenshot('06-command-palette');
    const options = await session.all('[data-testid="palette-option"]');
    await session.cmd('POST', `/element/${options[index - 1]}/click`, {});
    await waitForText(session, '[data-testid="page-title"]', WORKSPACE);
  } finally {
    await session.end();
  }
}


/** Masks the reveal panel's secret field (main or tray window) before a screenshot. */
async function maskSecret(session) {
  await session.script(
    "document.querySelectorAll('[data-testid=\"reveal-secret\"], [data-testid=\"tray-reveal-secret\"]').forEach((el) => { el.value = 'kd_' + '\u2022'.repeat(38); });",
    [],
  );
}

/** Asserts that none of `secrets` (nor their middle parts) is in the page. */
async function assertNoSecret(session, secrets, where) {
  const source = await session.source();
  for (const secret of secrets) {
    assert(!source.includes(secret), `the full secret is nowhere in the page source (${where})`);
    assert(!source.includes(secret.slice(4, -4)), `no middle part of a secret is in the page source (${where})`);
    const inDom = await session.script('return document.documentElement.outerHTML.includes(arguments[0]);', [secret]);
    assert(inDom === false, `the full secret is nowhere in the live DOM (${where})`);
  }
}

/** Reads the revealed secret, copies it, checks the countdown, masks, screenshots, closes. */
async function revealCopyClose(session, screenshot) {
  await session.find('[data-testid="reveal-dialog"]');
  const secret = await waitFor('the revealed secret', () => session.property('[data-testid="reveal-secret"]', 'value'));
  assert(/^kd_[0-9A-Za-z]{38}$/.test(secret), 'the revealed key has the documented format');
  await session.click('[data-testid="reveal-copy"]');
  await waitForText(session, '[data-testid="reveal-copy"]', 'Copied');
  const countdown = await session.text('[data-testid="clipboard-countdown"]');
  assert(/Clipboard clears in \d+ s/.test(countdown), `a visible clipboard countdown (read ${JSON.stringify(countdown)})`);
  await maskSecret(session);
  await session.screenshot(screenshot);
  await session.click('[data-testid="reveal-close"]');
  await session.gone('[data-testid="reveal-dialog"]');
  return secret;
}

const PAYMENTS = 'Payments';
const BOB = 'bob@example.com';

async function journeyWorkspaceMemberLimitKeyRotate() {
  const session = await Session.start();
  try {
    step('add Bob to the organization');
    await session.click('[data-testid="nav-members"]');
    await waitForText(session, '[data-testid="page-title"]', 'Members');
    await session.click('[data-testid="invite-member"]');
    await session.type('#invite-email', BOB);
    await session.type('#invite-name', 'Bob Builder');
    await session.click('[data-testid="invite-submit"]');
    await session.gone('[data-testid="invite-dialog"]');
    await session.find(`[data-testid="user-row"][data-email="${BOB}"]`);

    step('create a workspace');
    await session.click('[data-testid="nav-workspaces"]');
    await session.click('[data-testid="create-workspace"]');
    await session.type('#workspace-name', PAYMENTS);
    await session.click('[data-testid="workspace-form-submit"]');
    await session.gone('[data-testid="workspace-dialog"]');
    const row = await workspaceRow(session, PAYMENTS);
    await session.click('[data-testid="open-workspace"]', row);
    await waitForText(session, '[data-testid="page-title"]', PAYMENTS);

    step('add Bob as a member');
    await session.click('[data-testid="tab-members"]');
    await session.chooseOption('[data-testid="member-user"]', BOB);
    await session.click('[data-testid="add-member-submit"]');
    await session.find(`[data-testid="member-row"][data-email="${BOB}"]`);
    await session.screenshot('10-workspace-members');

    step('set a spend limit');
    await session.click('[data-testid="tab-settings"]');
    await session.type('#ws-limit', 'abc');
    await session.click('[data-testid="ws-settings-save"]');
    await session.find('[data-testid="ws-limit-error"]');
    await session.type('#ws-limit', '250');
    await session.click('[data-testid="ws-settings-save"]');
    await session.find('[data-testid="ws-settings-saved"]');
    await session.click('[data-testid="tab-usage"]');
    const gauge = await session.text('[data-testid="spend-gauge"]');
    assert(/250/.test(gauge), `the usage tab shows the $250 limit (read ${JSON.stringify(gauge)})`);
    await session.screenshot('11-workspace-usage');

    step('create a key, copy it, close');
    await session.click('[data-testid="tab-keys"]');
    await waitForText(session, '[data-testid="key-count"]', '0 keys');
    await session.click('[data-testid="create-key"]');
    await session.type('#key-name', 'Payments CI');
    await session.click('[data-testid="create-key-submit"]');
    const first = await revealCopyClose(session, '12-reveal-new-key');
    await waitForText(session, '[data-testid="key-hidden"]', hiddenForm(first));
    await assertNoSecret(session, [first], 'after closing the reveal dialog');

    step('the clipboard holds the key until it is cleared ("Clear now", as the 60 s timer does)');
    assert(readClipboard() === first, 'the copied key is on the system clipboard');
    await session.click('[data-testid="clipboard-clear-now"]');
    await session.gone('[data-testid="clipboard-toast"]');
    assert(readClipboard() !== first, 'the clipboard no longer holds the key');
    // Every other view shows only the hidden form too.
    await session.click('[data-testid="nav-keys"]');
    await waitForText(session, '[data-testid="page-title"]', 'API keys');
    await session.find(`[data-testid="key-row"][data-name="Payments CI"]`);
    await assertNoSecret(session, [first], 'organization keys view');
    await session.click('[data-testid="nav-members"]');
    await session.click('[data-testid="open-member"]');
    await session.find('[data-testid="member-drawer"]');
    await assertNoSecret(session, [first], 'member details');
    await session.click('[data-testid="drawer-close"]');

    step('rotate with a grace period');
    await session.click('[data-testid="nav-workspaces"]');
    await session.click('[data-testid="open-workspace"]', await workspaceRow(session, PAYMENTS));
    await session.click('[data-testid="tab-keys"]');
    await waitForText(session, '[data-testid="key-count"]', '1 key');
    const oldRow = await session.find('[data-testid="key-row"]');
    const oldId = await session.cmd('GET', `/element/${oldRow}/attribute/data-key-id`);
    await session.click('[data-testid="rotate-key"]', oldRow);
    await session.find('[data-testid="rotate-dialog"]');
    await session.click('[data-testid="rotate-grace"]');
    await session.type('#rotate-amount', '2');
    await session.click('[data-testid="rotate-submit"]');
    const second = await revealCopyClose(session, '13-reveal-rotated-key');
    assert(second !== first, 'rotation issued a different key');

    step('both keys are listed');
    await waitForText(session, '[data-testid="key-count"]', '2 keys');
    const hiddenShown = [];
    for (const cell of await session.all('[data-testid="key-hidden"]')) hiddenShown.push(await session.cmd('GET', `/element/${cell}/text`));
    assert(hiddenShown.includes(hiddenForm(first)) && hiddenShown.includes(hiddenForm(second)), `old and new keys listed (saw ${hiddenShown.join(', ')})`);
    await assertNoSecret(session, [first, second], 'after the rotation');
    await session.screenshot('14-rotated-both-listed');

    step('delete the old key (two clicks)');
    const oldSelector = `[data-testid="key-row"][data-key-id="${oldId}"]`;
    const again = await session.find(oldSelector);
    await session.click('[data-testid="delete-key"]', again);
    await waitForText(session, '[data-testid="delete-key"]', 'Click again to confirm', again);
    await session.click('[data-testid="delete-key"]', again);
    await session.gone(oldSelector);
    await waitForText(session, '[data-testid="key-count"]', '1 key');
    await waitForText(session, '[data-testid="key-hidden"]', hiddenForm(second));
    shared.payments = hiddenForm(second);
  } catch (err) {
    await session.failureScreenshot();
    throw err;
  } finally {
    await session.end();
  }
}

async function journeyMemberDetails() {
  assert(shared.payments, 'this test needs the key made by the journey before it, which failed');
  const session = await Session.start();
  try {
    await session.click('[data-testid="nav-members"]');
    step("Ada's details list her keys");
    await session.click('[data-testid="open-member"]', await session.find('[data-testid="user-row"][data-email="ada@example.com"]'));
    await session.find('[data-testid="member-drawer"]');
    await waitFor('member keys', async () => (await session.count('[data-testid="member-key-row"]')) >= 2);
    const shown = [];
    for (const cell of await session.all('[data-testid="member-key-hidden"]')) shown.push(await session.cmd('GET', `/element/${cell}/text`));
    assert(shown.includes(shared.payments) && shown.includes(shared.hidden), `Ada's keys listed (saw ${shown.join(', ')})`);
    await session.screenshot('20-member-details');
    step("Bob's details say he has none");
    await session.click('[data-testid="drawer-close"]');
    await session.click('[data-testid="open-member"]', await session.find(`[data-testid="user-row"][data-email="${BOB}"]`));
    await session.find('[data-testid="member-no-keys"]');
    await session.click('[data-testid="drawer-close"]');

    step('usage & limits and the audit log');
    await session.click('[data-testid="nav-billing"]');
    await waitForText(session, '[data-testid="page-title"]', 'Usage & limits');
    await session.find('[data-testid="cost-chart"]');
    await session.screenshot('21-usage-and-limits');
    await session.click('[data-testid="nav-audit"]');
    await waitForText(session, '[data-testid="page-title"]', 'Audit log');
    await waitFor('audit entries', async () => (await session.count('[data-testid="audit-row"]')) > 5);
    const audit = await session.text('table[aria-label="Audit log"]');
    assert(audit.includes('api_key.rotated') && audit.includes('workspace.member_added'), 'the audit log lists the rotation and the new member');
    await session.screenshot('22-audit-log');
  } catch (err) {
    await session.failureScreenshot();
    throw err;
  } finally {
    await session.end();
  }
}

function setClockShift(days) {
  writeFileSync(CLOCK_FILE, `${days}\n`);
}

async function journeyBulkDeleteExpired() {
  assert(CLOCK_FILE, 'KEYDESK_TEST_CLOCK_FILE is not set (use tests/e2e/run.sh)');
  setClockShift(0);
  const session = await Session.start();
  try {
    step('create two keys that expire today');
    await session.click('[data-testid="nav-keys"]');
    await waitForText(session, '[data-testid="page-title"]', 'API keys');
    const today = new Date().toISOString().slice(0, 10);
    for (const name of ['Short-lived 1', 'Short-lived 2']) {
      await session.click('[data-testid="create-key"]');
      await session.type('#key-name', name);
      await session.setValue('#key-expiration', today);
      await session.click('[data-testid="create-key-submit"]');
      await session.find('[data-testid="reveal-dialog"]');
      await session.click('[data-testid="reveal-close"]');
      await session.gone('[data-testid="reveal-dialog"]');
      await session.find(`[data-testid="key-row"][data-name="${name}"]`);
    }

    step('three days later they are expired');
    setClockShift(3);
    await session.setValue('[data-testid="filter-status"]', 'expired');
    await waitForText(session, '[data-testid="key-count"]', '2 keys');
    await session.screenshot('30-expired-filter');

    step('select all expired keys, delete them after one confirmation');
    await session.click('[data-testid="select-matching"]');
    await waitForText(session, '[data-testid="selected-count"]', '2 keys selected');
    await session.click('[data-testid="bulk-delete"]');
    await waitForText(session, '[data-testid="bulk-consequence"]', '2 keys will stop working immediately. Applications using them will get errors. This cannot be undone.');
    await session.screenshot('31-bulk-confirm');
    await session.click('[data-testid="bulk-confirm"]');
    await session.gone('[data-testid="bulk-dialog"]');
    await waitForText(session, '[data-testid="key-count"]', '0 keys');

    step('the other keys are untouched');
    await session.setValue('[data-testid="filter-status"]', '');
    await waitFor('the remaining keys', async () => (await session.count('[data-testid="key-row"]')) >= 2);
    assert((await session.all('[data-testid="key-row"][data-name^="Short-lived"]')).length === 0, 'no expired key is left');
  } catch (err) {
    await session.failureScreenshot();
    throw err;
  } finally {
    setClockShift(0);
    await session.end();
  }
}

/** Invokes a command from the current window; resolves to {ok, value} or
 *  {ok: false, refusal} (not `error`, which the client reads as WebDriver's own). */
function invokeHere(session, command, args) {
  return session.cmd('POST', '/execute/async', {
    script: `const done = arguments[arguments.length - 1];
      const [command, args] = [arguments[0], arguments[1]];
      Promise.resolve().then(() => window.__TAURI_INTERNALS__.invoke(command, args)).then(
        (value) => done({ ok: true, value }),
        (error) => done({ ok: false, refusal: typeof error === 'string' ? error : JSON.stringify(error) }));`,
    args: [command, args],
  });
}

/** "YYYY-MM-DD", `days` from today (UTC). */
function dayFromToday(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

/** Creates a key in the open keys view and returns its secret (never printed). */
async function createKeyReadSecret(session, name, expiration) {
  await session.click('[data-testid="create-key"]');
  await session.type('#key-name', name);
  await session.setValue('#key-expiration', expiration);
  await session.click('[data-testid="create-key-submit"]');
  await session.find('[data-testid="reveal-dialog"]');
  const secret = await waitFor('the revealed secret', () => session.property('[data-testid="reveal-secret"]', 'value'));
  await session.click('[data-testid="reveal-close"]');
  await session.gone('[data-testid="reveal-dialog"]');
  await session.find(`[data-testid="key-row"][data-name="${name}"]`);
  return secret;
}

/** Polls the text of the element `testid` inside `row` until it equals
 *  `expected` (read from the DOM: the row's cells clip their overflow, which
 *  WebDriver's own text call reads as not displayed). */
async function waitForCell(session, row, testid, expected) {
  let last;
  try {
    await waitFor(`${testid} to read ${JSON.stringify(expected)}`, async () => {
      last = await session.script(
        `return arguments[0].querySelector('[data-testid="' + arguments[1] + '"]')?.textContent.trim() ?? null;`,
        [{ 'element-6066-11e4-a52e-4f735466cecf': row }, testid],
      );
      return last === expected;
    });
  } catch (err) {
    throw new Error(`${err.message}; last read ${JSON.stringify(last)}`);
  }
}

/** The ids of the app's mapped (shown) X windows whose title matches
 *  `pattern`, from xdotool on the test's display. */
function shownWindows(pattern) {
  try {
    return execFileSync('xdotool', ['search', '--onlyvisible', '--name', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch (err) {
    if (err.status === 1) return []; // none found
    throw err;
  }
}

/** The tray window's row for the key named `name`. */
function trayRow(session, name) {
  return waitFor(`tray row "${name}"`, async () => (await session.all(`[data-testid="tray-key"][data-name="${name}"]`))[0]);
}

async function journeyTrayWindow() {
  setClockShift(0);
  let session = await Session.start();
  try {
    step('create two keys in the main window: one for a month, one expiring in 3 days');
    await session.click('[data-testid="nav-keys"]');
    await waitForText(session, '[data-testid="page-title"]', 'API keys');
    const monthly = await createKeyReadSecret(session, 'Tray monthly', dayFromToday(30));
    const soon = await createKeyReadSecret(session, 'Tray soon', dayFromToday(3));
    await session.end();

    // The next start opens the tray window, as "My keys" does (see run.sh).
    session = await Session.start();
    const main = await session.cmd('GET', '/window');
    step('the tray window lists them, hidden, soonest expiry first');
    await switchToPage(session, 'tray.html');
    await waitForText(session, '[data-testid="tray-user"]', 'Ada Lovelace');
    const soonRow = await trayRow(session, 'Tray soon');
    const monthlyRow = await trayRow(session, 'Tray monthly');
    await waitForCell(session, monthlyRow, 'tray-key-hidden', hiddenForm(monthly));
    await waitForCell(session, monthlyRow, 'tray-key-expiry', 'in 30 days');
    await waitForCell(session, monthlyRow, 'tray-key-workspace', 'Default');
    await waitForCell(session, monthlyRow, 'tray-key-last-used', 'Never used');
    const toneOf = async (row) => session.cmd('GET', `/element/${(await session.all('[data-testid="tray-key-expiry"]', row))[0]}/attribute/data-tone`);
    assertEqual(await toneOf(monthlyRow), 'ok', 'a key with a month left is not flagged');

    step('the key expiring in 3 days carries the warning');
    await waitForCell(session, soonRow, 'tray-key-hidden', hiddenForm(soon));
    await waitForCell(session, soonRow, 'tray-key-expiry', 'in 3 days');
    assertEqual(await toneOf(soonRow), 'warning', 'a key with 3 days left is flagged');
    const colours = await session.script(
      `const [a, b] = [...arguments].map((row) => getComputedStyle(row.querySelector('[data-testid="tray-key-expiry"]')).color);
       return [a, b];`,
      [{ 'element-6066-11e4-a52e-4f735466cecf': soonRow }, { 'element-6066-11e4-a52e-4f735466cecf': monthlyRow }],
    );
    assert(colours[0] !== colours[1], `the warning has its own colour (read ${colours.join(' and ')})`);
    const names = await session.script(`return [...document.querySelectorAll('[data-testid="tray-key-name"]')].map((n) => n.textContent.trim());`);
    assert(names.indexOf('Tray soon') < names.indexOf('Tray monthly'), `soonest expiry first (saw ${names.join(', ')})`);
    await assertNoSecret(session, [monthly, soon], 'tray window');
    await session.screenshot('40-tray-window-light');

    step('search by the last 4 characters, then by name');
    await session.type('[data-testid="tray-search"]', monthly.slice(-4));
    await waitFor('only the matching key', async () => (await session.count('[data-testid="tray-key"]')) === 1);
    await trayRow(session, 'Tray monthly');
    await session.type('[data-testid="tray-search"]', 'tray soon');
    await waitFor('only the key named so', async () => (await session.count('[data-testid="tray-key"]')) === 1);
    await trayRow(session, 'Tray soon');
    await session.setValue('[data-testid="tray-search"]', '');
    await waitFor('every key again', async () => (await session.count('[data-testid="tray-key"]')) >= 2);

    step("the tray window's capability refuses admin commands");
    const listed = await invokeHere(session, 'list_keys', { filter: {} });
    assert(listed.ok, `the tray window may list keys (got ${listed.refusal})`);
    const workspaceId = listed.value.keys[0].workspace_id;
    for (const [command, args] of [
      ['delete_workspace', { workspace_id: workspaceId, confirmed: false }],
      ['create_user', { input: { email: 'eve@example.com', name: 'Eve', org_role: 'admin' } }],
    ]) {
      const refused = await invokeHere(session, command, args);
      assert(!refused.ok, `${command} is refused from the tray window`);
      assert(/not allowed on window "tray"/.test(refused.refusal), `${command} is refused by the permissions (got ${JSON.stringify(refused.refusal)})`);
    }

    step('the same command is allowed from the main window');
    await session.cmd('POST', '/window', { handle: main });
    const fromMain = await invokeHere(session, 'delete_workspace', { workspace_id: workspaceId, confirmed: false });
    // Answered by the backend (a count, or its own refusal for the default
    // workspace), not refused by the permissions.
    const answered = fromMain.ok ? typeof fromMain.value === 'number' : /^\{"code":/.test(fromMain.refusal);
    assert(answered, `the main window reaches the backend (got ${JSON.stringify(fromMain)})`);
    await session.end();

    step('the same list in the dark theme');
    session = await Session.start({ args: ['--test-dark-theme'] });
    await switchToPage(session, 'tray.html');
    assert(await session.script("return matchMedia('(prefers-color-scheme: dark)').matches"), 'the page sees the dark theme');
    await waitForCell(session, await trayRow(session, 'Tray soon'), 'tray-key-expiry', 'in 3 days');
    await session.screenshot('41-tray-window-dark');

    step('the tray window hides when it loses focus');
    const [trayWindow] = shownWindows('My keys');
    const [mainWindow] = shownWindows('^Keydesk$');
    assert(trayWindow && mainWindow, 'both windows are shown');
    execFileSync('xdotool', ['windowfocus', '--sync', trayWindow]);
    execFileSync('xdotool', ['windowfocus', '--sync', mainWindow]);
    await waitFor('the tray window to hide', async () => shownWindows('My keys').length === 0);
    assert(shownWindows('^Keydesk$').length === 1, 'the main window stays');
  } catch (err) {
    await session.failureScreenshot();
    throw err;
  } finally {
    await session.end();
  }
}

/** Where the app (debug build) writes the notifications it shows, one JSON line each (set by run.sh). */
const NOTIFICATIONS_LOG = process.env.KEYDESK_TEST_NOTIFICATIONS_LOG;

/** Seconds the app waits before clearing a copied key in journey (e) (test-only argument). */
const CLEAR_SECONDS = 4;

async function journeyTrayNewKey() {
  const envFile = join(process.env.HOME, 'project', '.env');
  mkdirSync(dirname(envFile), { recursive: true });
  const session = await Session.start({ args: [`--test-clipboard-clear-seconds=${CLEAR_SECONDS}`, `--test-save-dialog-answer=${envFile}`] });
  try {
    await switchToPage(session, 'tray.html');
    await waitForText(session, '[data-testid="tray-user"]', 'Ada Lovelace');

    step('"New key" in the tray: workspace, name, 30 days, Studio, in one step');
    await session.click('[data-testid="tray-new-key-open"]');
    await session.chooseOption('[data-testid="tray-new-key-workspace"]', 'Default');
    await session.type('[data-testid="tray-new-key-name"]', 'From the tray');
    await session.click('[data-testid="tray-new-key-expiry-30"]');
    await session.screenshot('42-tray-new-key');
    await session.click('[data-testid="tray-new-key-submit"]');
    await session.find('[data-testid="tray-reveal"]');
    const secret = await waitFor('the revealed secret', () => session.property('[data-testid="tray-reveal-secret"]', 'value'));
    assert(/^kd_[0-9A-Za-z]{38}$/.test(secret), 'the revealed key has the documented format');

    step('Copy puts the key on the system clipboard; the shell clears it when its delay ends');
    await session.click('[data-testid="tray-reveal-copy"]');
    await waitFor('the key on the clipboard', () => readClipboard() === secret);
    await session.click('[data-testid="tray-reveal-copy-env"]');
    await waitFor('the .env line on the clipboard', () => readClipboard() === `MISTRAL_API_KEY=${secret}`);
    await waitFor('the clipboard to be cleared', () => readClipboard() === '', (CLEAR_SECONDS + 5) * 1000);

    step('Save to .env file: a new file, owner-only, with the variable set');
    await session.click('[data-testid="tray-reveal-save-env"]');
    await session.find('[data-testid="tray-reveal-saved"]');
    assertEqual(readFileSync(envFile, 'utf8'), `MISTRAL_API_KEY=${secret}\n`, 'the .env file holds the key');
    assertEqual(statSync(envFile).mode & 0o777, 0o600, 'the new .env file is readable by its owner only');

    step('Done: the key is listed hidden, and the secret is gone from the window');
    await maskSecret(session);
    await session.screenshot('43-tray-reveal');
    await session.click('[data-testid="tray-reveal-done"]');
    const row = await trayRow(session, 'From the tray');
    await waitForCell(session, row, 'tray-key-hidden', hiddenForm(secret));
    await waitForCell(session, row, 'tray-key-expiry', 'in 30 days');
    await assertNoSecret(session, [secret], 'tray window after Done');

    step('delete it: the first click arms, the second deletes');
    const remove = (await session.all('[data-testid="tray-key-delete"]', row))[0];
    await session.cmd('POST', `/element/${remove}/click`, {});
    await waitFor('the button to ask for confirmation', async () => (await session.cmd('GET', `/element/${remove}/attribute/data-armed`)) === 'true');
    assert((await session.all('[data-testid="tray-key"][data-name="From the tray"]')).length === 1, 'one click deletes nothing');
    await session.cmd('POST', `/element/${remove}/click`, {});
    await session.gone('[data-testid="tray-key"][data-name="From the tray"]');

    step('the key expiring in 3 days was notified once, however often the app started today');
    const sent = () => (existsSync(NOTIFICATIONS_LOG) ? readFileSync(NOTIFICATIONS_LOG, 'utf8') : '').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const aboutSoon = () => sent().filter((n) => n.kind === 'key_expiry' && `${n.title} ${n.body}`.includes('Tray soon'));
    await waitFor('the expiry notification', () => aboutSoon().length > 0, 20000);
    assertEqual(aboutSoon().length, 1, 'notifications about "Tray soon" today');
    assertEqual(aboutSoon()[0].target.view, 'my_keys', 'a click on it opens my keys');
  } catch (err) {
    await session.failureScreenshot();
    throw err;
  } finally {
    await session.end();
  }
}

/** Ends the app the way the desktop session does at log-out (SIGTERM), and waits for it to be gone. */
async function quitApp(session) {
  execFileSync('pkill', ['-TERM', '-x', 'keydesk']);
  await waitFor('the app to quit', () => {
    try {
      execFileSync('pgrep', ['-x', 'keydesk']);
      return false;
    } catch {
      return true;
    }
  });
  await session.end().catch(() => {});
}

async function journeyDesktopConventions() {
  const autostartEntry = join(process.env.HOME, '.config', 'autostart');
  let session = await Session.start();
  const main = await session.cmd('GET', '/window');
  try {
    step('"Start at login" is off until turned on, then writes the autostart entry');
    assert(!existsSync(autostartEntry), 'no autostart entry before the user asks');
    await switchToPage(session, 'tray.html');
    await session.click('[data-testid="tray-settings-open"]');
    await waitFor('the setting to load', async () => (await session.property('[data-testid="tray-setting-start-at-login"]', 'disabled')) === false);
    assert((await session.property('[data-testid="tray-setting-start-at-login"]', 'checked')) === false, 'off by default');
    await session.click('[data-testid="tray-setting-start-at-login"]');
    await waitFor('the autostart entry', () => existsSync(autostartEntry) && readFileSync(join(autostartEntry, readdirOne(autostartEntry)), 'utf8').includes('Exec='));
    await session.click('[data-testid="tray-setting-start-at-login"]');
    await waitFor('the autostart entry to go', () => !existsSync(autostartEntry) || readdirOne(autostartEntry) === null);

    step('the main window comes back at the size and place it had when the app quit');
    await session.cmd('POST', '/window', { handle: main });
    await session.cmd('POST', '/window/rect', { x: 60, y: 40, width: 1000, height: 640 });
    const set = await session.cmd('GET', '/window/rect');
    assertEqual(`${set.width}x${set.height}`, '1000x640', 'the window took the new size');
    await quitApp(session);
    session = await Session.start();
    await session.cmd('POST', '/window', { handle: await session.cmd('GET', '/window') });
    const restored = await session.cmd('GET', '/window/rect');
    assertEqual(`${restored.width}x${restored.height}`, '1000x640', 'the size is restored');
    assertEqual(`${restored.x},${restored.y}`, `${set.x},${set.y}`, 'the place is restored');
  } catch (err) {
    await session.failureScreenshot();
    throw err;
  } finally {
    await session.end().catch(() => {});
  }
}

/** The one file in `dir`, or null when it is empty. */
function readdirOne(dir) {
  const files = readdirSync(dir);
  return files.length === 0 ? null : files[0];
}

const tests = [
  ['first run, workspace, key shown once then only its hidden form', firstRunWorkspaceAndKey],
  ['workspace and key are still there after a restart; the command palette finds the workspace', dataSurvivesRestart],
  ['(a) workspace, member, spend limit, key shown once, rotate with grace, delete old', journeyWorkspaceMemberLimitKeyRotate],
  ["(b) member details list that member's keys", journeyMemberDetails],
  ['(c) bulk delete of expired keys', journeyBulkDeleteExpired],
  ["(d) the tray window lists my keys hidden with their expiry, warns under 7 days, may not call admin commands, and hides when it loses focus", journeyTrayWindow],
  ['(e) a new key from the tray: copied (and cleared by the shell), saved to a .env file, listed hidden, deleted with a second click', journeyTrayNewKey],
  ['(f) start at login is opt-in; the main window comes back at its size and place', journeyDesktopConventions],
];

await runTests(tests);
