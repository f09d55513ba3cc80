// One bad file does not sink its batch: files CVAT cannot open are kept out before planning,
// named with their reason at the end of `sync --once`, and the run exits 1.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-bad-'));
  writeFileSync(join(work, 'labels.json'), JSON.stringify([{ name: 'car' }]));
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

function box(type: string, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUInt32BE(bytes, 0);
  b.write(type, 4, 'latin1');
  return b;
}

it('keeps unreadable files out, uploads every good one exactly once and names each bad one', async () => {
  const media = join(work, 'media');
  mkdirSync(media);
  const good: string[] = [];
  for (let i = 0; i < 40; i++) {
    const name = `img_${String(i).padStart(2, '0')}.png`;
    writeFileSync(join(media, name), makePng(6, 5, i + 1));
    good.push(name);
  }
  // A JPEG start marker followed by garbage: the segment walk finds no frame header.
  const junk = createHash('sha512').update('corrupt').digest();
  writeFileSync(
    join(media, 'corrupt.jpg'),
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0]), junk]),
  );
  const png = makePng(30, 30, 99);
  writeFileSync(join(media, 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  writeFileSync(
    join(media, 'document.png'),
    Buffer.from('%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n%%EOF\n', 'latin1'),
  );
  writeFileSync(join(media, 'empty.jpg'), Buffer.alloc(0));
  // An MP4 cut while being copied: its mdat box claims more bytes than the file has.
  const mp4 = Buffer.concat([box('ftyp', 24), box('moov', 64), box('mdat', 4000)]);
  writeFileSync(join(media, 'cut.mp4'), mp4.subarray(0, 1500));

  const before = new Set(server.admin.tasks().map((t) => t.id));
  const run = await runCli(
    ['sync', media, '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2', '--json'],
    {
      env: {
        CVAT_SYNC_HOME: join(work, 'home'),
        CVAT_SERVER: server.url,
        CVAT_ACCESS_TOKEN: server.users.alice.token,
      },
    },
  );
  expect(run.code).toBe(1);
  const summary = jsonLines(run.stdout).find((l) => l.type === 'summary') as {
    uploadedFiles: number;
    failedFiles: number;
    leftOut: Array<{ path: string; reason: string }>;
    tasks: Array<{ state: string }>;
  };
  expect(summary.uploadedFiles).toBe(40);
  expect(summary.failedFiles).toBe(0);
  expect(summary.tasks.every((t) => t.state === 'done')).toBe(true);
  const reasons = Object.fromEntries(summary.leftOut.map((f) => [f.path, f.reason]));
  expect(reasons).toEqual({
    'corrupt.jpg': expect.stringMatching(/^cannot be opened .*: JPEG: no JPEG marker at byte \d+/),
    'truncated.png': expect.stringMatching(/: PNG: truncated \(no IEND chunk at the end\)$/),
    'document.png': 'content does not match the name: the content is PDF, not what .png promises',
    'empty.jpg': 'zero bytes: 0 bytes',
    'cut.mp4': expect.stringMatching(
      /: MP4\/MOV video: truncated: box 'mdat' at byte 88 needs 4000 bytes/,
    ),
  });

  // Every good file landed in CVAT exactly once, byte-identical; no bad one was sent.
  const created = server.admin.tasks().filter((t) => !before.has(t.id));
  const remote = created.flatMap((t) => server.admin.taskFiles(t.id));
  const sha = (name: string): string =>
    createHash('sha256')
      .update(readFileSync(join(media, name)))
      .digest('hex');
  expect(remote.map((f) => f.sha256).sort()).toEqual(good.map(sha).sort());
  expect(remote.map((f) => f.name).sort()).toEqual([...good].sort());
});

it('keeps random bytes named .jpg out locally (no signature at all), so their task does not fail', async () => {
  const media = join(work, 'noise');
  mkdirSync(media);
  for (let i = 0; i < 3; i++) writeFileSync(join(media, `ok_${i}.png`), makePng(4, 4, 200 + i));
  const noise = createHash('sha512').update('noise').digest();
  writeFileSync(join(media, 'random.jpg'), noise);
  const before = new Set(server.admin.tasks().map((t) => t.id));
  const run = await runCli(
    ['sync', media, '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2', '--json'],
    {
      env: {
        CVAT_SYNC_HOME: join(work, 'home-noise'),
        CVAT_SERVER: server.url,
        CVAT_ACCESS_TOKEN: server.users.alice.token,
      },
    },
  );
  expect(run.code).toBe(1);
  const summary = jsonLines(run.stdout).find((l) => l.type === 'summary') as {
    uploadedFiles: number;
    failedFiles: number;
    leftOut: Array<{ path: string; reason: string }>;
  };
  expect(summary.uploadedFiles).toBe(3);
  expect(summary.failedFiles).toBe(0);
  const hex = Array.from(noise.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  expect(summary.leftOut).toEqual([
    {
      path: 'random.jpg',
      reason: `cannot be opened (CVAT would fail its whole task): not a JPEG file (it starts with ${hex})`,
    },
  ]);
  const created = server.admin.tasks().filter((t) => !before.has(t.id));
  expect(created.map((t) => t.size)).toEqual([3]);
  expect(server.admin.taskFiles(created[0]?.id ?? -1).map((f) => f.name)).toEqual([
    'ok_0.png',
    'ok_1.png',
    'ok_2.png',
  ]);
});

/** A JPEG whose start and frame header are sound (the local check passes) and whose rest is not. */
function jpegBrokenAfterFrame(tail: number[]): Buffer {
  const sof = [0xff, 0xc0, 0, 11, 8, 0, 2, 0, 2, 1, 1, 0x11, 0];
  return Buffer.from([0xff, 0xd8, ...sof, ...tail]);
}

it('re-plans a batch CVAT failed for a file it names, without that file, until the task is made', async () => {
  const media = join(work, 'replan');
  mkdirSync(media);
  const good: string[] = [];
  for (let i = 0; i < 12; i++) {
    const name = `frame_${String(i).padStart(2, '0')}.png`;
    writeFileSync(join(media, name), makePng(5, 4, 300 + i));
    good.push(name);
  }
  // PIL's Image.open reads JPEG markers up to the start of scan: 0xFF 0x20 is no marker, and a
  // file that ends after its frame header never reaches one. Both fail CVAT's task, one a time.
  writeFileSync(join(media, 'bad_a.jpg'), jpegBrokenAfterFrame([0xff, 0x20, 1, 2, 3]));
  writeFileSync(join(media, 'bad_b.jpg'), jpegBrokenAfterFrame([]));
  const known = new Set(server.admin.ledger().tasks.map((t) => t.taskId));
  const run = await runCli(
    ['sync', media, '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2', '--json'],
    {
      env: {
        CVAT_SYNC_HOME: join(work, 'home-replan'),
        CVAT_SERVER: server.url,
        CVAT_ACCESS_TOKEN: server.users.alice.token,
      },
    },
  );
  expect(run.code).toBe(1);
  const lines = jsonLines(run.stdout);
  const summary = lines.find((l) => l.type === 'summary') as {
    uploadedFiles: number;
    failedFiles: number;
    pendingFiles: number;
    leftOut: Array<{ path: string; reason: string }>;
    tasks: Array<{ state: string; files: number }>;
  };
  expect(summary.uploadedFiles).toBe(12);
  expect(summary.failedFiles).toBe(0);
  expect(summary.pendingFiles).toBe(0);
  expect(summary.tasks).toMatchObject([{ state: 'done', files: 12 }]);
  expect(summary.leftOut.map((f) => f.path)).toEqual(['bad_a.jpg', 'bad_b.jpg']);
  for (const f of summary.leftOut)
    expect(f.reason).toMatch(
      new RegExp(
        `^cannot be opened .*: PIL\\.UnidentifiedImageError: cannot identify image file '.*/raw/${f.path.replace('.', '\\.')}'$`,
      ),
    );

  // The server's ledger: three tasks were made, one per round; the two CVAT failed were deleted.
  const rounds = server.admin.ledger().tasks.filter((t) => !known.has(t.taskId));
  expect(rounds).toHaveLength(3);
  expect(rounds.slice(0, 2).every((t) => t.deletedAt !== null)).toBe(true);
  const [last] = rounds.slice(2);
  expect(last?.deletedAt).toBeNull();
  expect(Object.keys(last?.files ?? {}).sort()).toEqual(good);
  // The second round went without bad_a, the last without both: never the same failing set.
  expect(Object.keys(rounds[0]?.files ?? {})).toContain('bad_a.jpg');
  expect(Object.keys(rounds[1]?.files ?? {})).not.toContain('bad_a.jpg');
  expect(Object.keys(rounds[1]?.files ?? {})).toContain('bad_b.jpg');
  // Every good file is stored in the one task left, byte-identical, exactly once.
  const sha = (name: string): string =>
    createHash('sha256')
      .update(readFileSync(join(media, name)))
      .digest('hex');
  const stored = server.admin.taskFiles(last?.taskId ?? -1);
  expect(stored.map((f) => f.sha256).sort()).toEqual(good.map(sha).sort());
  const live = server.admin.tasks().filter((t) => !known.has(t.id));
  expect(live.map((t) => t.id)).toEqual([last?.taskId]);
  // Each round is in the activity log: which file, CVAT's message, and that the task is deleted.
  const activity = await runCli(['activity', '--kind', 'batch-replan', '--json'], {
    env: { CVAT_SYNC_HOME: join(work, 'home-replan') },
  });
  const entries = jsonLines(activity.stdout).map((l) => String(l.message));
  expect(entries).toHaveLength(2);
  for (const [i, name] of ['bad_a.jpg', 'bad_b.jpg'].entries())
    expect(entries.find((m) => m.includes(name))).toMatch(
      new RegExp(
        `^CVAT could not open ${name.replace('.', '\\.')} \\(PIL\\.UnidentifiedImageError: .*\\): task ${rounds[i]?.taskId} is deleted`,
      ),
    );
  // Each round is a fresh start of the batch, counted against its bound and spaced.
  for (const [i, name] of ['bad_a.jpg', 'bad_b.jpg'].entries())
    expect(entries.find((m) => m.includes(name))).toMatch(
      new RegExp(`in \\d+ s \\(fresh start ${i + 1} of at most \\d+\\)$`),
    );
});

it('fails a task whose error names no file of the batch, as before, and counts its files once', async () => {
  const media = join(work, 'zipped');
  mkdirSync(media);
  for (let i = 0; i < 2; i++) writeFileSync(join(media, `ok_${i}.png`), makePng(4, 4, 400 + i));
  // A PNG member cut right after its IHDR chunk: PIL cannot identify it (it reads chunk headers
  // up to IDAT when it opens a file). CVAT names the member, not a file the app sent.
  const cut = makePng(6, 6, 7).subarray(0, 33);
  writeFileSync(join(media, 'frames.zip'), zipSync({ 'f/0.png': cut }, { level: 0 }));
  const run = await runCli(
    ['sync', media, '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2', '--json'],
    {
      env: {
        CVAT_SYNC_HOME: join(work, 'home-zipped'),
        CVAT_SERVER: server.url,
        CVAT_ACCESS_TOKEN: server.users.alice.token,
      },
    },
  );
  expect(run.code).toBe(1);
  const summary = jsonLines(run.stdout).find((l) => l.type === 'summary') as {
    uploadedFiles: number;
    failedFiles: number;
    pendingFiles: number;
    leftOut: Array<{ path: string; reason: string }>;
    tasks: Array<{ state: string; files: number }>;
  };
  expect(summary.tasks.map((t) => [t.state, t.files]).sort()).toEqual([
    ['done', 2],
    ['failed', 1],
  ]);
  expect(summary.uploadedFiles).toBe(2);
  expect(summary.failedFiles).toBe(1);
  // The failed task's file is failed, not also "not uploaded".
  expect(summary.pendingFiles).toBe(0);
  expect(summary.leftOut).toEqual([
    {
      path: 'frames.zip',
      reason: expect.stringMatching(
        /^its task failed: .*PIL\.UnidentifiedImageError: cannot identify image file 'f\/0\.png'$/,
      ),
    },
  ]);
});

it('folders preview reads the media as the sync would and shows what it would leave out, and why', async () => {
  const media = join(work, 'preview');
  mkdirSync(media);
  writeFileSync(join(media, 'good.png'), makePng(3, 3, 500));
  writeFileSync(join(media, 'noise.jpg'), Buffer.from('plain text, not a JPEG'));
  writeFileSync(join(media, 'document.png'), Buffer.from('%PDF-1.4\n%%EOF\n'));
  const env = { CVAT_SYNC_HOME: join(work, 'home-preview') };
  const args = ['folders', 'preview', media, '--labels', join(work, 'labels.json')];
  const json = await runCli([...args, '--json'], { env });
  expect(json.code).toBe(0);
  const p = jsonLines(json.stdout).find((l) => l.type === 'preview') as {
    tasks: Array<{ files: number }>;
    ignored: Array<{ path: string; reason: string }>;
  };
  expect(p.tasks.map((t) => t.files)).toEqual([1]);
  expect(p.ignored).toEqual([
    {
      path: 'document.png',
      reason: 'content does not match the name: the content is PDF, not what .png promises',
    },
    {
      path: 'noise.jpg',
      reason:
        'cannot be opened (CVAT would fail its whole task): not a JPEG file (it starts with 70 6c 61 69)',
    },
  ]);
  const human = await runCli(args, { env });
  expect(human.stdout).toMatch(
    /Ignored \(2\):\n {2}document\.png: content does not match[^\n]*\n {2}noise\.jpg: cannot be opened/,
  );
});
