// Small files are read once: their bytes are hashed as they stream into the Upload-Multiple
// request and compared with the planned hash afterwards. Reads are counted twice: at the
// FileSystem port the client reads through, and by an fs spy under it that sees every open of a
// media file (so a read that bypassed the port would show). A file changed in place while its
// request is under way must never end up in a finished task.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import type * as NodeFs from 'node:fs';
import type * as NodeFsPromises from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Throttle } from '../../../main/cvat/api.js';
import type { FileSystem } from '../../../main/fs/file-system.js';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import { overriding } from '../../unit/fs/overriding.js';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { NewBatchFile } from '../../../main/journal/batch-repo.js';
import {
  expectExactlyOnce,
  makeClient,
  plan,
  tokenAuth,
  waitFor,
  workspace,
  writeImage,
} from './helpers.js';
import type { Workspace } from './helpers.js';

const opened = vi.hoisted(() => new Map<string, number>());

// Every way this code base opens a file for reading goes through one of these.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  const note = (p: unknown): void => {
    if (typeof p === 'string') opened.set(p, (opened.get(p) ?? 0) + 1);
  };
  const spied = {
    ...fs,
    createReadStream: ((p: string, o?: unknown) => {
      note(p);
      return fs.createReadStream(p, o as never);
    }) as typeof fs.createReadStream,
    readFileSync: ((p: string, o?: unknown) => {
      note(p);
      return fs.readFileSync(p, o as never);
    }) as typeof fs.readFileSync,
    openSync: ((p: string, ...rest: unknown[]) => {
      note(p);
      return fs.openSync(p, ...(rest as [never]));
    }) as typeof fs.openSync,
  };
  return { ...spied, default: spied };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof NodeFsPromises>();
  const note = (p: unknown): void => {
    if (typeof p === 'string') opened.set(p, (opened.get(p) ?? 0) + 1);
  };
  const spied = {
    ...fsp,
    open: ((p: string, ...rest: unknown[]) => {
      note(p);
      return fsp.open(p, ...(rest as [never]));
    }) as typeof fsp.open,
    readFile: ((p: string, ...rest: unknown[]) => {
      note(p);
      return fsp.readFile(p, ...(rest as [never]));
    }) as typeof fsp.readFile,
  };
  return { ...spied, default: spied };
});

let server: CvatTestServer;
let ws: Workspace;

/** Reads of each path through the port: opens for reading and range streams. */
const portReads = new Map<string, number>();
const countingFs: FileSystem = overriding(nodeFileSystem, {
  open: (path, mode) => {
    if (mode === 'read') portReads.set(path, (portReads.get(path) ?? 0) + 1);
    return nodeFileSystem.open(path, mode);
  },
  readStream: (path, options) => {
    portReads.set(path, (portReads.get(path) ?? 0) + 1);
    return nodeFileSystem.readStream(path, options);
  },
});

beforeEach(async () => {
  server = await startCvatServer({ seed: 5, processingDelayMs: 20 });
});
afterEach(async () => {
  await ws.cleanup();
  await server.close();
});

function images(n: number): NewBatchFile[] {
  return Array.from({ length: n }, (_, i) =>
    writeImage(ws, `day/img_${String(i).padStart(3, '0')}.png`, 40 + i),
  );
}

describe('small files are read once', () => {
  it('opens each small file exactly once from planning to a finished task', async () => {
    ws = workspace(server, {
      fs: countingFs,
      api: makeClient(server.url, tokenAuth(server), { fs: countingFs }),
    });
    const files = images(30);
    const id = ws.engine.batches.insertPlanned(plan('day', files));
    opened.clear();
    portReads.clear();
    ws.engine.start();
    await ws.engine.idle();
    expectExactlyOnce(server, ws.engine, [id]);
    expect(server.faults.stats().log.filter((l) => l.path.endsWith('/data/')).length).toBe(
      // Upload-Start, ceil(30 / 20) Upload-Multiple requests, Upload-Finish
      1 + 2 + 1,
    );
    for (const f of files) expect(opened.get(f.absPath) ?? 0, f.relPath).toBe(1);
    for (const f of files) expect(portReads.get(f.absPath) ?? 0, f.relPath).toBe(1);
  });

  it('a file rewritten in place while its request streams: the task is discarded, never finished', async () => {
    let taken = 0;
    let rewritten = false;
    const files: NewBatchFile[] = [];
    // Same size, same mtime: only the bytes tell. It happens after the first file went out and
    // before the last one is opened, so the request carries the changed bytes to the server.
    const throttle: Throttle = {
      take(bytes) {
        taken += bytes;
        const first = files[0];
        const last = files[files.length - 1];
        if (!rewritten && first && last && taken > first.size) {
          rewritten = true;
          const before = statSync(last.absPath);
          const bytesNow = readFileSync(last.absPath);
          bytesNow[bytesNow.length - 20] = (bytesNow[bytesNow.length - 20] ?? 0) ^ 0xff;
          writeFileSync(last.absPath, bytesNow);
          utimesSync(last.absPath, before.atime, before.mtime);
        }
        return Promise.resolve();
      },
    };
    ws = workspace(server, { throttle, bulkBatchFiles: 50 });
    files.push(...images(12));
    const id = ws.engine.batches.insertPlanned(plan('day', files));
    const replans: string[] = [];
    ws.engine.events.on('replan-needed', (r) => replans.push(r.relPath));
    ws.engine.start();
    await ws.engine.idle();
    expect(rewritten).toBe(true);
    const b = ws.engine.batches.get(id);
    expect(b).toMatchObject({
      state: 'planned',
      replanReason: expect.stringMatching(/img_011\.png: its content changed .*while sending/),
    });
    expect(replans).toEqual(['day/img_011.png']);
    const log = server.faults.stats().log;
    // The changed bytes did reach the server in one request, and no Upload-Finish followed.
    expect(log.filter((l) => l.method === 'POST' && l.path.endsWith('/data/')).length).toBe(2);
    // The janitor deletes the discarded task: nothing with those bytes is left on the server.
    await waitFor(() => server.admin.tasks().length === 0, 10_000, 'discarded task deleted');
    expect(ws.engine.batches.files(id).every((f) => f.state === 'pending')).toBe(true);

    // Planned again with the file as it is now, the batch finishes with the new bytes.
    const last = files[files.length - 1];
    if (!last) throw new Error('no files');
    const again = files.map((f) =>
      f === last
        ? {
            ...f,
            sha256: createHash('sha256').update(readFileSync(f.absPath)).digest('hex'),
            // utimes restores the mtime to the millisecond at best: plan with what is there now.
            mtimeMs: statSync(f.absPath).mtimeMs,
          }
        : f,
    );
    expect(
      ws.engine.batches.replan(id, {
        name: 'day',
        task: { labels: [{ name: 'car' }] },
        data: { image_quality: 70 },
        files: again,
      }),
    ).toBe(true);
    ws.engine.wake();
    // The janitor may still be recording the deletion it made: the batch starts after it.
    await waitFor(() => ws.engine.batches.get(id)?.state === 'done', 20_000, 'batch done');
    await ws.engine.idle();
    expectExactlyOnce(server, ws.engine, [id]);
    const finishes = server.faults
      .stats()
      .log.filter((l) => l.method === 'POST' && l.path.endsWith('/data/'));
    expect(finishes.length).toBe(2 + 3);
  });
});
