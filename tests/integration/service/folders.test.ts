// The service's sync folders against the test server: folder calls right after sign-in, rule
// validation on save, uploaded counts and status pushed when uploads and exports finish, and the
// entry point's startup notices in the activity log.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type {
  EventName,
  FolderInfo,
  FolderRule,
  StatusSnapshot,
  SyncEvents,
  Transfer,
} from '../../../preload/contract.js';
import { jpegWithTag, makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { createSyncService } from '../../../main/service/index.js';
import type { SyncServiceImpl } from '../../../main/service/index.js';
import type { ServiceOptions } from '../../../main/service/host.js';

let server: CvatTestServer;
let work: string;
const open: SyncServiceImpl[] = [];
let n = 0;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-service-folders-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

async function service(options: Partial<ServiceOptions> = {}): Promise<SyncServiceImpl> {
  n += 1;
  const s = await createSyncService({
    dataDir: join(work, `data-${n}`),
    host: 'daemon',
    credentials: new MemoryCredentialStore(),
    ...options,
  });
  open.push(s);
  return s;
}

function rule(path: string, over: Partial<FolderRule> = {}): FolderRule {
  return {
    path,
    target: { kind: 'labels', labels: [{ name: 'cat' }] },
    org: null,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 0.1,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: { imageQuality: 70 },
    autoExport: null,
    ...over,
  };
}

function images(root: string, layout: Record<string, number>, seed: number): void {
  let i = seed;
  for (const [sub, count] of Object.entries(layout)) {
    mkdirSync(join(root, sub), { recursive: true });
    for (let k = 0; k < count; k++)
      writeFileSync(join(root, sub, `img-${k}.png`), makePng(16, 12, i++));
  }
}

type Seen = { [E in EventName]: { name: E; payload: SyncEvents[E] } }[EventName];

function record(s: SyncServiceImpl): Seen[] {
  const seen: Seen[] = [];
  s.subscribe((name, payload) => seen.push({ name, payload } as Seen));
  return seen;
}

const signIn = (s: SyncServiceImpl) =>
  s.signIn({ server: server.url, method: 'token', token: server.users.alice.token });

describe('sync folders through the service', () => {
  it('folder calls right after sign-in wait for the folders to start (no "Sign in first")', async () => {
    const s = await service();
    await signIn(s);
    // A folder busy with its first pass makes the switch between servers take a while.
    const busy = join(work, 'busy');
    mkdirSync(busy);
    for (let i = 0; i < 1500; i++) writeFileSync(join(busy, `f${i}.jpg`), jpegWithTag(`file ${i}`));
    expect((await s.addFolder(rule(busy))).ok).toBe(true);
    expect((await s.signOut()).ok).toBe(true);
    expect(await s.addFolder(rule(join(work, 'other')))).toMatchObject({
      ok: false,
      error: { code: 'signed-out' },
    });
    expect((await signIn(s)).ok).toBe(true);
    const dir = join(work, 'right-after');
    mkdirSync(dir);
    const added = await s.addFolder(rule(dir));
    expect(added).toMatchObject({ ok: true, value: { rule: { path: dir } } });
  });

  it('refuses a bad rule on save with every problem named, signed in or not', async () => {
    const s = await service({ autostart: false });
    const dir = join(work, 'bad-rules');
    mkdirSync(dir);
    const bad = rule(dir, {
      include: ['day[1'],
      split: { kind: 'count', count: 0 },
      target: { kind: 'labels', labels: [] },
    });
    // Validation comes first, so a signed-out user learns about the rule too.
    const signedOut = await s.addFolder(bad);
    expect(signedOut).toMatchObject({ ok: false, error: { code: 'invalid-rule', kind: 'item' } });
    await signIn(s);
    const r = await s.addFolder(bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-rule');
    expect(r.error.message).toContain(`The include pattern "day[1" has an unclosed '['.`);
    expect(r.error.message).toContain('Files per task must be a whole number above 0, got 0.');
    expect(r.error.message).toContain('Add at least one label');
    const noProject = await s.addFolder(rule(dir, { target: { kind: 'project', projectId: 0 } }));
    expect(noProject).toMatchObject({
      ok: false,
      error: { code: 'invalid-rule', message: expect.stringContaining('Pick a CVAT project') },
    });
    expect((await s.listFolders()).ok && (await s.listFolders())).toMatchObject({ value: [] });

    const good = await s.addFolder(rule(dir));
    expect(good.ok).toBe(true);
    if (!good.ok) return;
    const update = await s.updateFolder({
      id: good.value.id,
      rule: { ...good.value.rule, exclude: ['/abs/*'] },
    });
    expect(update).toMatchObject({
      ok: false,
      error: {
        code: 'invalid-rule',
        message: expect.stringContaining('must be relative to the folder'),
      },
    });
  });

  it('marks files uploaded as soon as their batches are done, and pushes the folder and status', async () => {
    const s = await service();
    const seen = record(s);
    await signIn(s);
    const dir = join(work, 'photos');
    images(dir, { day1: 3, day2: 2 }, 300);
    const added = await s.addFolder(rule(dir));
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    const id = added.value.id;
    // The folder's own reconcile scan is minutes away: only the batch outcome can do this.
    await vi.waitFor(
      async () => {
        const list = await s.listFolders();
        expect(list.ok && list.value.find((f) => f.id === id)?.counts).toEqual({
          files: 5,
          uploaded: 5,
          pending: 0,
          ignored: 0,
          failed: 0,
        });
      },
      { timeout: 30_000, interval: 100 },
    );
    const folderEvents = seen.flatMap((e) =>
      e.name === 'folder' && (e.payload as FolderInfo).id === id ? [e.payload as FolderInfo] : [],
    );
    expect(folderEvents.at(-1)?.counts).toMatchObject({ files: 5, uploaded: 5, pending: 0 });
    const tasks = server.admin.tasks().filter((t) => t.name.startsWith('photos/'));
    expect(tasks.map((t) => t.name).sort()).toEqual(['photos/day1', 'photos/day2']);

    // A status event follows the last transfer update, with the totals it left behind.
    await vi.waitFor(
      () => {
        const lastTransfer = seen.findLastIndex((e) => e.name === 'transfer');
        const lastStatus = seen.findLastIndex((e) => e.name === 'status');
        expect(lastStatus).toBeGreaterThan(lastTransfer);
        expect((seen[lastStatus]?.payload as StatusSnapshot).totals).toMatchObject({
          active: 0,
          queued: 0,
        });
      },
      { timeout: 5_000, interval: 50 },
    );

    // Exports finish outside the upload queue: their end must refresh the status too.
    const task = tasks[0];
    const exported = await s.exportDataset({
      target: { kind: 'task', id: task?.id ?? 0 },
      format: 'COCO 1.0',
      withImages: false,
      destination: join(work, 'exports'),
    });
    expect(exported.ok).toBe(true);
    if (!exported.ok) return;
    await vi.waitFor(
      () => {
        const done = seen.findLastIndex(
          (e) =>
            e.name === 'transfer' &&
            (e.payload as Transfer).id === exported.value.id &&
            (e.payload as Transfer).state === 'done',
        );
        expect(done).toBeGreaterThan(-1);
        const lastStatus = seen.findLastIndex((e) => e.name === 'status');
        expect(lastStatus).toBeGreaterThan(done);
        expect((seen[lastStatus]?.payload as StatusSnapshot).totals.active).toBe(0);
      },
      { timeout: 20_000, interval: 50 },
    );
  });
});

describe('startup notices', () => {
  it('writes the entry point notices to the activity log at start', async () => {
    const s = await service({
      autostart: false,
      startupNotices: [
        {
          level: 'warn',
          kind: 'credentials',
          message: 'CVAT Sync will ask for the token each start because no keyring is available.',
          hint: 'Install gnome-keyring or KWallet, then restart CVAT Sync.',
        },
        { level: 'info', kind: 'startup', message: 'Plain note.' },
      ],
    });
    const list = await s.listActivity({});
    expect(list.ok).toBe(true);
    if (!list.ok) return;
    expect(list.value.map((a) => [a.level, a.kind, a.message, a.hint])).toEqual(
      expect.arrayContaining([
        [
          'warn',
          'credentials',
          'CVAT Sync will ask for the token each start because no keyring is available.',
          'Install gnome-keyring or KWallet, then restart CVAT Sync.',
        ],
        ['info', 'startup', 'Plain note.', null],
      ]),
    );
  });
});
