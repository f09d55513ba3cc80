// A saved folder added again with adoptExisting (the folder editor's choice, `folders add
// --adopt-existing`) after the data folder was lost: the running engine records the tasks
// already in CVAT as done, uploads nothing (the test server's counters), and the folder shows
// every file uploaded.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FolderRule } from '../../../preload/contract.js';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { createSyncService } from '../../../main/service/index.js';
import type { SyncServiceImpl } from '../../../main/service/index.js';

let server: CvatTestServer;
let work: string;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-adopt-service-'));
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

async function engine(dataDir: string): Promise<SyncServiceImpl> {
  const s = await createSyncService({
    dataDir,
    host: 'daemon',
    credentials: new MemoryCredentialStore(),
    autostart: true,
  });
  const r = await s.signIn({
    server: server.url,
    method: 'token',
    token: server.users.alice.token,
  });
  if (!r.ok) throw new Error(r.error.message);
  return s;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a saved folder added again with adoptExisting', () => {
  it('adopts the existing tasks in the running engine and uploads nothing', async () => {
    const dir = join(work, 'photos');
    for (const [sub, count] of [
      ['a', 2],
      ['b', 3],
    ] as const) {
      mkdirSync(join(dir, sub), { recursive: true });
      for (let i = 0; i < count; i++)
        writeFileSync(join(dir, sub, `p${i}.png`), makePng(20 + i, 10, i + count * 10));
    }
    const rule: FolderRule = {
      path: dir,
      target: { kind: 'labels', labels: [{ name: 'cat' }] },
      split: { kind: 'subfolder' },
      include: [],
      exclude: [],
      settleSeconds: 0.1,
      polling: false,
      taskOptions: { imageQuality: 70 },
    };
    const first = await engine(join(work, 'data'));
    const added = await first.addFolder(rule);
    if (!added.ok) throw new Error(added.error.message);
    await until('the first upload', async () => {
      const f = await first.listFolders();
      return f.ok && f.value[0]?.counts.uploaded === 5;
    });
    await first.close();
    rmSync(join(work, 'data'), { recursive: true, force: true });

    const tasksBefore = server.admin.tasks().map((t) => t.id);
    const logFrom = server.faults.stats().log.length;
    const bytesBefore = server.faults.stats().bytesIn;
    const second = await engine(join(work, 'data'));
    const again = await second.addFolder({ ...rule, adoptExisting: true });
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.rule.adoptExisting).toBe(true);
    await until('adoption', async () => {
      const f = await second.listFolders();
      return f.ok && f.value[0]?.counts.uploaded === 5;
    });
    const activity = await second.listActivity({ kind: 'adopt' });
    expect(activity.ok && activity.value.map((a) => a.message).join('\n')).toMatch(
      /already task #\d+ on the server .* nothing uploaded/,
    );
    const transfers = await second.listTransfers({ kinds: ['upload'] });
    expect(transfers.ok && transfers.value.map((t) => t.state)).toEqual(['done', 'done']);
    expect(server.admin.tasks().map((t) => t.id)).toEqual(tasksBefore);
    const log = server.faults.stats().log.slice(logFrom);
    expect(log.filter((l) => l.method !== 'GET' && l.method !== 'HEAD')).toEqual([]);
    expect(server.faults.stats().bytesIn - bytesBefore).toBe(0);
    await second.close();
  });
});
