// Shared pieces of the browser tests: build the renderer when it is stale, start the CVAT test
// server and the daemon from their APIs (so afterAll can close them), launch Debian's Chromium,
// and save light and dark screenshots.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  makePng,
  startCvatServer,
  type CvatServerOptions,
  type CvatTestServer,
} from '../cvat-server/index.js';
import { startDaemon, type Daemon } from '../../main/cli/daemon.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIR = join(ROOT, 'dist', 'renderer');
export const SHOTS_DIR = join(ROOT, 'test-artifacts', 'screenshots');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; a lone `vitest --project e2e` run builds here when sources are newer. */
export async function ensureRendererBuilt(): Promise<void> {
  const index = join(RENDERER_DIR, 'index.html');
  const sources = Math.max(
    newestMtime(join(ROOT, 'renderer', 'src')),
    statSync(join(ROOT, 'renderer', 'index.html')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  await build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface Stack {
  cvat: CvatTestServer;
  daemon: Daemon;
  /** A temp folder for this run: the daemon's data, sync folders and downloads live inside. */
  work: string;
  close(): Promise<void>;
}

export async function startStack(cvatOptions: CvatServerOptions = {}): Promise<Stack> {
  const work = mkdtempSync(join(tmpdir(), 'cvat-sync-e2e-'));
  const cvat = await startCvatServer({
    dataDir: join(work, 'cvat'),
    processingDelayMs: 50,
    seed: 7,
    ...cvatOptions,
  });
  let daemon: Daemon;
  try {
    daemon = await startDaemon({ dataDir: join(work, 'data'), port: 0, rendererDir: RENDERER_DIR });
  } catch (e) {
    await cvat.close();
    throw e;
  }
  return {
    cvat,
    daemon,
    work,
    async close() {
      await daemon.close();
      await cvat.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Writes small, distinct PNGs: `{ 'day1': 3 }` makes day1/img-0.png … img-2.png under `root`. */
export function writeImages(root: string, layout: Record<string, number>, seed = 0): void {
  let n = seed;
  for (const [sub, count] of Object.entries(layout)) {
    const dir = join(root, sub);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < count; i++) writeFileSync(join(dir, `img-${i}.png`), makePng(32, 24, n++));
  }
}

/** Saves `<name>-light.png` and `<name>-dark.png` of the page as it is now. */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // In-page code is passed as text: this project's tsconfig has no DOM types.
    await page.evaluate(
      'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))',
    );
    await page.screenshot({ path: join(SHOTS_DIR, `${name}-${colorScheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Collects CSP violations and uncaught page errors, so a test can assert the page ran clean. */
export function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text()))
      problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return problems;
}
