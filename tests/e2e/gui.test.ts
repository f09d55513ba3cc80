// A new user's path through the daemon's web GUI, in Debian's Chromium against the CVAT test
// server: sign in, add a folder, see its tasks created with progress, export and download a
// dataset, pause and resume, and a failure shown with its fix.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
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

const UI_TIMEOUT = 30_000;

beforeAll(async () => {
  await ensureRendererBuilt();
  stack = await startStack();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(UI_TIMEOUT);
  problems = collectPageProblems(page);
  await page.goto(stack.daemon.signInLink());
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function go(view: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: view, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: view }).waitFor();
}

async function addFolder(path: string, label: string): Promise<void> {
  await go('Sync folders');
  await page.getByRole('button', { name: 'Add folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add sync folder' });
  await dialog.getByLabel('Path on this computer').fill(path);
  await dialog.getByLabel('New label name').fill(label);
  await dialog.getByRole('button', { name: 'Add label' }).click();
  await dialog.getByLabel('Settle window (s)').fill('1');
}

describe('web GUI against the CVAT test server', () => {
  it('signs in with a personal access token and checks the server', async () => {
    await page.getByRole('heading', { name: 'Sign in to CVAT' }).waitFor();
    expect(page.url()).not.toContain('token=');
    expect(page.url()).not.toContain('code=');
    expect(await page.getByLabel('Server URL').inputValue()).toBe('https://app.cvat.ai');
    await snap(page, 'connect-signed-out');

    await page.getByLabel('Server URL').fill(stack.cvat.url);
    await page.getByLabel('Access token', { exact: true }).fill(stack.cvat.users.alice.token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    await expectText(page.locator('dl'), '2.80.0');
    await expectText(page.getByRole('banner', { name: 'Status' }), 'Connected');
    await page
      .getByLabel('Organization')
      .locator('option[value="acme"]')
      .waitFor({ state: 'attached' });

    await page.getByRole('button', { name: 'Check server' }).click();
    await page.locator('.findings li').first().waitFor();
    expect(await page.locator('.findings li').count()).toBeGreaterThan(0);
    await snap(page, 'connect-signed-in');
  });

  it('adds a folder with a live preview and watches its tasks appear with progress', async () => {
    const photos = join(stack.work, 'photos');
    writeImages(photos, { day1: 3, day2: 2 });
    await addFolder(photos, 'cat');
    const dialog = page.getByRole('dialog', { name: 'Add sync folder' });
    const planned = dialog.locator('.planned li');
    await planned.nth(1).waitFor();
    const names = await planned.locator('span[title]').allTextContents();
    expect(names).toHaveLength(2);
    expect(names.join(' ')).toContain('day1');
    expect(names.join(' ')).toContain('day2');
    await snap(page, 'folder-editor');
    await dialog.getByRole('button', { name: 'Add folder', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const card = page.getByRole('listitem', { name: `Folder ${photos}` });
    await card.waitFor();

    await go('Tasks');
    const list = page.getByRole('listbox', { name: 'Tasks' });
    await expectText(list, 'day1', 60_000);
    await expectText(list, 'day2', 60_000);
    const row = list.getByRole('option').filter({ hasText: 'day1' });
    await expectText(row, /\d+\/\d+ jobs?\b/);
    expect(await row.getByRole('progressbar').count()).toBe(1);
    await expectText(row, `from ${photos}`);
    const onServer = stack.cvat.admin.tasks();
    expect(onServer.map((t) => t.name).sort()).toEqual(names.sort());
    expect(onServer.map((t) => stack.cvat.admin.taskFiles(t.id).length).sort()).toEqual([2, 3]);
    await row.click();
    await page.getByRole('complementary', { name: 'Selected task' }).getByRole('img').waitFor();
    await snap(page, 'tasks');

    await go('Transfers');
    await expectText(page.getByRole('list', { name: 'Transfers' }), 'done');
    await snap(page, 'transfers-uploads');

    await go('Sync folders');
    await expectText(card, 'Watching');
    await expectText(card, '5 of 5 uploaded');
    await snap(page, 'folders');
  });

  it('exports a dataset and downloads it to disk', async () => {
    await go('Tasks');
    const exports = join(stack.work, 'exports');
    await page
      .getByRole('listbox', { name: 'Tasks' })
      .getByRole('option')
      .filter({ hasText: 'day2' })
      .click();
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export dataset' });
    await dialog.getByRole('combobox', { name: /^Format/ }).selectOption('COCO 1.0');
    await dialog.getByLabel('Include images').check();
    await dialog.getByLabel('Save to folder').fill(exports);
    await snap(page, 'export-dialog');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    await expectText(page.getByRole('status'), 'queued');

    await go('Transfers');
    const download = page.getByRole('listitem').filter({ hasText: 'Download' }).first();
    await expectText(download, `saved to ${exports}`, 60_000);
    await snap(page, 'transfers-download');
    const files = readdirSync(exports).filter((f) => !f.endsWith('.part'));
    expect(files).toHaveLength(1);
    expect(statSync(join(exports, files[0] as string)).size).toBeGreaterThan(0);
  });

  it('pauses and resumes all transfers', async () => {
    await go('Transfers');
    const bar = page.getByRole('banner', { name: 'Status' });
    await page.getByRole('button', { name: 'Pause all' }).click();
    await bar.getByText('Paused').waitFor();
    const paused = await stack.daemon.service.getStatus();
    expect(paused.ok && paused.value.paused).toBe(true);
    await snap(page, 'paused');
    await page.getByRole('button', { name: 'Resume all' }).click();
    await bar.getByText('Paused').waitFor({ state: 'detached' });
    const resumed = await stack.daemon.service.getStatus();
    expect(resumed.ok && resumed.value.paused).toBe(false);
  });

  it('shows a failed upload in plain words with its fix, and retries it', async () => {
    const faulty = join(stack.work, 'faulty');
    writeImages(faulty, { only: 1 }, 100);
    stack.cvat.faults.failNext({
      kind: 'status',
      status: 413,
      method: 'POST',
      path: /^\/api\/tasks\/\d+\/data/,
      times: 1000,
    });
    await addFolder(faulty, 'dog');
    const dialog = page.getByRole('dialog', { name: 'Add sync folder' });
    await dialog.getByRole('button', { name: 'Add folder', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    await go('Transfers');
    const failed = page
      .getByRole('listitem')
      .filter({ has: page.getByText('failed', { exact: true }) })
      .first();
    await failed.waitFor({ timeout: 60_000 });
    const alert = failed.getByRole('alert');
    await expectText(alert, 'Fix:');
    await expectText(alert, /size|413/i);
    await expectText(page.getByRole('banner', { name: 'Status' }), '1 failed');
    await snap(page, 'transfers-failure');

    stack.cvat.faults.clear();
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page
      .getByRole('listitem')
      .filter({ has: page.getByText('failed', { exact: true }) })
      .first()
      .waitFor({ state: 'detached', timeout: 60_000 });
  });

  it('shows activity and settings, and stays readable at small and large windows', async () => {
    await go('Activity');
    await page.getByRole('list', { name: 'Activity log' }).getByRole('listitem').first().waitFor();
    await snap(page, 'activity');
    await go('Settings');
    await page.getByLabel('Data folder').waitFor();
    expect(await page.getByLabel('Data folder').inputValue()).toBe(join(stack.work, 'data'));
    await snap(page, 'settings');

    for (const [width, height] of [
      [1024, 700],
      [1920, 1080],
    ] as const) {
      await page.setViewportSize({ width, height });
      await go('Tasks');
      await page.getByRole('listbox', { name: 'Tasks' }).getByRole('option').first().waitFor();
      // Nothing may scroll sideways: the layout fits the window.
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(
        true,
      );
      await snap(page, `tasks-${width}x${height}`);
      await go('Sync folders');
      await snap(page, `folders-${width}x${height}`);
    }
    expect(existsSync(join(stack.work, 'data'))).toBe(true);
  });

  it('ran every step without a CSP violation or an uncaught page error', () => {
    expect(problems).toEqual([]);
  });
});

/** Waits until the element shows `text` (the UI updates from pushed events, not at once). */
async function expectText(
  locator: Locator,
  text: string | RegExp,
  timeout = UI_TIMEOUT,
): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}
