// End-to-end test of the real Keydesk app: drives the built binary through
// tauri-driver (W3C WebDriver, plain fetch, no dependencies).
//
// Environment:
//   WEBDRIVER_URL     tauri-driver's address (default http://127.0.0.1:4444)
//   KEYDESK_APP_BIN   the app binary (default target/debug/keydesk)
//   KEYDESK_DATA_DIR  an empty data folder; tauri-driver must have been started
//                     with the same value, since the app inherits its environment
//   E2E_ARTIFACTS     where screenshots go (default target/e2e-artifacts)
//   KEYDESK_TEST_CLOCK_FILE  (test only, debug builds) a file holding the number
//                     of days the app's store clock is shifted by; journey (c)
//                     writes it to make keys expire
// Usually started by tests/e2e/run.sh, which sets all of these up.
//
// The full key secret read from the reveal dialog is never printed.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const WEBDRIVER_URL = (process.env.WEBDRIVER_URL ?? 'http://127.0.0.1:4444').replace(/\/$/, '');
const APP_BIN = resolve(process.env.KEYDESK_APP_BIN ?? 'target/debug/keydesk');
const DATA_DIR = process.env.KEYDESK_DATA_DIR;
const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS ?? 'target/e2e-artifacts');
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 15000);

const ORG = 'Acme Research';
const WORKSPACE = 'Platform Team';
const KEY_NAME = 'CI pipeline';
const CLOCK_FILE = process.env.KEYDESK_TEST_CLOCK_FILE;

// ------------------------------------------------------------ WebDriver client

class WebDriverError extends Error {}

async function wd(method, path, body) {
  try {
    return await wdOnce(method, path, body);
  } catch (err) {
    if (err.name === 'TimeoutError') throw new WebDriverError(`${method} ${path}${body ? ` ${JSON.stringify(body).slice(0, 80)}` : ''}: no answer in time`);
    throw err;
  }
}

async function wdOnce(method, path, body) {
  const response = await fetch(`${WEBDRIVER_URL}${path}`, {
    method,
    // A session start launches the app; anything else should be quick.
    signal: AbortSignal.timeout(path === '/session' ? 60000 : 30000),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let payload;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new WebDriverError(`${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!response.ok || (payload.value && payload.value.error)) {
    const v = payload.value ?? {};
    const err = new WebDriverError(`${method} ${path}: ${v.error ?? response.status}: ${v.message ?? text.slice(0, 200)}`);
    err.code = v.error;
    throw err;
  }
  return payload.value;
}

async function waitFor(what, probe, timeoutMs = TIMEOUT_MS) {
  const until = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

class Session {
  static async start() {
    const value = await wd('POST', '/session', {
      capabilities: {
        alwaysMatch: { browserName: 'wry', 'tauri:options': { application: APP_BIN } },
      },
    });
    const session = new Session(value.sessionId);
    // A plain `cargo build` makes a dev binary that loads the Vite dev server
    // instead of the embedded UI; it is not the app we ship.
    const url = await session.cmd('GET', '/url');
    if (/^https?:\/\/localhost:5173/.test(url)) {
      await session.end();
      throw new Error(
        `${APP_BIN} is a dev build (it loads ${url}); build the app with ` +
          '`npx --prefix ui tauri build --debug --no-bundle` (or point KEYDESK_APP_BIN at a release build)',
      );
    }
    return session;
  }

  constructor(id) {
    this.id = id;
  }

  cmd(method, path, body) {
    return wd(method, `/session/${this.id}${path}`, body);
  }

  /** All elements matching a CSS selector (under `parent` if given). */
  async all(selector, parent) {
    const base = parent ? `/element/${parent}` : '';
    const found = await this.cmd('POST', `${base}/elements`, { using: 'css selector', value: selector });
    return found.map((e) => e[ELEMENT]);
  }

  /** Waits for the first element matching `selector`, returns its id. */
  find(selector, parent) {
    return waitFor(`element ${selector}`, async () => (await this.all(selector, parent))[0]);
  }

  async gone(selector) {
    await waitFor(`${selector} to disappear`, async () => (await this.all(selector)).length === 0);
  }

  async click(selector, parent) {
    const id = await this.find(selector, parent);
    await waitFor(`${selector} to be clickable`, async () => {
      await this.cmd('POST', `/element/${id}/click`, {});
      return true;
    });
  }

  async type(selector, text) {
    const id = await this.find(selector);
    await this.cmd('POST', `/element/${id}/clear`, {});
    await this.cmd('POST', `/element/${id}/value`, { text });
  }

  async text(selector, parent) {
    const id = await this.find(selector, parent);
    return this.cmd('GET', `/element/${id}/text`);
  }

  async property(selector, name) {
    const id = await this.find(selector);
    return this.cmd('GET', `/element/${id}/property/${name}`);
  }

  source() {
    return this.cmd('GET', '/source');
  }

  /** Sets a <select> or <input> through the DOM and fires the events Svelte's bindings listen to. */
  async setValue(selector, value) {
    await this.find(selector);
    const ok = await this.script(
      `const el = document.querySelector(arguments[0]);
       if (!el) return false;
       el.value = arguments[1];
       el.dispatchEvent(new Event('input', { bubbles: true }));
       el.dispatchEvent(new Event('change', { bubbles: true }));
       return el.value === arguments[1];`,
      [selector, value],
    );
    assert(ok, `could not set ${selector} to ${value}`);
  }

  /** Selects the option of a <select> whose text contains `text`. */
  async chooseOption(selector, text) {
    const value = await waitFor(`option "${text}" in ${selector}`, () =>
      this.script(
        `const el = document.querySelector(arguments[0]);
         const o = el && [...el.options].find((o) => o.textContent.includes(arguments[1]));
         return o ? o.value : null;`,
        [selector, text],
      ),
    );
    await this.setValue(selector, value);
  }

  async count(selector) {
    return (await this.all(selector)).length;
  }

  script(body, args = []) {
    return this.cmd('POST', '/execute/sync', { script: body, args });
  }

  /**
   * Saves a screenshot once the UI has settled: fonts loaded, no running
   * animation, two frames painted since the last change. WebKitWebDriver's
   * capture waits for the page's next painted frame, which an idle page
   * under Xvfb never produces; while we capture, a 1-pixel ticker in the
   * bottom-right corner flips between two near-invisible greys to keep
   * frames coming. Of two captures the second is kept: it shows a frame
   * painted after the settled DOM.
   */
  async screenshot(name) {
    await this.cmd('POST', '/execute/async', {
      script: `const done = arguments[arguments.length - 1];
        const until = Date.now() + 3000;
        document.fonts.ready.then(function settle() {
          requestAnimationFrame(() => requestAnimationFrame(() => {
            const busy = document.getAnimations().some((a) => a.playState === 'running');
            if (busy && Date.now() < until) settle(); else done(true);
          }));
        });`,
      args: [],
    });
    await this.script(`if (!document.getElementById('e2e-repaint-ticker')) {
        const tick = document.createElement('div');
        tick.id = 'e2e-repaint-ticker';
        tick.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none';
        document.body.appendChild(tick);
        let odd = false;
        (function frame() {
          if (!tick.isConnected) return;
          odd = !odd;
          tick.style.backgroundColor = odd ? 'rgba(128,128,128,0.04)' : 'rgba(128,128,128,0.08)';
          requestAnimationFrame(frame);
        })();
      }`);
    try {
      await this.cmd('GET', '/screenshot');
      const png = await this.cmd('GET', '/screenshot');
      const file = resolve(ARTIFACTS, `${name}.png`);
      writeFileSync(file, Buffer.from(png, 'base64'));
      console.log(`    screenshot ${file}`);
    } finally {
      await this.script(`document.getElementById('e2e-repaint-ticker')?.remove();`);
    }
  }

  async end() {
    await this.cmd('DELETE', '');
  }

  /** A picture of where a failed test stopped, with any key field masked first. */
  async failureScreenshot() {
    try {
      await this.script(`document.querySelectorAll('[data-testid="reveal-secret"]').forEach((el) => { el.value = 'kd_' + '\u2022'.repeat(38); });`);
      await this.screenshot(`failed-${this.id.slice(0, 8)}`);
    } catch {
      // best effort
    }
  }
}

// ------------------------------------------------------------ the tests

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/** Polls the text of `selector` until it equals `expected`. */
async function waitForText(session, selector, expected, parent) {
  let last;
  try {
    await waitFor(`${selector} to read ${JSON.stringify(expected)}`, async () => {
      last = await session.text(selector, parent);
      return last === expected;
    });
  } catch (err) {
    throw new Error(`${err.message}; last read ${JSON.stringify(last)}`);
  }
}

function assertEqual(actual, expected, message) {
  if (actual !== expected) {
    throw new Error(`assertion failed: ${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** The key's display form: first 4 + "..." + last 4 characters. */
function hiddenForm(secret) {
  return `${secret.slice(0, 4)}...${secret.slice(-4)}`;
}

async function workspaceRow(session, name) {
  return waitFor(`workspace row "${name}"`, async () => (await session.all(`[data-testid="workspace-row"][data-name="${name}"]`))[0]);
}

const shared = { hidden: null, payments: null };


function step(text) {
  console.log(`    - ${text}`);
}

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
  } finally {
    await session.end();
  }
}


/** Masks the reveal dialog's secret field before a screenshot. */
async function maskSecret(session) {
  await session.script(
    "document.querySelector('[data-testid=\"reveal-secret\"]').value = 'kd_' + '\u2022'.repeat(38);",
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

    step('the clipboard holds the key until it is cleared (through the clipboard plugin, as the 60 s timer does)');
    const clipboardHolds = (secret) =>
      session.cmd('POST', '/execute/async', {
        script: `const done = arguments[arguments.length - 1];
          const secret = arguments[0];
          window.__TAURI_INTERNALS__.invoke('plugin:clipboard-manager|read_text').then((t) => done(t === secret), () => done(false));`,
        args: [secret],
      });
    assert((await clipboardHolds(first)) === true, 'the copied key is on the system clipboard');
    await session.click('[data-testid="clipboard-clear-now"]');
    await session.gone('[data-testid="clipboard-toast"]');
    assert((await clipboardHolds(first)) === false, 'the clipboard no longer holds the key');
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

// ------------------------------------------------------------ runner

async function preflight() {
  if (!existsSync(APP_BIN)) throw new Error(`app binary not found: ${APP_BIN} (build it with cargo build)`);
  if (!DATA_DIR) throw new Error('KEYDESK_DATA_DIR is not set (tauri-driver must be started with it; use tests/e2e/run.sh)');
  if (existsSync(DATA_DIR) && readdirSync(DATA_DIR).length > 0) throw new Error(`KEYDESK_DATA_DIR is not empty: ${DATA_DIR}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await waitFor(`tauri-driver at ${WEBDRIVER_URL}`, async () => (await wd('GET', '/status')) !== undefined, 10000);
}

const tests = [
  ['first run, workspace, key shown once then only its hidden form', firstRunWorkspaceAndKey],
  ['workspace and key are still there after a restart', dataSurvivesRestart],
  ['(a) workspace, member, spend limit, key shown once, rotate with grace, delete old', journeyWorkspaceMemberLimitKeyRotate],
  ["(b) member details list that member's keys", journeyMemberDetails],
  ['(c) bulk delete of expired keys', journeyBulkDeleteExpired],
];

let passed = 0;
let failed = 0;
try {
  await preflight();
  for (const [name, run] of tests) {
    const started = Date.now();
    try {
      await run();
      passed++;
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name}\n     ${err.message}`);
    }
  }
} catch (err) {
  console.log(`setup failed: ${err.message}`);
  failed = tests.length - passed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
