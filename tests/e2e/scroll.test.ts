// Scrolling 10,000 tasks in the web GUI, in Chromium, through the real path: the test server
// holds 10,000 tasks (seeded through its admin route), the daemon answers every call from the
// page (list pages from the server, previews from the server). The list stays virtual (a bounded
// number of rows in the DOM), pages arrive as you scroll, each once, and we record frame timing
// from requestAnimationFrame deltas. Goals on frame times are held by `npm run bench:scroll`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import type { TaskQuery } from '../../preload/contract.js';
import {
  ROOT,
  ensureRendererBuilt,
  launchBrowser,
  percentile,
  snap,
  startStack,
  type Stack,
} from './helpers.js';

const TOTAL = 10_000;
const LIST = '[role="listbox"][aria-label="Tasks"]';

// Runs in the page (as text: this project's tsconfig has no DOM types). Steady scrolling
// (≈9,000 px/s at 60 Hz) for 240 frames, then 60 jumps across the whole list; one rAF delta
// per frame, and the most rows the DOM held at any frame.
const MEASURE = `(async () => {
  const viewport = document.querySelector('${LIST}');
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const deltas = [];
  let maxRows = 0;
  let last = await frame();
  for (let i = 0; i < 300; i++) {
    if (i < 240) viewport.scrollTop += 150;
    else viewport.scrollTop = (((i - 240) * 7919) % 10000) * 56;
    const now = await frame();
    deltas.push(now - last);
    last = now;
    maxRows = Math.max(maxRows, viewport.querySelectorAll('[role="option"]').length);
  }
  return { deltas, maxRows, height: viewport.scrollHeight };
})()`;

let stack: Stack;
let browser: Browser;
let page: Page;
const pagesServed: number[] = [];

beforeAll(async () => {
  await ensureRendererBuilt();
  stack = await startStack();
  // Named as CVAT lists them, newest first: row i is "synthetic task {TOTAL - i}".
  const seeded = await fetch(`${stack.cvat.url}/_test/seed-tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ count: TOTAL, owner: 'alice', namePrefix: 'synthetic task' }),
  });
  expect(seeded.ok).toBe(true);
  const signedIn = await stack.daemon.service.signIn({
    server: stack.cvat.url,
    method: 'token',
    token: stack.cvat.users.alice.token,
  });
  expect(signedIn.ok).toBe(true);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r: Request) => {
    if (r.url().endsWith('/rpc/listTasks')) pagesServed.push((r.postDataJSON() as TaskQuery).page);
  });
  await page.goto(stack.daemon.signInLink());
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('tasks list with 10,000 tasks', () => {
  it('stays virtual, pages in while scrolling, and records frame timing', async () => {
    const list = page.getByRole('listbox', { name: 'Tasks' });
    await list.getByText('synthetic task 10000', { exact: true }).waitFor();
    await page.getByText('10,000 tasks').waitFor();
    expect(pagesServed).toEqual([1]);

    const result = (await page.evaluate(MEASURE)) as {
      deltas: number[];
      maxRows: number;
      height: number;
    };

    expect(result.height).toBe(TOTAL * 56);
    expect(result.maxRows).toBeLessThanOrEqual(40);
    expect(pagesServed.length).toBeGreaterThan(5);
    expect(new Set(pagesServed).size).toBe(pagesServed.length); // each page fetched once: cached
    // The daemon asked the server once per page, and only for previews of rows it showed.
    // Pages asked for during the jumps may still be on their way: the log shows answered ones.
    const listed = () =>
      stack.cvat.faults.stats().log.filter((l) => l.method === 'GET' && l.path === '/api/tasks')
        .length;
    await expect.poll(listed, { timeout: 30_000 }).toBe(pagesServed.length);
    const log = stack.cvat.faults.stats().log;
    const previews = log.filter((l) => /^\/api\/tasks\/\d+\/preview$/.test(l.path)).length;
    expect(previews).toBeGreaterThan(0);
    expect(previews).toBeLessThanOrEqual(TOTAL / 5);

    // Land on row 5,000 and see the right task there once its page has arrived.
    await page.evaluate(`document.querySelector('${LIST}').scrollTop = 5000 * 56`);
    await list.getByText(`synthetic task ${TOTAL - 5000}`, { exact: true }).waitFor();
    await list.focus();
    await page.keyboard.press('End');
    await list.getByText('synthetic task 1', { exact: true }).waitFor();
    expect(await list.getAttribute('aria-activedescendant')).toBe(`task-${TOTAL - 1}`);
    await snap(page, 'tasks-10000-end');

    const stats = (deltas: number[]) => {
      const sorted = [...deltas].sort((a, b) => a - b);
      return {
        frames: sorted.length,
        p50: +percentile(sorted, 50).toFixed(1),
        p95: +percentile(sorted, 95).toFixed(1),
        max: +(sorted.at(-1) ?? NaN).toFixed(1),
      };
    };
    const timing = {
      all: stats(result.deltas),
      steadyScroll: stats(result.deltas.slice(0, 240)),
      jumps: stats(result.deltas.slice(240)),
      maxRowsInDom: result.maxRows,
      pagesFetched: pagesServed.length,
    };
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(
      join(ROOT, 'test-artifacts', 'scroll-10000-frame-timing.json'),
      JSON.stringify(timing, null, 2),
    );
    console.log('scroll 10,000 tasks, rAF deltas (ms):', timing);
  });
});
