// Benchmark (not a test) of the keys view on a large local store, in the real
// app under tauri-driver. Started by tests/bench/keys-view.sh, which seeds the
// store and runs this through tests/e2e/run.sh (E2E_SCRIPT / E2E_SEED_DIR).
//
// Measures, inside the webview with performance.now():
//   - first rows: click "API keys" until the first key row is in the DOM;
//   - per keystroke: typing a search, one character at a time: the time until
//     the next frame is painted (what the user feels while typing) and the
//     time until the rows answer that query (includes the 150 ms pause the
//     view waits before asking the backend);
//   - scrolling: frame times while scrolling through 20,000 rows.

const WEBDRIVER_URL = (process.env.WEBDRIVER_URL ?? 'http://127.0.0.1:4444').replace(/\/$/, '');
const APP_BIN = process.env.KEYDESK_APP_BIN;
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

async function wd(method, path, body) {
  const r = await fetch(`${WEBDRIVER_URL}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await r.json();
  if (!r.ok || payload.value?.error) throw new Error(`${method} ${path}: ${payload.value?.message ?? r.status}`);
  return payload.value;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => `${x.toFixed(1)} ms`;

const session = (await wd('POST', '/session', { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: APP_BIN } } } })).sessionId;
const run = (script, args = []) => wd('POST', `/session/${session}/execute/async`, { script, args });

try {
  // Wait for the main page.
  for (let i = 0; i < 200; i++) {
    const found = await wd('POST', `/session/${session}/elements`, { using: 'css selector', value: '[data-testid="nav-keys"]' });
    if (found.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const firstRows = [];
  for (let i = 0; i < 6; i++) {
    const ms = await run(`const done = arguments[arguments.length - 1];
      document.querySelector('[data-testid="nav-workspaces"]').click();
      setTimeout(() => {
        const t0 = performance.now();
        document.querySelector('[data-testid="nav-keys"]').click();
        (function poll() {
          if (document.querySelector('[data-testid="key-row"]')) done(performance.now() - t0);
          else requestAnimationFrame(poll);
        })();
      }, 300);`);
    firstRows.push(ms);
  }
  console.log(`first rows of the keys view: first ${fmt(firstRows[0])}, median ${fmt(median(firstRows))} (${firstRows.map((x) => x.toFixed(0)).join(', ')} ms)`);

  for (const query of ['analytics', 'Équipe données', '1234']) {
    const result = await run(`const done = arguments[arguments.length - 1];
      const query = arguments[0];
      const input = document.querySelector('[data-testid="key-search"]');
      const scroller = () => document.querySelector('[data-testid="keys-scroller"]');
      const setValue = (v) => { input.value = v; input.dispatchEvent(new Event('input', { bubbles: true })); };
      setValue('');
      const frames = [], answers = [];
      let i = 0;
      function next() {
        if (i === query.length) return done({ frames, answers });
        const typed = query.slice(0, ++i);
        const t0 = performance.now();
        setValue(typed);
        requestAnimationFrame(() => {
          frames.push(performance.now() - t0);
          (function poll() {
            if (scroller() && scroller().dataset.query === typed.trim()) { answers.push(performance.now() - t0); setTimeout(next, 50); }
            else requestAnimationFrame(poll);
          })();
        });
      }
      setTimeout(next, 500);`, [query]);
    console.log(`typing ${JSON.stringify(query)}: keystroke to next frame median ${fmt(median(result.frames))}, worst ${fmt(Math.max(...result.frames))}; rows answer the query after median ${fmt(median(result.answers))}, worst ${fmt(Math.max(...result.answers))} (incl. the 150 ms typing pause)`);
  }

  const scroll = await run(`const done = arguments[arguments.length - 1];
    const input = document.querySelector('[data-testid="key-search"]');
    input.value = ''; input.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(() => {
      const s = document.querySelector('[data-testid="keys-scroller"]');
      const deltas = [];
      let last = performance.now(), n = 0;
      function frame() {
        const now = performance.now();
        deltas.push(now - last); last = now;
        s.scrollTop += 32 * 100;
        if (++n < 200) requestAnimationFrame(frame);
        else done({ deltas: deltas.slice(1), rows: document.querySelectorAll('[data-testid="key-row"]').length, loaded: Math.round(s.scrollHeight / 32) });
      }
      requestAnimationFrame(frame);
    }, 800);`);
  console.log(`scrolling 100 rows per frame for 200 frames: frame time median ${fmt(median(scroll.deltas))}, worst ${fmt(Math.max(...scroll.deltas))}; ${scroll.rows} rows in the DOM, about ${scroll.loaded} loaded`);
} finally {
  await wd('DELETE', `/session/${session}`);
}
