// The downloader through the FileSystem port, on real temp files and on the in-memory fake: the
// same cases, so the fake is held to what the disk does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../main/core/clock.js';
import { SyncError } from '../../../../main/core/errors.js';
import type { CvatApi } from '../../../../main/cvat/api.js';
import type { DownloadParams } from '../../../../main/engine/results/downloader.js';
import { downloadToFile } from '../../../../main/engine/results/downloader.js';
import type { FileSystem } from '../../../../main/fs/file-system.js';
import { MemoryFileSystem } from '../../../../main/fs/memory-file-system.js';
import { nodeFileSystem } from '../../../../main/fs/node-file-system.js';
import { overriding } from '../../fs/overriding.js';
import { FakeCvat } from '../fake-cvat.js';

interface Disk {
  fs: FileSystem;
  dir: string;
  cleanup(): Promise<void>;
}

const disks: Array<{ name: string; make: () => Promise<Disk> }> = [
  {
    name: 'real files',
    async make() {
      const dir = await mkdtemp(join(tmpdir(), 'dl-'));
      return { fs: nodeFileSystem, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'the in-memory fake',
    async make() {
      const fs = new MemoryFileSystem();
      await fs.mkdir('/home/user/Downloads', { recursive: true });
      return { fs, dir: '/home/user/Downloads', cleanup: async () => undefined };
    },
  },
];

describe.each(disks)('downloadToFile on $name', ({ make }) => {
  let disk: Disk;
  let fs: FileSystem;
  let dir: string;
  let api: FakeCvat;
  let url: string;
  const payload = new Uint8Array(10_000).map((_, i) => (i * 7) % 256);

  beforeEach(async () => {
    disk = await make();
    fs = disk.fs;
    dir = disk.dir;
    api = new FakeCvat();
    api.nextResult = { bytes: payload, filename: 'task_1_dataset_coco 1.0.zip' };
    const rq = await api.exportDataset({ kind: 'task', id: 1 }, 'COCO 1.0', false);
    url = (await api.getRequest(rq))?.result_url as string;
  });
  afterEach(async () => {
    await disk.cleanup();
  });

  async function readdir(path: string): Promise<string[]> {
    return (await fs.readdir(path)).map((e) => e.name).sort();
  }

  async function readFile(path: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of fs.readStream(path)) parts.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(parts);
  }

  async function writeFile(path: string, text: string): Promise<void> {
    const file = await fs.open(path, 'truncate');
    await file.write(Buffer.from(text));
    await file.close();
  }

  function params(over: Partial<DownloadParams> = {}): DownloadParams {
    return {
      api: api.asApi(),
      url,
      clock: new FakeClock(),
      fs,
      dir,
      partPath: null,
      fallbackName: 'fallback.zip',
      partsInUse: () => new Set(),
      ...over,
    };
  }

  async function failure(p: Promise<unknown>): Promise<SyncError> {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SyncError);
    return e as SyncError;
  }

  it('writes the file under its server name, with no .part left', async () => {
    const parts: string[] = [];
    const out = await downloadToFile(params({ onPart: (p) => parts.push(p) }));
    expect(out.finalPath).toBe(join(dir, 'task_1_dataset_coco 1.0.zip'));
    expect(parts).toEqual([`${out.finalPath}.part`]);
    expect(Buffer.from(await readFile(out.finalPath)).equals(Buffer.from(payload))).toBe(true);
    expect(await readdir(dir)).toEqual(['task_1_dataset_coco 1.0.zip']);
  });

  it('keeps the bytes of a broken connection in .part and continues them with Range', async () => {
    api.breakAfter = [3_500];
    let part: string | null = null;
    const err = await failure(downloadToFile(params({ onPart: (p) => (part = p) })));
    expect(err.kind).toBe('transient');
    expect(part).not.toBeNull();
    expect(await readdir(dir)).toEqual(['task_1_dataset_coco 1.0.zip.part']);
    expect((await readFile(part as unknown as string)).length).toBe(3_500);

    const out = await downloadToFile(params({ partPath: part }));
    expect(out.resumedFrom).toBe(3_500);
    expect(api.downloads.map((d) => [d.resumeFrom, d.status])).toEqual([
      [0, 200],
      [3_500, 206],
    ]);
    expect(Buffer.from(await readFile(out.finalPath)).equals(Buffer.from(payload))).toBe(true);
    expect(await readdir(dir)).toEqual(['task_1_dataset_coco 1.0.zip']);
  });

  it('starts over cleanly when the server ignores Range (200)', async () => {
    api.rangeSupport = false;
    api.breakAfter = [4_000];
    let part: string | null = null;
    await failure(downloadToFile(params({ onPart: (p) => (part = p) })));
    const out = await downloadToFile(params({ partPath: part }));
    expect(out.resumedFrom).toBe(0);
    expect(api.downloads.map((d) => [d.resumeFrom, d.status])).toEqual([
      [0, 200],
      [4_000, 200],
    ]);
    expect(Buffer.from(await readFile(out.finalPath)).equals(Buffer.from(payload))).toBe(true);
  });

  it('never overwrites: a taken name becomes "name (2)"', async () => {
    await writeFile(join(dir, 'task_1_dataset_coco 1.0.zip'), 'mine');
    const out = await downloadToFile(params());
    expect(out.finalPath).toBe(join(dir, 'task_1_dataset_coco 1.0 (2).zip'));
    expect((await readFile(join(dir, 'task_1_dataset_coco 1.0.zip'))).toString('utf8')).toBe(
      'mine',
    );
    // A .part another transfer holds is skipped too.
    const third = await downloadToFile(
      params({ partsInUse: () => new Set([join(dir, 'task_1_dataset_coco 1.0 (3).zip.part')]) }),
    );
    expect(third.finalPath).toBe(join(dir, 'task_1_dataset_coco 1.0 (4).zip'));
  });

  it('makes a hostile server name safe', async () => {
    api.nextResult = { bytes: payload, filename: '../../etc/CON.zip' };
    const rq = await api.exportDataset({ kind: 'task', id: 1 }, 'COCO 1.0', false);
    const out = await downloadToFile(
      params({ url: (await api.getRequest(rq))?.result_url as string }),
    );
    expect(out.finalPath).toBe(join(dir, '_CON.zip'));
  });

  it('reports a full disk, keeps only the .part and no file that looks complete', async () => {
    let written = 0;
    const fullAfter4k = overriding(fs, {
      async open(path, mode) {
        const real = await fs.open(path, mode);
        return {
          ...real,
          async write(data) {
            if (written + data.byteLength > 4_096)
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
                code: 'ENOSPC',
              });
            written += data.byteLength;
            await real.write(data);
          },
        };
      },
    });
    const err = await failure(downloadToFile(params({ fs: fullAfter4k })));
    expect(err.code).toBe('disk-full');
    expect(err.kind).toBe('item');
    expect(err.message).toMatch(/disk is full/);
    expect(err.hint).toMatch(/Free some space/);
    expect(await readdir(dir)).toEqual(['task_1_dataset_coco 1.0.zip.part']);
  });

  it('reports a folder it may not write to', async () => {
    const denied = overriding(fs, {
      open: async (path, mode) => {
        if (mode === 'read' || mode === 'create-new') return fs.open(path, mode);
        throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
      },
    });
    const err = await failure(downloadToFile(params({ fs: denied })));
    expect(err.code).toBe('permission');
    expect(err.hint).toMatch(/can write to/);
  });

  it('refuses a body shorter than announced', async () => {
    const short = {
      download: async () => ({
        status: 200,
        totalBytes: 100,
        resumed: false,
        filename: 'x.zip',
        body: (async function* () {
          yield new Uint8Array(60);
        })(),
      }),
    } as unknown as CvatApi;
    const err = await failure(downloadToFile(params({ api: short })));
    expect(err.code).toBe('short-read');
    expect(err.kind).toBe('transient');
    expect(await readdir(dir)).toEqual(['x.zip.part']);
  });
});
