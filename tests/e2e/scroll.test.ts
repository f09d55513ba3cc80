// Scrolling 10,000 tasks in the web GUI, in Chromium: the list stays virtual (a bounded number
// of rows in the DOM), pages arrive as you scroll, and we record frame timing from
// requestAnimationFrame deltas. The daemon serves the page and every other call; listTasks and
// getTaskPreview are answered in the browser with 10,000 synthetic tasks, because creating that
// many tasks on the test server would take most of the suite's time budget.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Route } from 'playwright-core';
import type { TaskQuery, TaskSummary } from '../../preload/contract.js';
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
const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/eL9GtQAAAABJRU5ErkJggg==';

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

function task(id: number): TaskSummary {
  return {
    id,
    name: `synthetic task ${id}`,
    projectId: null,
    projectName: id % 3 === 0 ? 'Animals' : null,
    status: id % 5 === 0 ? 'completed' : 'annotation',
    size: 100,
    mediaType: 'image',
    subset: id % 2 ? 'train' : 'val',
    owner: 'alice',
    assignee: null,
    createdDate: '2026-11-01T10:00:00Z',
    updatedDate: '2026-11-02T10:00:00Z',
    jobs: { count: 4, completed: id % 5, validation: 0 },
    localFolder: { folderId: 1, path: '/data/synthetic' },
    webUrl: `http://127.0.0.1/tasks/${id}`,
  };
}

async function listTasks(route: Route): Promise<void> {
  const q = route.request().postDataJSON() as TaskQuery;
  pagesServed.push(q.page);
  const from = (q.page - 1) * q.pageSize;
  const results = [];
  for (let i = from; i < Math.min(TOTAL, from + q.pageSize); i++) results.push(task(TOTAL - i)); // sort '-id'
  await route.fulfill({
    contentType: 'application/json',
    body: JSON.stringify({ ok: true, value: { count: TOTAL, results } }),
  });
}

beforeAll(async () => {
  await ensureRendererBuilt();
  stack = await startStack();
  const signedIn = await stack.daemon.service.signIn({
    server: stack.cvat.url,
    method: 'token',
    token: stack.cvat.users.alice.token,
  });
  expect(signedIn.ok).toBe(true);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.route('**/rpc/listTasks', listTasks);
  await page.route('**/rpc/getTaskPreview', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ ok: true, value: PIXEL }),
    }),
  );
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
