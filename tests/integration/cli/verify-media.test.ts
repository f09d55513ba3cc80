// `cvat-sync verify` on tasks made of one archive or one PDF: the archive's image members are
// compared with the frame names CVAT lists (CVAT names them by member path), the PDF's pages
// with the frames; a member or page CVAT lacks or has deleted is missing (exit 1).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { call, zipOf } from '../../cvat-server/test-helpers.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let env: Record<string, string>;
const media = () => join(work, 'media');
const MEMBERS = {
  'day1/a.png': makePng(20, 10, 1),
  'day1/b.png': makePng(21, 10, 2),
  'c.png': makePng(22, 10, 3),
};

/** A PDF whose page objects CVAT (and verify) count: `pages` leaves under one /Pages node. */
function pdf(pages: number): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(' ');
  const objs = [
    '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj',
    `2 0 obj\n<< /Type /Pages /Kids [${kids}] /Count ${pages} >>\nendobj`,
    ...Array.from(
      { length: pages },
      (_, i) => `${i + 3} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj`,
    ),
  ];
  return Buffer.from(`%PDF-1.4\n${objs.join('\n')}\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`, 'latin1');
}

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-verify-media-'));
  writeFileSync(join(work, 'labels.json'), JSON.stringify([{ name: 'page' }]));
  mkdirSync(media(), { recursive: true });
  writeFileSync(join(media(), 'scans.zip'), zipOf(MEMBERS));
  writeFileSync(join(media(), 'report.pdf'), pdf(3));
  env = {
    CVAT_SYNC_HOME: join(work, 'home'),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
  };
  const sync = await runCli(
    ['sync', media(), '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2'],
    { env },
  );
  expect(sync.code, sync.stderr).toBe(0);
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

interface FileLine {
  path: string;
  state: string;
  taskId: number | null;
  frame: number | null;
  detail: string | null;
}

async function verify(): Promise<{ code: number | null; files: FileLine[] }> {
  const r = await runCli(['verify', media(), '--json'], { env });
  const files = jsonLines(r.stdout).filter((l) => l.type === 'file') as unknown as FileLine[];
  return { code: r.code, files };
}

const taskOf = (suffix: string) => {
  const t = server.admin.tasks().find((x) => x.name.includes(suffix));
  expect(t, suffix).toBeDefined();
  return t!.id;
};

describe('cvat-sync verify on an archive task and a PDF task', () => {
  it('finds every member and every page in CVAT; exit 0', async () => {
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.files.map((f) => [f.path, f.state, f.detail])).toEqual([
      ['report.pdf', 'in-cvat', '3 of 3 pages in CVAT'],
      ['scans.zip', 'in-cvat', '3 of 3 images of the archive in CVAT'],
    ]);
  });

  it('an archive member deleted on the server, or absent from the task, is missing', async () => {
    const id = taskOf('scans');
    const meta = (await call(server, 'GET', `/api/tasks/${id}/data/meta`)).json();
    const names = meta.frames.map((f: { name: string }) => f.name);
    expect([...names].sort()).toEqual(Object.keys(MEMBERS).sort());
    const b = names.indexOf('day1/b.png');
    await call(server, 'PATCH', `/api/tasks/${id}/data/meta`, { body: { deleted_frames: [b] } });
    const deleted = await verify();
    expect(deleted.code).toBe(1);
    expect(deleted.files.filter((f) => f.path.startsWith('scans.zip'))).toEqual([
      expect.objectContaining({
        path: 'scans.zip',
        state: 'missing',
        detail: '2 of 3 images of the archive in CVAT',
      }),
      expect.objectContaining({
        path: 'scans.zip!/day1/b.png',
        state: 'missing',
        frame: b,
        detail: `frame ${b} is marked deleted on the server`,
      }),
    ]);
    await call(server, 'PATCH', `/api/tasks/${id}/data/meta`, { body: { deleted_frames: [] } });

    // The local archive gained a member after its task was made: CVAT has no frame of that name.
    writeFileSync(
      join(media(), 'scans.zip'),
      zipOf({ ...MEMBERS, 'day2/d.png': makePng(23, 10, 4) }),
    );
    const grown = await verify();
    expect(grown.code).toBe(1);
    expect(grown.files.find((f) => f.path === 'scans.zip!/day2/d.png')).toMatchObject({
      state: 'missing',
      taskId: id,
      detail: 'no frame "day2/d.png" in the task',
    });
    // And a member dropped from the local archive leaves its frame as not from this archive.
    const { 'c.png': _dropped, ...fewer } = MEMBERS;
    writeFileSync(join(media(), 'scans.zip'), zipOf(fewer));
    const shrunk = await verify();
    expect(shrunk.files.find((f) => f.path === 'c.png')).toMatchObject({
      state: 'foreign',
      detail: `frame ${names.indexOf('c.png')} is not from this archive`,
    });
    writeFileSync(join(media(), 'scans.zip'), zipOf(MEMBERS));
    expect((await verify()).code).toBe(0);
  });

  it('a PDF page deleted on the server, or beyond the task’s frames, is missing', async () => {
    const id = taskOf('report');
    await call(server, 'PATCH', `/api/tasks/${id}/data/meta`, { body: { deleted_frames: [1] } });
    const deleted = await verify();
    expect(deleted.code).toBe(1);
    expect(deleted.files.find((f) => f.path === 'report.pdf#page=2')).toMatchObject({
      state: 'missing',
      frame: 1,
      detail: 'frame 1 is marked deleted on the server',
    });
    await call(server, 'PATCH', `/api/tasks/${id}/data/meta`, { body: { deleted_frames: [] } });

    writeFileSync(join(media(), 'report.pdf'), pdf(4));
    const longer = await verify();
    expect(longer.code).toBe(1);
    expect(longer.files.filter((f) => f.path.startsWith('report.pdf'))).toEqual([
      expect.objectContaining({
        path: 'report.pdf',
        state: 'missing',
        detail: '3 of 4 pages in CVAT',
      }),
      expect.objectContaining({
        path: 'report.pdf#page=4',
        state: 'missing',
        detail: 'the task has 3 frames, not 4',
      }),
    ]);
    writeFileSync(join(media(), 'report.pdf'), pdf(3));
    expect((await verify()).code).toBe(0);
  });
});
