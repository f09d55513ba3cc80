// What the service relies on: the injected bandwidth limit, activity events that carry their
// stored entry, batches bound to their server (and organization), and old servers' task status.
import { afterEach, describe, expect, it } from 'vitest';
import type { AbortSignalLike } from '../../../../main/core/signal.js';
import type { Throttle } from '../../../../main/cvat/api.js';
import type { UploadActivity } from '../../../../main/engine/upload/upload-engine.js';
import { ActivityRepo } from '../../../../main/journal/activity-repo.js';
import { DiscardRepo } from '../../../../main/journal/discard-repo.js';
import { FolderRepo } from '../../../../main/journal/folder-repo.js';
import type { FolderRule } from '../../../../preload/contract.js';
import { FakeCvat, httpStatus } from '../fake-cvat.js';
import { makeHarness } from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const SERVER_A = 'https://a.example';

function mixed(name: string, extra: Parameters<Harness['batch']>[2] = {}): number {
  return h.batch(
    name,
    [
      h.file(`${name}/big.jpg`, 9_500),
      h.file(`${name}/a.jpg`, 1500),
      h.file(`${name}/b.png`, 2500),
    ],
    extra,
  );
}

async function run(): Promise<void> {
  h.engine.start();
  await h.engine.idle();
}

function rule(path: string, org: string | null): FolderRule {
  return {
    path,
    target: { kind: 'labels', labels: [{ name: 'car' }] },
    org,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 0,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: { imageQuality: 70 },
    autoExport: null,
  };
}

describe('upload engine: the injected bandwidth limit', () => {
  it('takes every body byte, TUS and Upload-Multiple, from the throttle it was given', async () => {
    const taken: number[] = [];
    const throttle: Throttle = {
      take: (bytes: number, _signal?: AbortSignalLike) => {
        taken.push(bytes);
        return Promise.resolve();
      },
    };
    h = makeHarness({ throttle });
    const id = mixed('cams');
    await run();
    expect(h.engine.batches.get(id)?.state).toBe('done');
    expect(taken.reduce((s, n) => s + n, 0)).toBe(9_500 + 1500 + 2500);
  });
});

describe('upload engine: activity events', () => {
  it('carry the entry as stored in the activity log', async () => {
    h = makeHarness();
    const seen: UploadActivity[] = [];
    h.engine.events.on('activity', (a) => seen.push(a));
    const id = mixed('cams');
    await run();
    expect(seen.map((a) => a.entry.kind)).toEqual(['task-created', 'batch-done']);
    const stored = new ActivityRepo(h.db).list();
    for (const a of seen) {
      expect(a.batchId).toBe(id);
      expect(stored.find((r) => r.id === a.entry.id)).toEqual(a.entry);
    }
  });

  it('include the pause on rejected credentials, which is written to the log', async () => {
    h = makeHarness();
    const seen: UploadActivity[] = [];
    h.engine.events.on('activity', (a) => seen.push(a));
    mixed('cams');
    h.cvat.faults.push({ op: 'tusCreate', when: 'before', error: httpStatus(401, 'upload') });
    await run();
    const auth = seen.filter((a) => a.entry.kind === 'auth-required');
    expect(auth).toHaveLength(1);
    expect(auth[0]).toMatchObject({ batchId: null, entry: { level: 'error' } });
    expect(new ActivityRepo(h.db).list({ kind: 'auth-required' })).toEqual([auth[0]?.entry]);
  });
});

describe('upload engine: batches belong to a server', () => {
  it('takes its folder’s server and organization when planned', () => {
    h = makeHarness();
    const folders = new FolderRepo(h.db, h.clock);
    const f = folders.insert(rule(`${h.dir}/media`, 'acme'), { server: SERVER_A });
    const id = mixed('cams', { folderId: f.id });
    expect(h.engine.batches.get(id)).toMatchObject({ server: SERVER_A, org: 'acme' });
    const own = mixed('own', {
      folderId: f.id,
      key: 'own',
      server: 'https://b.example',
      org: null,
    });
    expect(h.engine.batches.get(own)).toMatchObject({ server: 'https://b.example', org: null });
  });

  it('waits while another server is signed in, and runs once its own is', async () => {
    h = makeHarness();
    const id = mixed('cams', { server: SERVER_A });
    const here = mixed('here', { server: h.cvat.server });
    await run();
    expect(h.engine.getBatch(id)).toMatchObject({ state: 'planned', pausedBy: 'server' });
    expect(h.engine.getBatch(here)?.state).toBe('done');
    expect(h.cvat.calls.filter((c) => c.startsWith('createTask'))).toHaveLength(1);
    const a = new FakeCvat(undefined, { server: SERVER_A });
    h.engine.setApi(a);
    await h.engine.idle();
    expect(h.engine.getBatch(id)).toMatchObject({ state: 'done', pausedBy: null });
    expect([...a.tasks.values()].map((t) => t.task.name)).toEqual(['cams']);
  });

  it('waits for its organization when its folder names one', async () => {
    h = makeHarness();
    const id = mixed('cams', { server: h.cvat.server, org: 'acme' });
    await run();
    expect(h.engine.getBatch(id)).toMatchObject({ state: 'planned', pausedBy: 'server' });
    h.engine.setApi(new FakeCvat(undefined, { server: 'http://fake.test', org: 'other' }));
    await h.engine.idle();
    expect(h.engine.getBatch(id)?.pausedBy).toBe('server');
    const acme = new FakeCvat(undefined, { server: 'http://fake.test', org: 'acme' });
    h.engine.setApi(acme);
    await h.engine.idle();
    expect(h.engine.getBatch(id)?.state).toBe('done');
    expect(acme.tasks.size).toBe(1);
  });

  it('binds a batch planned without a server to the first it runs on; a switch leaves it there', async () => {
    h = makeHarness();
    const id = mixed('cams');
    expect(h.engine.batches.get(id)?.server).toBe('');
    h.cvat.faults.push({ op: 'uploadMultiple', when: 'hang' });
    h.engine.start();
    await until(() => h.cvat.faults.length === 0);
    const b = new FakeCvat(undefined, { server: 'https://b.example' });
    h.engine.setApi(b);
    await h.engine.idle();
    expect(h.engine.getBatch(id)).toMatchObject({
      server: 'http://fake.test',
      state: 'sending',
      pausedBy: 'server',
    });
    expect(b.calls).toEqual([]);
  });

  it('deletes a discarded task only on the server that holds it', async () => {
    h = makeHarness();
    const discards = new DiscardRepo(h.db, h.clock);
    const other = h.cvat.seedTask('someone else’s', 99);
    discards.add(other.id, null, 'discarded on server A', SERVER_A);
    await run();
    expect(h.cvat.calls.filter((c) => c.startsWith('deleteTask'))).toEqual([]);
    expect(h.cvat.tasks.has(other.id)).toBe(true);
    const a = new FakeCvat(undefined, { server: SERVER_A });
    a.seedTask('ours', 5);
    h.engine.setApi(a);
    await h.engine.idle();
    expect(a.calls).toContain(`deleteTask ${other.id}`);
    expect(discards.list()).toEqual([]);
  });
});

describe('upload engine: servers older than 2.16', () => {
  it('waits for the task’s creation status when Upload-Finish gives no request id', async () => {
    h = makeHarness();
    h.cvat.legacy = true;
    const id = mixed('cams');
    await run();
    expect(h.engine.batches.get(id)).toMatchObject({ state: 'done', rqId: null, taskSize: 3 });
    expect(h.cvat.calls).toContain('waitForTaskCreation 1');
  });

  it('fails the batch with CVAT’s message when the creation status says Failed', async () => {
    h = makeHarness();
    h.cvat.legacy = true;
    h.cvat.process = () => ({ ok: false, message: 'ValueError: broken media' });
    const id = mixed('cams');
    await run();
    const b = h.engine.batches.get(id);
    expect(b).toMatchObject({ state: 'failed', lastError: { code: 'processing-failed' } });
    expect(b?.lastError?.message).toMatch(/ValueError: broken media/);
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}
