// The WebDriver client and the small test runner the end-to-end scripts
// share: a W3C WebDriver session on tauri-driver (plain fetch, no
// dependencies), waiting helpers, screenshots, assertions, and a runner that
// prints one line per test and the closing "N passed, M failed" line.
//
// Environment:
//   WEBDRIVER_URL     tauri-driver's address (default http://127.0.0.1:4444)
//   KEYDESK_APP_BIN   the app binary (default target/debug/keydesk)
//   KEYDESK_DATA_DIR  an empty data folder; tauri-driver must have been started
//                     with the same value, since the app inherits its environment
//   E2E_ARTIFACTS     where screenshots go (default target/e2e-artifacts)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const WEBDRIVER_URL = (process.env.WEBDRIVER_URL ?? 'http://127.0.0.1:4444').replace(/\/$/, '');
export const APP_BIN = resolve(process.env.KEYDESK_APP_BIN ?? 'target/debug/keydesk');
export const DATA_DIR = process.env.KEYDESK_DATA_DIR;
export const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS ?? 'target/e2e-artifacts');
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 15000);

// ------------------------------------------------------------ WebDriver client

export class WebDriverError extends Error {}

export async function wd(method, path, body) {
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

export async function waitFor(what, probe, timeoutMs = TIMEOUT_MS) {
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

export class Session {
  /** Starts the app; `args` are passed to it (e.g. the test-only `--test-dark-theme`). */
  static async start({ args = [] } = {}) {
    const value = await wd('POST', '/session', {
      capabilities: {
        alwaysMatch: { browserName: 'wry', 'tauri:options': { application: APP_BIN, args } },
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
      await this.script(`document.querySelectorAll('[data-testid="reveal-secret"], [data-testid="tray-reveal-secret"]').forEach((el) => { el.value = 'kd_' + '\u2022'.repeat(38); });`);
      await this.screenshot(`failed-${this.id.slice(0, 8)}`);
    } catch {
      // best effort
    }
  }
}

// ------------------------------------------------------------ assertions

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/** Polls the text of `selector` until it equals `expected`. */
export async function waitForText(session, selector, expected, parent) {
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

export function assertEqual(actual, expected, message) {
  if (actual !== expected) {
    throw new Error(`assertion failed: ${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Switches the session to the window whose page is `page` (e.g. "tray.html"); returns its handle. */
export async function switchToPage(session, page) {
  return waitFor(`a window showing ${page}`, async () => {
    for (const handle of await session.cmd('GET', '/window/handles')) {
      await session.cmd('POST', '/window', { handle });
      if ((await session.cmd('GET', '/url')).endsWith(page)) return handle;
    }
    return null;
  });
}

/** The text on the X clipboard of the test's display, as another program
 *  sees it (xclip); '' when it holds no text. */
export function readClipboard() {
  try {
    return execFileSync('xclip', ['-o', '-selection', 'clipboard'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return ''; // xclip fails when the clipboard holds no text
  }
}

/** The key's display form: first 4 + "..." + last 4 characters. */
export function hiddenForm(secret) {
  return `${secret.slice(0, 4)}...${secret.slice(-4)}`;
}

// ------------------------------------------------------------ runner

export function step(text) {
  console.log(`    - ${text}`);
}

/** Checks the app, the empty data folder and the driver before any test. */
export async function preflight() {
  if (!existsSync(APP_BIN)) throw new Error(`app binary not found: ${APP_BIN} (build it with cargo build)`);
  if (!DATA_DIR) throw new Error('KEYDESK_DATA_DIR is not set (tauri-driver must be started with it; use tests/e2e/run.sh)');
  if (existsSync(DATA_DIR) && readdirSync(DATA_DIR).length > 0) throw new Error(`KEYDESK_DATA_DIR is not empty: ${DATA_DIR}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await waitFor(`tauri-driver at ${WEBDRIVER_URL}`, async () => (await wd('GET', '/status')) !== undefined, 10000);
}

/** Runs `[name, fn]` pairs in order, prints a line each and the closing
 *  count, and exits non-zero when any failed. */
export async function runTests(tests) {
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
}
