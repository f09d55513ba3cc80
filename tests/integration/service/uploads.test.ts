// The service's upload queue across restarts: "pause all" and a folder's pause hold after the
// engine starts again, and the engine's activity entries reach subscribers as stored.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEntry, FolderRule } from '../../../preload/contract.js';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { BatchRepo } from '../../../main/journal/batch-repo.js';
import { openJournal } from '../../../main/journal/database.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { createSyncService, JOURNAL_FILE } from '../../../main/service/index.js';
import type { SyncServiceImpl } from '../../../main/service/index.js';
import { systemClock } from '../../../main/service/system-clock.js';

let server: CvatTestServer;
let work: string;
const open: SyncServiceImpl[] = [];
let n = 0;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-service-uploads-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

async function service(dataDir: string, store: MemoryCredentialStore): Promise<SyncServiceImpl> {
  const s = await createSyncService({ dataDir, host: 'daemon', credentials: store });
  open.push(s);
  return s;
}

async function close(s: SyncServiceImpl): Promise<void> {
  open.splice(open.indexOf(s), 1);
  await s.close();
}

function rule(path: string): FolderRule {
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
  };
}

/** A batch planned for the folder (as the planner would have, before the restart). */
function plantBatch(dataDir: string, folderId: number, name: string): number {
  const media = join(dataDir, '..', `${name}-media`);
  mkdirSync(media, { recursive: true });
  const abs = join(media, 'a.png');
  const bytes = makePng(16, 12, 3);
  writeFileSync(abs, bytes);
  const db = openJournal(join(dataDir, JOURNAL_FILE));
  try {
    return new BatchRepo(db, systemClock).insertPlanned({
      folderId,
      key: `test:${name}`,
      name,
      task: { labels: [{ name: 'cat' }] },
      data: { image_quality: 70 },
      files: [
        {
          fileId: null,
          absPath: abs,
          relPath: 'a.png',
          name: 'a.png',
          size: bytes.length,
          mtimeMs: statSync(abs).mtimeMs,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        },
      ],
    });
  } finally {
    db.close();
  }
}

async function signedIn(dataDir: string, store: MemoryCredentialStore): Promise<SyncServiceImpl> {
  const s = await service(dataDir, store);
  const r = await s.signIn({
    server: server.url,
    method: 'token',
    token: server.users.alice.token,
  });
  expect(r.ok).toBe(true);
  return s;
}

function taskNamed(name: string): boolean {
  return server.admin.tasks().some((t) => t.name === name);
}

describe('pauses survive a restart', () => {
  it('keeps "pause all" and resumes on request', async () => {
    n += 1;
    const dataDir = join(work, `data-${n}`);
    const store = new MemoryCredentialStore();
    const folderDir = join(work, `folder-${n}`);
    mkdirSync(folderDir, { recursive: true });
    let s = await signedIn(dataDir, store);
    const folder = await s.addFolder(rule(folderDir));
    if (!folder.ok) throw new Error(folder.error.message);
    expect((await s.pauseAll()).ok).toBe(true);
    await close(s);

    const id = plantBatch(dataDir, folder.value.id, 'held-by-pause-all');
    s = await service(dataDir, store);
    const status = await s.getStatus();
    expect(status.ok && status.value.paused).toBe(true);
    await s.transferService.uploadsIdle();
    expect(s.transferService.get(`upload:${id}`).state).toBe('paused');
    expect(taskNamed('held-by-pause-all')).toBe(false);

    expect((await s.resumeAll()).ok).toBe(true);
    await s.transferService.uploadsIdle();
    expect(s.transferService.get(`upload:${id}`).state).toBe('done');
    expect(taskNamed('held-by-pause-all')).toBe(true);
    await close(s);
    s = await service(dataDir, store);
    const after = await s.getStatus();
    expect(after.ok && after.value.paused).toBe(false);
  });

  it('keeps a folder’s pause for the batches it planned', async () => {
    n += 1;
    const dataDir = join(work, `data-${n}`);
    const store = new MemoryCredentialStore();
    const folderDir = join(work, `folder-${n}`);
    mkdirSync(folderDir, { recursive: true });
    let s = await signedIn(dataDir, store);
    const folder = await s.addFolder(rule(folderDir));
    if (!folder.ok) throw new Error(folder.error.message);
    expect((await s.pauseFolder({ id: folder.value.id })).ok).toBe(true);
    await close(s);

    const id = plantBatch(dataDir, folder.value.id, 'held-by-folder-pause');
    s = await service(dataDir, store);
    await s.transferService.uploadsIdle();
    expect(s.transferService.get(`upload:${id}`).state).toBe('paused');
    expect(taskNamed('held-by-folder-pause')).toBe(false);

    expect((await s.resumeFolder({ id: folder.value.id })).ok).toBe(true);
    await s.transferService.uploadsIdle();
    expect(s.transferService.get(`upload:${id}`).state).toBe('done');
  });
});

describe('upload activity', () => {
  it('reaches subscribers as the entry stored in the log', async () => {
    n += 1;
    const dataDir = join(work, `data-${n}`);
    const store = new MemoryCredentialStore();
    const folderDir = join(work, `folder-${n}`);
    mkdirSync(folderDir, { recursive: true });
    let s = await signedIn(dataDir, store);
    const folder = await s.addFolder(rule(folderDir));
    if (!folder.ok) throw new Error(folder.error.message);
    await close(s);
    const id = plantBatch(dataDir, folder.value.id, 'activity-batch');
    s = await service(dataDir, store);
    const pushed: ActivityEntry[] = [];
    s.subscribe((name, payload) => {
      if (name === 'activity') pushed.push(payload as ActivityEntry);
    });
    await s.transferService.uploadsIdle();
    expect(s.transferService.get(`upload:${id}`).state).toBe('done');
    const ours = pushed.filter((a) => a.transferId === `upload:${id}`);
    expect(ours.map((a) => a.kind)).toEqual(['task-created', 'batch-done']);
    const stored = await s.listActivity({ limit: 100 });
    if (!stored.ok) throw new Error(stored.error.message);
    for (const a of ours) expect(stored.value.find((r) => r.id === a.id)).toEqual(a);
  });
});
