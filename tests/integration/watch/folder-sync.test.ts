import { appendFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from './harness.js';
import { makeHarness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const S = 1000;

describe('FolderSync on real folders', () => {
  it('never plans a file written slowly in pieces before it is complete', async () => {
    h = makeHarness();
    h.write('day1/a.jpg', 'part-1;');
    await h.sync.step(h.folderId);
    for (let i = 2; i <= 4; i++) {
      await h.tick(6 * S);
      appendFileSync(join(h.root, 'day1/a.jpg'), `part-${i};`);
      await h.tick(6 * S);
      expect(h.planned()).toEqual([]);
      expect(h.state('day1/a.jpg')).toBe('seen');
    }
    await h.tick(11 * S); // the gate sees the last change
    await h.tick(11 * S); // … and then a settle window without one
    const [batch] = h.planned();
    expect(batch?.files).toEqual(['day1/a.jpg']);
    expect(h.batches.files(h.batches.list({ folderId: h.folderId })[0]?.id ?? -1)[0]?.size).toBe(
      'part-1;part-2;part-3;part-4;'.length,
    );
  });

  it('does not plan a subfolder still receiving files, and plans a settled one', async () => {
    h = makeHarness();
    h.write('day1/a.jpg', 'a');
    h.write('day2/a.jpg', 'b');
    await h.sync.step(h.folderId);
    await h.tick(6 * S);
    h.write('day1/b.jpg', 'c');
    await h.sync.step(h.folderId, { full: true });
    await h.tick(5 * S);
    expect(h.planned().map((b) => b.name)).toEqual(['media/day2']);
    await h.tick(6 * S);
    expect(h.planned()).toEqual([
      { name: 'media/day2', key: 'subfolder:day2', files: ['day2/a.jpg'] },
      { name: 'media/day1', key: 'subfolder:day1', files: ['day1/a.jpg', 'day1/b.jpg'] },
    ]);
    // CVAT cannot append: a late file in day1 becomes a second task for day1.
    h.write('day1/c.jpg', 'd');
    await h.sync.step(h.folderId, { full: true });
    await h.tick(11 * S);
    expect(h.planned()[2]).toEqual({
      name: 'media/day1 (2)',
      key: 'subfolder:day1#2',
      files: ['day1/c.jpg'],
    });
  });

  it('turns nested images, videos and a zip into the right tasks with unique names', async () => {
    h = makeHarness({ nameTemplate: null });
    h.write('cams/front/x.jpg', '1');
    h.write('cams/back/x.jpg', '2');
    h.write('cams/y.png', '3');
    h.write('cams/ride.mp4', '4');
    h.write('clip.mov', '5');
    h.write('frames.zip', '6');
    h.write('root.jpg', '7');
    h.write('notes.txt', '8');
    const r = await h.syncOnce();
    // Planned a subfolder at a time (bounded memory): each subfolder's videos, then its images.
    expect(r.planned.map((b) => [b.name, b.media, b.files])).toEqual([
      ['media/ride.mp4', 'video', 1],
      ['media/cams', 'images', 3],
      ['media/clip.mov', 'video', 1],
      ['media/frames.zip', 'archive', 1],
      ['media', 'images', 1],
    ]);
    const cams = h.batches.list({ folderId: h.folderId }).find((b) => b.key === 'subfolder:cams');
    expect(h.batches.files(cams?.id ?? -1).map((f) => [f.relPath, f.plannedName])).toEqual([
      ['cams/back/x.jpg', 'back_x.jpg'],
      ['cams/front/x.jpg', 'front_x.jpg'],
      ['cams/y.png', 'y.png'],
    ]);
    expect(cams?.task).toEqual({ labels: [{ name: 'car' }] });
    expect(cams?.data).toEqual({ image_quality: 70 });
    expect(h.state('notes.txt')).toBe('ignored');
    expect(r.counts).toEqual({ files: 8, uploaded: 0, pending: 7, ignored: 1, failed: 0 });
  });

  it('count:N and file policies plan from the journal with their default names', async () => {
    h = makeHarness({ split: { kind: 'count', count: 2 } });
    for (const n of ['a', 'b', 'c', 'd', 'e']) h.write(`${n}.jpg`, n);
    await h.sync.step(h.folderId);
    await h.tick(10 * S);
    // Two full batches at once; the partial one waits for the folder to be quiet, which it is.
    expect(h.planned().map((b) => [b.name, b.key, b.files])).toEqual([
      ['media #1', 'count:1', ['a.jpg', 'b.jpg']],
      ['media #2', 'count:2', ['c.jpg', 'd.jpg']],
      ['media #3', 'count:3', ['e.jpg']],
    ]);
    await h.close();
    h = makeHarness({ split: { kind: 'file' }, nameTemplate: '{subfolder} {file}' });
    h.write('s/a.jpg', 'a');
    h.write('b.jpg', 'b');
    await h.syncOnce();
    expect(h.planned().map((b) => [b.name, b.key])).toEqual([
      ['b.jpg', 'file:b.jpg'],
      ['s a.jpg', 'file:s/a.jpg'],
    ]);
  });

  it('finds files added while the app was stopped', async () => {
    h = makeHarness();
    h.write('day1/a.jpg', 'a');
    await h.syncOnce();
    h.restart();
    h.write('day2/b.jpg', 'b');
    h.write('day1/late.jpg', 'c');
    await h.syncOnce();
    expect(h.planned().map((b) => [b.key, b.files])).toEqual([
      ['subfolder:day1', ['day1/a.jpg']],
      ['subfolder:day1#2', ['day1/late.jpg']],
      ['subfolder:day2', ['day2/b.jpg']],
    ]);
  });

  it('does not plan the same content again under another name or after a move', async () => {
    h = makeHarness();
    h.write('day1/a.jpg', 'same bytes');
    h.write('day1/b.jpg', 'other bytes');
    await h.syncOnce();
    expect(h.planned()).toHaveLength(1);
    h.write('day2/copy-of-a.jpg', 'same bytes');
    mkdirSync(join(h.root, 'moved'));
    renameSync(join(h.root, 'day1/b.jpg'), join(h.root, 'moved/b.jpg'));
    // Case-only rename.
    renameSync(join(h.root, 'day1/a.jpg'), join(h.root, 'day1/A.jpg'));
    const r = await h.syncOnce();
    expect(r.planned).toEqual([]);
    expect(h.planned()).toHaveLength(1);
    const copy = h.files.byPath(h.folderId, 'day2/copy-of-a.jpg');
    expect([copy?.state, copy?.reason, copy?.detail]).toEqual([
      'ignored',
      'duplicate',
      'same content as day1/a.jpg',
    ]);
    expect(h.files.byPath(h.folderId, 'moved/b.jpg')?.reason).toBe('duplicate');
    expect(h.files.byPath(h.folderId, 'day1/A.jpg')?.reason).toBe('duplicate');
    // The moved-away rows are kept (recorded, never propagated): missing, still planned.
    const old = h.files.byPath(h.folderId, 'day1/b.jpg');
    expect([old?.state, old?.missingSince !== null]).toEqual(['planned', true]);
  });

  it('an unmounted root loses nothing and re-plans nothing', async () => {
    h = makeHarness();
    h.write('day1/a.jpg', 'a');
    h.write('b.jpg', 'b');
    await h.syncOnce();
    const before = h.files.counts(h.folderId);
    renameSync(h.root, `${h.root}-away`);
    await h.tick(S);
    await h.sync.step(h.folderId, { full: true });
    expect(h.sync.health(h.folderId).state).toBe('missing');
    expect(h.sync.health(h.folderId).message).toMatch(/missing.*no file is treated as deleted/);
    expect(h.files.counts(h.folderId)).toEqual(before);
    // An empty mount point in its place is not "everything deleted" either.
    mkdirSync(h.root);
    await h.sync.step(h.folderId, { full: true });
    expect(h.sync.health(h.folderId).message).toMatch(
      /empty although files were seen there before/,
    );
    expect(h.files.counts(h.folderId)).toEqual(before);
    await expect(h.syncOnce()).rejects.toMatchObject({ code: 'folder-missing' });
    // Back again.
    renameSync(h.root, `${h.root}-empty`);
    renameSync(`${h.root}-away`, h.root);
    await h.tick(20 * S);
    await h.sync.step(h.folderId, { full: true });
    expect(h.sync.health(h.folderId).state).toBe('watching');
    expect(h.files.counts(h.folderId)).toEqual(before);
    expect(h.planned()).toHaveLength(2);
  });

  it('follows symlinks inside the root only and detects loops', async () => {
    h = makeHarness({ split: { kind: 'file' } });
    h.write('real/a.jpg', 'a');
    mkdirSync(join(h.dir, 'outside'));
    writeFileSync(join(h.dir, 'outside/secret.jpg'), 's');
    symlinkSync(join(h.dir, 'outside'), join(h.root, 'out-dir'));
    symlinkSync(join(h.dir, 'outside/secret.jpg'), join(h.root, 'out-file.jpg'));
    symlinkSync('..', join(h.root, 'real/loop'));
    symlinkSync('real/a.jpg', join(h.root, 'inside-link.jpg'));
    symlinkSync('nowhere.jpg', join(h.root, 'broken.jpg'));
    await h.syncOnce();
    const reasons = Object.fromEntries(
      h.files.ignored(h.folderId, 10).map((r) => [r.relPath, r.reason]),
    );
    expect(reasons).toEqual({
      'out-dir': 'symlink-outside',
      'out-file.jpg': 'symlink-outside',
      'real/loop': 'symlink-loop',
      'broken.jpg': 'broken-symlink',
      // The link inside the root is followed; it holds the same content as real/a.jpg.
      'real/a.jpg': 'duplicate',
    });
    expect(h.planned().map((b) => b.files)).toEqual([['inside-link.jpg']]);
  });

  it('records hidden files, partial downloads, bad names, empty and too-large files with reasons', async () => {
    h = makeHarness({ maxFileSizeBytes: 5, exclude: ['skip/**'] });
    h.write('.hidden.jpg', 'x');
    h.write('video.mp4.part', 'x');
    h.write('~$lock.jpg', 'x');
    h.write('back\\slash.jpg', 'x');
    h.write('new\nline.jpg', 'x');
    h.write('empty.jpg', '');
    h.write('big.jpg', '123456');
    h.write('skip/a.jpg', 'x');
    h.write('ok.jpg', 'ok');
    await h.syncOnce();
    const reasons = Object.fromEntries(
      h.files.ignored(h.folderId, 20).map((r) => [r.relPath, r.reason]),
    );
    expect(reasons).toEqual({
      '.hidden.jpg': 'hidden',
      'video.mp4.part': 'partial-download',
      '~$lock.jpg': 'partial-download',
      'back\\slash.jpg': 'bad-name',
      'new\nline.jpg': 'bad-name',
      'empty.jpg': 'empty',
      'big.jpg': 'too-large',
      skip: 'excluded',
    });
    expect(h.planned().map((b) => b.files)).toEqual([['ok.jpg']]);
  });

  it('re-plans a batch the upload engine parked because a file changed', async () => {
    h = makeHarness();
    h.write('d/a.jpg', 'a');
    h.write('d/b.jpg', 'b');
    await h.syncOnce();
    const [batch] = h.batches.list({ folderId: h.folderId });
    h.write('d/b.jpg', 'b, but longer');
    expect(h.batches.update(batch?.id ?? -1, 'planned', { replanReason: 'd/b.jpg changed' })).toBe(
      true,
    );
    await h.tick(S);
    expect(h.batches.get(batch?.id ?? -1)?.replanReason).toBe('d/b.jpg changed');
    expect(h.state('d/b.jpg')).toBe('seen');
    await h.tick(11 * S);
    const after = h.batches.get(batch?.id ?? -1);
    expect(after?.replanReason).toBeNull();
    expect(h.batches.files(after?.id ?? -1).map((f) => [f.relPath, f.size])).toEqual([
      ['d/a.jpg', 1],
      ['d/b.jpg', 'b, but longer'.length],
    ]);
    expect(h.planned()).toHaveLength(1);
  });
});

describe('stopping', () => {
  it('stop() during a pass returns when the pass ends, without waiting for the next wake-up', async () => {
    h = makeHarness();
    h.write('a/1.jpg', 'one');
    await h.sync.start();
    // The first pass is under way; on the fake clock a sleep would never end by itself.
    const stopped = h.sync.stop().then(() => 'stopped');
    const stuck = new Promise((r) => setTimeout(() => r('still waiting'), 5_000).unref());
    expect(await Promise.race([stopped, stuck])).toBe('stopped');
    expect(h.clock.pendingSleeps()).toBe(0);
  });
});

describe('after upload', () => {
  it('follows done and cancelled batches; renames after upload are recorded, never re-planned', async () => {
    h = makeHarness();
    h.write('a/1.jpg', 'one');
    h.write('b/2.jpg', 'two');
    await h.syncOnce();
    const [a, b] = h.batches.list({ folderId: h.folderId }).sort((x, y) => x.id - y.id);
    // The upload engine's side: a finished as task 42, b cancelled by the user.
    for (const [from, to] of [
      ['planned', 'creating'],
      ['creating', 'created'],
      ['created', 'started'],
      ['started', 'sending'],
      ['sending', 'finishing'],
      ['finishing', 'processing'],
    ] as const) {
      expect(
        h.batches.transition(a?.id ?? -1, from, to, from === 'creating' ? { taskId: 42 } : {}),
      ).toBe(true);
    }
    expect(h.journal.completeBatch(a?.id ?? -1, { id: 42, size: 1, jobCount: 1 })).toBe(true);
    expect(h.journal.cancelBatch(b?.id ?? -1, 'planned')).toBe(true);
    // In line at once, in the same transactions: no pass of the folder was needed.
    expect(h.state('a/1.jpg')).toBe('uploaded');
    expect(h.state('b/2.jpg')).toBe('ignored');
    await h.tick(1000);
    expect(h.state('a/1.jpg')).toBe('uploaded');
    expect([h.state('b/2.jpg'), h.files.byPath(h.folderId, 'b/2.jpg')?.reason]).toEqual([
      'ignored',
      'cancelled',
    ]);
    expect(h.files.counts(h.folderId)).toEqual({
      files: 2,
      uploaded: 1,
      pending: 0,
      ignored: 1,
      failed: 0,
    });
    renameSync(join(h.root, 'a/1.jpg'), join(h.root, 'a/renamed.jpg'));
    await h.syncOnce();
    expect(h.planned()).toHaveLength(2);
    expect(h.files.byPath(h.folderId, 'a/renamed.jpg')?.detail).toBe(
      'same content as a/1.jpg (task 42)',
    );
    const old = h.files.byPath(h.folderId, 'a/1.jpg');
    expect([old?.state, old?.missingSince !== null]).toEqual(['uploaded', true]);
  });

  it('completeBatch: a done batch has its files uploaded at once; the folder only sends counts, no scan', async () => {
    h = makeHarness();
    h.write('a/1.jpg', 'one');
    h.write('a/2.jpg', 'two');
    await h.syncOnce();
    const [a] = h.batches.list({ folderId: h.folderId });
    const counts: unknown[] = [];
    h.sync.events.on('counts', (e) => counts.push(e.counts));
    const scans: unknown[] = [];
    h.sync.events.on('scanned', (e) => scans.push(e));
    for (const [from, to] of [
      ['planned', 'creating'],
      ['creating', 'created'],
      ['created', 'started'],
      ['started', 'sending'],
      ['sending', 'finishing'],
      ['finishing', 'processing'],
    ] as const) {
      expect(
        h.batches.transition(a?.id ?? -1, from, to, from === 'creating' ? { taskId: 7 } : {}),
      ).toBe(true);
    }
    expect(h.journal.completeBatch(a?.id ?? -1, { id: 7, size: 2, jobCount: 1 })).toBe(true);
    expect([h.state('a/1.jpg'), h.state('a/2.jpg')]).toEqual(['uploaded', 'uploaded']);
    h.sync.countsChanged(h.folderId);
    expect(counts).toEqual([{ files: 2, uploaded: 2, pending: 0, ignored: 0, failed: 0 }]);
    expect(scans).toEqual([]);
    expect(h.sync.info(h.folderId)?.counts).toMatchObject({ uploaded: 2, pending: 0 });
  });

  it('a removed and re-added folder uploads nothing twice (the ledger outlives the rule)', async () => {
    h = makeHarness();
    h.write('a/1.jpg', 'one');
    await h.syncOnce();
    const ruleOf = h.folders.get(h.folderId)?.rule;
    h.folders.remove(h.folderId);
    const again = h.folders.insert(ruleOf as NonNullable<typeof ruleOf>, {
      server: 'http://127.0.0.1:9',
    });
    expect((await h.syncOnce(again.id)).planned).toEqual([]);
    const row = h.files.byPath(again.id, 'a/1.jpg');
    expect([row?.state, row?.reason, row?.detail]).toEqual([
      'ignored',
      'duplicate',
      'same content as a/1.jpg',
    ]);
  });
});
