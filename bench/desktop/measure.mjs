// Measures start time and memory of two apps in the same run, under
// tauri-driver (started by tests/e2e/run.sh, see bench/desktop/run.sh):
//   - start: from asking for a WebDriver session (which launches the app)
//     until the page's first interactive element is there (Keydesk: the
//     sidebar's "API keys"; the floor: its static page);
//   - memory: PSS summed over the app's process and every process under it
//     (WebKit's web and network processes), read from /proc 2 s later.
// Rounds alternate between the apps; medians and ratios are printed.

import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';

import { wd } from '../../tests/e2e/driver.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const APPS = [
  { name: 'Keydesk', bin: process.env.BENCH_APP, ready: '[data-testid="nav-keys"]' },
  { name: 'floor', bin: process.env.BENCH_FLOOR, ready: '#ready' },
];

/** pid -> parent pid, for every process. */
function parents() {
  const map = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      map.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

function pidsOf(binary) {
  const name = basename(binary).slice(0, 15);
  const found = [];
  for (const [pid] of parents()) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name) found.push(pid);
    } catch {
      // gone
    }
  }
  return found;
}

/** PSS in kB of `root` and all its descendants. */
function pssTree(root) {
  const byParent = parents();
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, parent] of byParent) if (parent === tree[i]) tree.push(pid);
  }
  let total = 0;
  const parts = {};
  for (const pid of tree) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      parts[name] = (parts[name] ?? 0) + kb;
      total += kb;
    } catch {
      // gone, or not ours to read
    }
  }
  return { kb: total, processes: tree.length, parts };
}

async function once(app) {
  const t0 = performance.now();
  const { sessionId } = await wd('POST', '/session', { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: app.bin } } } });
  try {
    for (;;) {
      const found = await wd('POST', `/session/${sessionId}/elements`, { using: 'css selector', value: app.ready });
      if (found.length) break;
      if (performance.now() - t0 > 60000) throw new Error(`${app.name}: ${app.ready} never appeared`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const startMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    const [pid] = pidsOf(app.bin);
    if (!pid) throw new Error(`${app.name}: its process was not found`);
    return { startMs, ...pssTree(pid) };
  } finally {
    await wd('DELETE', `/session/${sessionId}`).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(APPS.map((a) => [a.name, []]));
for (const app of APPS) await once(app); // warm the page cache for both
for (let round = 0; round < ROUNDS; round++) {
  for (const app of APPS) results[app.name].push(await once(app));
}
const summary = {};
for (const app of APPS) {
  const runs = results[app.name];
  summary[app.name] = {
    start: median(runs.map((r) => r.startMs)),
    pss: median(runs.map((r) => r.kb)),
    processes: median(runs.map((r) => r.processes)),
    parts: Object.fromEntries(Object.keys(runs[0].parts).map((name) => [name, median(runs.map((r) => r.parts[name] ?? 0))])),
  };
  const parts = Object.entries(summary[app.name].parts).map(([name, kb]) => `${name} ${(kb / 1024).toFixed(1)}`).join(', ');
  console.log(`${app.name}: start ${summary[app.name].start.toFixed(0)} ms, PSS ${(summary[app.name].pss / 1024).toFixed(1)} MiB over ${summary[app.name].processes} processes (${parts} MiB; median of ${ROUNDS})`);
}
console.log(`ratio: start ${(summary.Keydesk.start / summary.floor.start).toFixed(2)}x (goal <= 1.2x), memory ${(summary.Keydesk.pss / summary.floor.pss).toFixed(2)}x (goal <= 1.25x)`);
