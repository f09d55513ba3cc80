// One bad file does not sink its batch: files CVAT cannot open are kept out before planning,
// named with their reason at the end of `sync --once`, and the run exits 1.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
