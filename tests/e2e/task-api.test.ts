// The task API views in Debian's Chromium against the CVAT test server: editing a task (with
// CVAT's refusal of a move and its fix), and Verify per task and per folder after a frame was
// marked deleted on the server, and a honeypot task's validation layout (frames disabled,
// honeypots re-drawn). Screenshots light and dark.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { call, createHoneypotTask } from '../cvat-server/test-helpers.js';
import {
  collectPageProblems,
  ensureRendererBuilt,
  launchBrowser,
  snap,
  startStack,
  writeImages,
  type Stack,
} from './helpers.js';

let stack: Stack;
let browser: Browser;
let page: Page;
let problems: string[] = [];
let photos = '';

async function expectText(l: Locator, text: string | RegExp, timeout = 30_000): Promise<void> {
  await l.filter({ hasText: text }).first().waitFor({ timeout });
}

async function go(view: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: view, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: view }).waitFor();
}

beforeAll(async () => {
  await ensureRendererBuilt();
  stack = await startStack();
  const service = stack.daemon.service;
  const signed = await service.signIn({
    server: stack.cvat.url,
    method: 'token',
    token: stack.cvat.users.alice.token,
  });
  if (!signed.ok) throw new Error(signed.error.message);
  photos = join(stack.work, 'photos');
  writeImages(photos, { day1: 3, day2: 2 });
  const added = await service.addFolder({
    path: photos,
    target: { kind: 'labels', labels: [{ name: 'car' }, { name: 'person' }] },
    split: { kind: 'subfolder' },
    include: [],
    exclude: [],
    settleSeconds: 0.2,
    polling: false,
    taskOptions: { imageQuality: 70 },
  });
  if (!added.ok) throw new Error(added.error.message);
  for (let i = 0; i < 600; i++) {
    const tasks = stack.cvat.admin.tasks();
    if (tasks.length === 2 && tasks.every((t) => stack.cvat.admin.taskFiles(t.id).length > 0)) {
      const r = await service.listTransfers({ kinds: ['upload'] });
      if (r.ok && r.value.length === 2 && r.value.every((t) => t.state === 'done')) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30_000);
  problems = collectPageProblems(page);
  await page.goto(stack.daemon.signInLink());
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('task API views', () => {
  it('edits a task: name, subset, assignee from the user search', async () => {
    await go('Tasks');
    const list = page.getByRole('listbox', { name: 'Tasks' });
    await expectText(page.locator('.view-head'), '2 tasks');
    await list.getByRole('option').filter({ hasText: 'day1' }).click();
    await page.getByRole('button', { name: 'Edit…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Edit task #/ });
    await dialog.getByLabel('Name', { exact: true }).fill('street day 1');
    await dialog.getByLabel('Subset').fill('train');
    await dialog.getByLabel('Find a user').fill('bo');
    await dialog.getByRole('button', { name: 'bob' }).click();
    await dialog.getByText('2 labels').waitFor();
    await snap(page, 'task-edit');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectText(page.getByRole('status'), 'Saved task');
    const task = stack.cvat.admin.tasks().find((t) => t.name === 'street day 1');
    expect(task).toBeDefined();
    const onServer = (await call(stack.cvat, 'GET', `/api/tasks/${task?.id}`)).json();
    expect(onServer.subset).toBe('train');
    expect(onServer.assignee.username).toBe('bob');
    await expectText(list, 'street day 1');
  });

  it('shows CVAT’s refusal of a move with the fix', async () => {
    const p = await call(stack.cvat, 'POST', '/api/projects', {
      body: { name: 'Cars only', labels: [{ name: 'car' }] },
    });
    expect(p.status).toBe(201);
    // A fresh sign-in loads the lookups (projects) again.
    await page.goto(stack.daemon.signInLink());
    await go('Tasks');
    await page
      .getByRole('listbox', { name: 'Tasks' })
      .getByRole('option')
      .filter({ hasText: 'day2' })
      .click();
    await page.getByRole('button', { name: 'Edit…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Edit task #/ });
    await dialog.getByLabel('Project').selectOption({ label: 'Cars only' });
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const alert = dialog.getByRole('alert');
    await expectText(alert, 'All task or project label names must be mapped to the target project');
    await expectText(alert, 'has no label "person"');
    await snap(page, 'task-edit-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('verifies a task and a folder: a frame deleted on the server is missing', async () => {
    const task = stack.cvat.admin.tasks().find((t) => t.name === 'street day 1');
    const del = await call(stack.cvat, 'PATCH', `/api/tasks/${task?.id}/data/meta`, {
      body: { deleted_frames: [1] },
    });
    expect(del.status).toBe(200);
    await go('Tasks');
    await page
      .getByRole('listbox', { name: 'Tasks' })
      .getByRole('option')
      .filter({ hasText: 'street day 1' })
      .click();
    await page.getByRole('button', { name: 'Verify' }).click();
    const dialog = page.getByRole('dialog', { name: /^Verify task/ });
    const status = dialog.getByRole('status');
    await expectText(status, 'Not everything is in CVAT.');
    await expectText(status, '2 files in CVAT · 1 file missing from CVAT');
    await expectText(
      dialog.getByRole('listbox', { name: 'Verified files' }),
      'frame 1 is marked deleted on the server',
    );
    await snap(page, 'verify-task');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await go('Sync folders');
    await page
      .getByRole('listitem', { name: `Folder ${photos}` })
      .getByRole('button', { name: 'Verify' })
      .click();
    const folderDialog = page.getByRole('dialog', { name: `Verify ${photos}` });
    await expectText(
      folderDialog.getByRole('status'),
      '4 files in CVAT · 1 file missing from CVAT',
    );
    await snap(page, 'verify-folder');
    await folderDialog.getByRole('button', { name: 'Close' }).click();

    // The folder editor offers the rebuild choice (adopt existing tasks).
    await page
      .getByRole('listitem', { name: `Folder ${photos}` })
      .getByRole('button', { name: 'Edit rule…' })
      .click();
    const editor = page.getByRole('dialog', { name: /sync folder/i });
    await editor.getByLabel(/Recognise\s+existing\s+tasks/).check();
    await editor.getByText('uploaded only if you retry it').waitFor();
    await snap(page, 'folder-editor-adopt');
    await editor.getByRole('button', { name: 'Cancel' }).click();
  });

  it('uploads a JSON annotation file with a mode and downloads the annotations', async () => {
    const task = stack.cvat.admin.tasks().find((t) => t.name === 'street day 1');
    const labels = (await call(stack.cvat, 'GET', `/api/labels?task_id=${task?.id}`)).json();
    const car = labels.results.find((l: { name: string }) => l.name === 'car').id;
    const file = join(stack.work, 'predictions.json');
    writeFileSync(
      file,
      JSON.stringify({
        shapes: [0, 2].map((frame) => ({
          type: 'rectangle',
          frame,
          label_id: car,
          points: [1, 1, 8, 8],
        })),
      }),
    );
    await go('Tasks');
    await page
      .getByRole('listbox', { name: 'Tasks' })
      .getByRole('option')
      .filter({ hasText: 'street day 1' })
      .click();
    await page.getByRole('button', { name: 'Annotations…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Annotations of task/ });
    await dialog.getByLabel('JSON file').setInputFiles(file);
    await dialog.getByLabel('Add to the existing annotations').check();
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    await expectText(dialog.getByRole('status'), 'CVAT applied 2 shapes, 0 tags and 0 tracks');
    const onServer = (await call(stack.cvat, 'GET', `/api/tasks/${task?.id}/annotations`)).json();
    expect(onServer.shapes.map((x: { frame: number }) => x.frame)).toEqual([0, 2]);
    await dialog.getByRole('button', { name: 'Download JSON' }).click();
    await expectText(dialog.getByRole('status'), 'Saved 2 shapes');
    const text = (await dialog.getByRole('status').textContent()) ?? '';
    const saved = /to (.*\.json)\./.exec(text)?.[1] ?? '';
    expect(JSON.parse(readFileSync(saved, 'utf8')).shapes).toHaveLength(2);
    await snap(page, 'annotations');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('browses frames in a lazy grid, opens an original, marks deleted and restores', async () => {
    const task = stack.cvat.admin.tasks().find((t) => t.name === 'street day 1');
    const meta = () =>
      call(stack.cvat, 'GET', `/api/tasks/${task?.id}/data/meta`).then((r) => r.json());
    expect((await meta()).deleted_frames).toEqual([1]);
    await page.getByRole('button', { name: 'Frames…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Frames of task/ });
    await expectText(dialog.getByRole('status'), '3 frames');
    await expectText(dialog.getByRole('status'), '1 deleted frame');
    const grid = dialog.getByRole('listbox', { name: 'Frames' });
    await grid.locator('img').nth(2).waitFor();
    expect(await grid.locator('img').count()).toBe(3);
    await expectText(grid, 'deleted');
    await snap(page, 'frames-grid');

    await grid.getByRole('button', { name: /^Open frame 2/ }).click();
    const big = page.getByRole('dialog', { name: /^Frame 2:/ });
    await big.getByRole('img', { name: 'Frame 2, original' }).waitFor();
    await big.press('Escape');

    await grid.getByLabel('Select frame 0').check();
    await dialog.getByRole('button', { name: 'Mark deleted…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Mark frames deleted?' });
    await expectText(confirm, 'Annotators will no longer see 1 frame: 0 (img-0.png)');
    await snap(page, 'frames-delete-confirm');
    await confirm.getByRole('button', { name: 'Mark deleted' }).click();
    await expectText(dialog.getByRole('status'), '2 deleted frames');
    expect((await meta()).deleted_frames).toEqual([0, 1]);

    await grid.getByLabel('Select frame 1').check();
    await dialog.getByRole('button', { name: 'Restore…' }).click();
    await page
      .getByRole('dialog', { name: 'Restore frames?' })
      .getByRole('button', { name: 'Restore' })
      .click();
    await expectText(dialog.getByRole('status'), '1 deleted frame');
    expect((await meta()).deleted_frames).toEqual([0]);
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(problems).toEqual([]);
  });

  it('shows a honeypot task’s layout, disables validation frames and re-draws the honeypots', async () => {
    const id = await createHoneypotTask(stack.cvat, {
      count: 9,
      segment: 3,
      pool: 3,
      perJob: 1,
      name: 'honeypot street',
    });
    const layout = () =>
      call(stack.cvat, 'GET', `/api/tasks/${id}/validation_layout`).then((r) => r.json());
    const before = await layout();
    const [a, b, kept] = before.validation_frames as [number, number, number];
    await page.goto(stack.daemon.signInLink());
    await go('Tasks');
    await page
      .getByRole('listbox', { name: 'Tasks' })
      .getByRole('option')
      .filter({ hasText: 'honeypot street' })
      .click();
    const cell = page.getByLabel('Validation', { exact: true });
    await expectText(cell, 'Honeypots, 1 frame per job; 3 validation frames');
    const honeypots = cell.getByRole('list', { name: 'Honeypots' });
    for (const [i, h] of (before.honeypot_frames as number[]).entries())
      await expectText(honeypots, `frame ${h} shows frame ${before.honeypot_real_frames[i]}`);
    await snap(page, 'validation-honeypots');

    await cell.getByRole('button', { name: `Disable frame ${a}` }).click();
    await expectText(page.getByRole('status'), `Frame ${a} no longer used for validation`);
    await cell.getByRole('button', { name: `Disable frame ${b}` }).click();
    await expectText(cell, '3 validation frames (2 disabled)');
    expect((await layout()).disabled_frames).toEqual([a, b]);

    await cell.getByRole('button', { name: 'Shuffle honeypots' }).click();
    await expectText(page.getByRole('status'), `New honeypots drawn for task #${id}.`);
    const after = await layout();
    expect(after.honeypot_real_frames).toEqual(before.honeypot_frames.map(() => kept));
    for (const h of after.honeypot_frames as number[])
      await expectText(honeypots, `frame ${h} shows frame ${kept}`);
    await snap(page, 'validation-shuffled');
    expect(problems).toEqual([]);
  });
});
