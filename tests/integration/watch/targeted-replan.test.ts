// A file that changed after planning costs a look at its own batch, not a scan of the folder:
// the re-plan pass stats only the parked batch's files and never calls the scanner.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import type { FileSystem } from '../../../main/fs/file-system.js';
import type { Harness } from './harness.js';
import { makeHarness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Node's filesystem, recording every path a call touched. */
function recordingFs(touched: string[]): FileSystem {
  return {
    ...nodeFileSystem,
    readdir: (p) => (touched.push(p), nodeFileSystem.readdir(p)),
    lstat: (p) => (touched.push(p), nodeFileSystem.lstat(p)),
    stat: (p) => (touched.push(p), nodeFileSystem.stat(p)),
    realpath: (p) => (touched.push(p), nodeFileSystem.realpath(p)),
    open: (p, mode) => (touched.push(p), nodeFileSystem.open(p, mode)),
    readStream: (p, options) => (touched.push(p), nodeFileSystem.readStream(p, options)),
    readText: (p) => (touched.push(p), nodeFileSystem.readText(p)),
  };
}

describe('re-plan after a changed file', () => {
  it('looks only at the parked batch’s files, and never scans', async () => {
    const touched: string[] = [];
    h = makeHarness({}, { fs: recordingFs(touched) });
    for (const dir of ['a', 'b', 'c'])
      for (let i = 1; i <= 5; i++) h.write(`${dir}/${i}.jpg`, `${dir}${i}`);
    await h.syncOnce();
    const batches = h.batches.list({ folderId: h.folderId });
    expect(batches).toHaveLength(3);
    const parked = batches.find((b) => b.key === 'subfolder:b');
    const parkedId = parked?.id ?? -1;
    const ownFiles = new Set(h.batches.files(parkedId).map((f) => f.absPath));
    expect(ownFiles.size).toBe(5);

    let scans = 0;
    const scanner = h.sync.scanner;
    const scanFull = scanner.scanFull.bind(scanner);
    const scanDirs = scanner.scanDirs.bind(scanner);
    scanner.scanFull = (...args) => (scans++, scanFull(...args));
    scanner.scanDirs = (...args) => (scans++, scanDirs(...args));

    const sizeBefore = h.batches.files(parkedId).find((f) => f.relPath === 'b/2.jpg')?.size;
    // The upload engine found b/2.jpg changed and parked the batch.
    h.write('b/2.jpg', 'b2, but longer now');
    expect(h.batches.update(parkedId, 'planned', { replanReason: 'b/2.jpg: size changed' })).toBe(
      true,
    );
    touched.length = 0;
    await h.sync.replanParked(h.folderId);
    expect(scans).toBe(0);
    expect(new Set(touched)).toEqual(ownFiles);
    expect(h.state('b/2.jpg')).toBe('seen');
    expect(h.batches.get(parkedId)?.replanReason).toBe('b/2.jpg: size changed');

    // Once the changed file has settled: it alone is hashed, the batch gets its new file list.
    await h.clock.advance(11_000);
    touched.length = 0;
    await h.sync.replanParked(h.folderId);
    expect(scans).toBe(0);
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.every((p) => ownFiles.has(p))).toBe(true);
    expect(touched.filter((p) => !p.endsWith('/b/2.jpg')).length).toBeLessThanOrEqual(5);
    const after = h.batches.get(parkedId);
    expect(after?.replanReason).toBeNull();
    // The harness writes a real JPEG tagged with the text: the size is the one on disk now.
    const grown = statSync(join(h.root, 'b/2.jpg')).size;
    expect(grown).not.toBe(sizeBefore);
    expect(h.batches.files(parkedId).find((f) => f.relPath === 'b/2.jpg')?.size).toBe(grown);
    // The other batches were not touched.
    expect(h.batches.list({ folderId: h.folderId })).toHaveLength(3);
  });
});
