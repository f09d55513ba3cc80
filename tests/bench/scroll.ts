// Scrolling 10,000 tasks through the real path: the CVAT test server holds 10,000 tasks with
// previews (seeded through its admin route), the daemon serves the web UI and answers every call
// from it, and Chromium scrolls the Tasks view. Nothing is answered inside the page.
//   npm run bench:scroll [-- --tasks 10000] [--profile]   (--profile: the page's CPU profile)
// Records rAF frame deltas while scrolling (steady, then jumps across the list), every list page
// the UI asked the daemon for and every request the daemon sent the server: list pages and
// previews. Goals: frame p95 <= 17 ms, max <= 50 ms; each list page fetched once; previews only
// for rows that were on screen, each fetched once (cached).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Request } from 'playwright-core';
import type { TaskQuery } from '../../preload/contract.js';
import {
  ensureRendererBuilt,
  launchBrowser,
  percentile,
  startStack,
  snap,
} from '../e2e/helpers.js';
import { summarizeProfiles } from './lib/cpu-profile.js';
import { BenchReport, RESULTS_DIR, formatTable, formatValue } from './lib/results.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const TOTAL = option('tasks', 10_000);
const profile = process.argv.includes('--profile');
const ROW = 56;
const LIST = '[role="listbox"][aria-label="Tasks"]';

// Runs in the page (as text: this project's tsconfig has no DOM types). Steady scrolling
// (150 px a frame, ≈9,000 px/s at 60 Hz) for 240 frames, then 60 jumps across the list; one
// rAF delta per frame, and every row index that was on screen at some frame.
const MEASURE = `(async () => {
  const viewport = document.querySelector('${LIST}');
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const deltas = [];
  const seen = new Set();
  // Long tasks (> 50 ms on the page's main thread) tell page work from a starved machine.
  const longTasks = [];
  const observer = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) longTasks.push(Math.round(e.duration));
  });
  observer.observe({ type: 'longtask' });
  const note = () => {
    const a = Math.floor(viewport.scrollTop / ${ROW});
    const b = Math.ceil((viewport.scrollTop + viewport.clientHeight) / ${ROW});
    for (let i = a; i < b; i++) seen.add(i);
  };
  let maxRows = 0;
  let last = await frame();
  note();
  for (let i = 0; i < 300; i++) {
    if (i < 240) viewport.scrollTop += 150;
    else viewport.scrollTop = (((i - 240) * 7919) % ${TOTAL}) * ${ROW};
    const now = await frame();
    deltas.push(now - last);
    last = now;
    note();
    maxRows = Math.max(maxRows, viewport.querySelectorAll('[role="option"]').length);
  }
  await frame();
  observer.disconnect();
  return { deltas, maxRows, height: viewport.scrollHeight, seen: [...seen], longTasks };
})()`;

await ensureRendererBuilt();
const stack = await startStack({ processingDelayMs: 10 });
const report = new BenchReport('scroll', 'Tasks view, 10,000 tasks through daemon and server', {
  tasks: TOTAL,
});
try {
  const seeded = await fetch(`${stack.cvat.url}/_test/seed-tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ count: TOTAL, owner: 'alice' }),
  });
  if (!seeded.ok) throw new Error(`seeding failed: ${seeded.status}`);
  const { ids } = (await seeded.json()) as { ids: number[] };
  const signedIn = await stack.daemon.service.signIn({
    server: stack.cvat.url,
    method: 'token',
    token: stack.cvat.users.alice.token,
  });
  if (!signedIn.ok) throw new Error(`sign-in failed: ${signedIn.error.message}`);

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const uiPages: number[] = [];
    const uiPreviews: number[] = [];
    page.on('request', (r: Request) => {
      if (r.url().endsWith('/rpc/listTasks')) uiPages.push((r.postDataJSON() as TaskQuery).page);
      if (r.url().endsWith('/rpc/getTaskPreview'))
        uiPreviews.push((r.postDataJSON() as { taskId: number }).taskId);
    });
    const logFrom = stack.cvat.faults.stats().log.length;
    await page.goto(stack.daemon.signInLink());
    const list = page.getByRole('listbox', { name: 'Tasks' });
    const newest = Math.max(...ids);
    await list.getByText(`seeded task ${newest}`, { exact: true }).waitFor({ timeout: 60_000 });
    await page.getByText(`${TOTAL.toLocaleString('en-US')} tasks`).waitFor();

    const cdp = profile ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const result = (await page.evaluate(MEASURE)) as {
      deltas: number[];
      maxRows: number;
      height: number;
      seen: number[];
      longTasks: number[];
    };
    if (cdp) {
      const { profile: cpu } = await cdp.send('Profiler.stop');
      const dir = join(RESULTS_DIR, 'profiles', 'scroll');
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'page.cpuprofile'), JSON.stringify(cpu));
      console.log(
        `\nwhere the page spent its main thread while scrolling (self time, top 15)\n${await summarizeProfiles(dir, 15)}`,
      );
    }
    // Let the last pages and previews asked for arrive before counting.
    await page.waitForTimeout(1500);
    await snap(page, 'bench-scroll-10000');

    const log = stack.cvat.faults.stats().log.slice(logFrom);
    const serverPages = log.filter((l) => l.method === 'GET' && l.path === '/api/tasks').length;
    const previewIds = log
      .map((l) => (l.method === 'GET' ? /^\/api\/tasks\/(\d+)\/preview$/.exec(l.path) : null))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    // Sorted newest first: the row at index i is the task with the i-th highest id.
    const byIndex = [...ids].sort((a, b) => b - a);
    const seenIds = new Set(result.seen.map((i) => byIndex[i]));
    const offScreen = previewIds.filter((id) => !seenIds.has(id)).length;
    const repeatedPreviews = previewIds.length - new Set(previewIds).size;
    const repeatedPages = uiPages.length - new Set(uiPages).size;

    const stats = (deltas: number[]) => {
      const sorted = [...deltas].sort((a, b) => a - b);
      return {
        frames: sorted.length,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        max: sorted.at(-1) ?? NaN,
      };
    };
    const all = stats(result.deltas);
    const steady = stats(result.deltas.slice(0, 240));
    const jumps = stats(result.deltas.slice(240));
    const frames = (s: ReturnType<typeof stats>): string =>
      `${s.frames} frames: p50 ${s.p50.toFixed(1)}, p95 ${s.p95.toFixed(1)}, max ${s.max.toFixed(1)} ms`;
    report.goal('frame time p95 (all frames)', all.p95, 'ms', { max: 17 }, frames(all), {
      all,
      steady,
      jumps,
      deltas: result.deltas,
    });
    report.goal(
      'frame time max (all frames)',
      all.max,
      'ms',
      { max: 50 },
      `steady ${frames(steady)}; jumps ${frames(jumps)}`,
    );
    const longMs = result.longTasks.reduce((a, b) => a + b, 0);
    report.goal(
      'long tasks on the page main thread while scrolling',
      result.longTasks.length,
      '',
      null,
      `${longMs} ms in tasks over 50 ms (${result.longTasks.join(', ') || 'none'}), out of ${result.deltas.reduce((a, b) => a + b, 0).toFixed(0)} ms scrolled; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
      { longTasks: result.longTasks },
    );
    report.goal(
      'list pages asked for more than once',
      repeatedPages,
      '',
      { max: 0 },
      `${uiPages.length} listTasks calls from the UI for ${new Set(uiPages).size} pages; ${serverPages} GET /api/tasks at the server`,
      { uiPages, serverPages },
    );
    report.goal(
      'previews of rows never on screen',
      offScreen,
      '',
      { max: 0 },
      `${previewIds.length} preview requests at the server for ${seenIds.size} rows on screen at some frame`,
      {
        previewRequests: previewIds.length,
        rowsOnScreen: seenIds.size,
        uiPreviewCalls: uiPreviews.length,
      },
    );
    report.goal(
      'previews fetched more than once',
      repeatedPreviews,
      '',
      { max: 0 },
      `${uiPreviews.length} getTaskPreview calls from the UI`,
    );
    report.goal(
      'rows in the DOM at most',
      result.maxRows,
      '',
      { max: 40 },
      `list height ${result.height} px for ${TOTAL} rows of ${ROW} px (virtual list)`,
    );
    if (result.height !== TOTAL * ROW)
      throw new Error(`the list is ${result.height} px high, expected ${TOTAL * ROW}`);
  } finally {
    await browser.close();
  }
} finally {
  await stack.close();
}

console.log(`\nScroll benchmark — ${TOTAL} tasks, Chromium -> daemon -> CVAT test server\n`);
console.log(
  formatTable(
    ['measure', 'value', 'goal', '', 'details'],
    report.rows.map((r) => [
      r.measure,
      formatValue(r.value, r.unit),
      r.goal,
      r.met === null ? '' : r.met ? 'met' : 'MISSED',
      r.details,
    ]),
  ),
);
console.log(`\nfigures: ${report.write()}`);
