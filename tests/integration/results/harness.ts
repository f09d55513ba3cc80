// Shared set-up of the results integration tests: a test server, a real CvatClient as alice, a
// journal in a temp dir, and a small image task created through the real upload flow.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CvatApi, DownloadOptions, DownloadResponse } from '../../../main/cvat/api.js';
import { CvatClient } from '../../../main/cvat/client.js';
import type { ResultsEngineOptions } from '../../../main/engine/results/results-engine.js';
import { ResultsEngine } from '../../../main/engine/results/results-engine.js';
import type { Db } from '../../../main/journal/database.js';
import { openJournal } from '../../../main/journal/database.js';
import { systemClock } from '../../../main/service/system-clock.js';
import type { CvatServerOptions, CvatTestServer } from '../../cvat-server/index.js';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import { Journal } from '../../../main/journal/journal.js';

export interface Harness {
  server: CvatTestServer;
  client: CvatClient;
  dir: string;
  db: Db;
  engine(over?: Partial<ResultsEngineOptions>): ResultsEngine;
  /** Stops the engines made so far (call after each test: one running engine per journal). */
  stopEngines(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(serverOptions: CvatServerOptions = {}): Promise<Harness> {
  const server = await startCvatServer({ processingDelayMs: 20, ...serverOptions });
  const dir = await mkdtemp(join(tmpdir(), 'results-it-'));
  const db = openJournal(join(dir, 'journal.db'));
  // Servers before 2.48 have no personal access tokens: sign in with the legacy key there.
  const legacy =
    serverOptions.version !== undefined && Number(serverOptions.version.split('.')[1]) < 48;
  const client = newClient(server, legacy ? 'key' : 'token');
  const engines: ResultsEngine[] = [];
  return {
    server,
    client,
    dir,
    db,
    engine(over = {}) {
      const e = new ResultsEngine({
        journal: new Journal(db, systemClock),
        api: client,
        clock: systemClock,
        random: Math.random,
        downloadsDir: join(dir, 'downloads'),
        backoff: { baseMs: 50, maxMs: 500, jitter: 0, maxAttempts: 5 },
        poll: { minDelayMs: 20, maxDelayMs: 200 },
        chunkSize: 256 * 1024,
        ...over,
      });
      engines.push(e);
      return e;
    },
    async stopEngines() {
      for (const e of engines.splice(0)) await e.stop();
    },
    async close() {
      for (const e of engines.splice(0)) await e.stop();
      db.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function newClient(server: CvatTestServer, auth: 'token' | 'key' = 'token'): CvatClient {
  const alice = server.users.alice;
  return new CvatClient({
    server: server.url,
    auth:
      auth === 'token' ? { kind: 'token', token: alice.token } : { kind: 'key', key: alice.key },
    clock: systemClock,
    random: Math.random,
    // A short idle timeout: on loopback a silent connection is a dead one.
    timeoutMs: 10_000,
  });
}

/** A processed image task with `count` PNGs, made through the real upload flow. */
export async function createImageTask(
  client: CvatClient,
  dir: string,
  name: string,
  count = 3,
): Promise<number> {
  const task = await client.createTask({ name, labels: [{ name: 'car' }, { name: 'person' }] });
  const files = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${name}-${i}.png`);
    const bytes = makePng(64 + i, 48, i + 1);
    await writeFile(path, bytes);
    files.push({ path, name: `img_${i}.png`, size: bytes.length });
  }
  await client.uploadStart(task.id);
  await client.uploadMultiple(task.id, files);
  const rq = await client.uploadFinish(task.id, { image_quality: 70 });
  const poll = { minDelayMs: 20, maxDelayMs: 200 };
  if (rq === null) {
    // Servers before 2.16: the task's own status.
    const status = await client.waitForTaskCreation(task.id, poll);
    if (status.state !== 'Finished')
      throw new Error(`task creation ended ${status.state}: ${status.message}`);
    return task.id;
  }
  const r = await client.waitForRequest(rq, poll);
  if (r?.status !== 'finished') throw new Error(`task creation ended ${r?.status}: ${r?.message}`);
  return task.id;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    h.update(chunk as Buffer);
  return h.digest('hex');
}

/** sha256 of a plain GET of `url` through the client (no engine): the reference bytes. */
export async function sha256Of(
  client: CvatApi,
  url: string,
): Promise<{ sha256: string; size: number }> {
  const r = await client.download(url);
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of r.body) {
    h.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: h.digest('hex'), size };
}

export interface DownloadCall {
  resumeFrom: number;
  status: number;
  resumed: boolean;
}

/** The client, recording each download's Range start and the status it got. */
export function recordingDownloads(api: CvatApi): { api: CvatApi; calls: DownloadCall[] } {
  const calls: DownloadCall[] = [];
  const wrapped = new Proxy(api, {
    get(target, prop, receiver) {
      if (prop === 'download') {
        return async (url: string, options?: DownloadOptions): Promise<DownloadResponse> => {
          const r = await target.download(url, options);
          calls.push({
            resumeFrom: options?.resumeFrom ?? 0,
            status: r.status,
            resumed: r.resumed,
          });
          return r;
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { api: wrapped, calls };
}
