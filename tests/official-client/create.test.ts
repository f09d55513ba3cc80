// Task creation by CVAT's official client (cvat-cli 2.80) and by ours (cvat-sync), against one
// test server: bulk images, a TUS video, labels, a project and an organization. What the server
// holds afterwards is read back through /_test/ (files with size and sha256, labels, project,
// org); what each client sent is read from the server's request recording and compared.
import { copyFileSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../cvat-server/index.js';
import type { CvatTestServer, RecordedRequest } from '../cvat-server/index.js';
import type { LocalFile } from './harness.js';
import {
  Workspace,
  ok,
  recorded,
  requireVenv,
  serverFiles,
  serverProjects,
  serverTask,
  serverTasks,
  stored,
  writeBigVideo,
  writeImages,
} from './harness.js';
import { dataRequests, effectiveFinish, tusMetadata } from './wire.js';

const LABELS = [{ name: 'car' }, { name: 'person' }];
const POLL = ['--completion_verification_period', '0.1'];

let server: CvatTestServer;
let ws: Workspace;
let images: LocalFile[];
let video: LocalFile;

beforeAll(async () => {
  requireVenv();
  server = await startCvatServer({ processingDelayMs: 20 });
  ws = new Workspace(server);
  images = writeImages(ws.path('images'), 3);
  video = writeBigVideo(ws.path('video', 'drive.mp4'));
});
afterAll(async () => {
  await server?.close();
  ws?.dispose();
});

/** cvat-cli prints the new task's id as its last line. */
function taskId(stdout: string): number {
  const id = Number(stdout.trim().split('\n').pop());
  if (!Number.isInteger(id)) throw new Error(`no task id in cvat-cli output: ${stdout}`);
  return id;
}

const forTask = (log: RecordedRequest[], id: number) =>
  log.filter((r) => r.path.startsWith(`/api/tasks/${id}/data`));

describe('cvat-cli task create', () => {
  let imagesTask: number;

  it('uploads local images in one Upload-Multiple request, with --labels', async () => {
    const r = ok(
      await ws.cvatCli([
        'task',
        'create',
        'cli images',
        'local',
        ...images.map((f) => f.path),
        '--labels',
        JSON.stringify(LABELS),
        '--use_cache',
        ...POLL,
      ]),
      'cvat-cli task create (images)',
    );
    imagesTask = taskId(r.stdout);
    const t = await serverTask(server, imagesTask);
    expect(t.name).toBe('cli images');
    expect(t.labels.map((l) => l.name)).toEqual(['car', 'person']);
    expect(t.size).toBe(3);
    expect(t.projectId).toBeNull();
    expect(t.org).toBeNull();
    expect(await serverFiles(server, imagesTask)).toEqual(stored(images));

    const wire = dataRequests(forTask(await recorded(server), imagesTask));
    expect(wire.multiple).toHaveLength(1);
    expect(wire.multiple[0]?.files).toHaveLength(3);
    expect(wire.tusCreates).toHaveLength(0);
  });

  it('sends a video over 100 MiB by TUS, in 10 MiB PATCHes', async () => {
    const r = ok(
      await ws.cvatCli([
        'task',
        'create',
        'cli video',
        'local',
        video.path,
        '--labels',
        JSON.stringify(LABELS),
        '--use_cache',
        ...POLL,
      ]),
      'cvat-cli task create (video)',
    );
    const id = taskId(r.stdout);
    const t = await serverTask(server, id);
    expect(t.mode).toBe('interpolation');
    expect(t.data?.mediaType).toBe('video');
    expect(await serverFiles(server, id)).toEqual(stored([video]));

    const wire = dataRequests(forTask(await recorded(server), id));
    expect(wire.tusCreates.map((c) => c.headers['upload-length'])).toEqual([String(video.size)]);
    expect(wire.patches.map((p) => p.bytesIn).reduce((a, b) => a + b, 0)).toBe(video.size);
    expect(wire.patches).toHaveLength(Math.ceil(video.size / (10 * 2 ** 20)));
    expect(wire.multiple.flatMap((m) => m.files)).toEqual([]);
  });

  it('project create, project ls, and task create --project_id use the project labels', async () => {
    const p = ok(
      await ws.cvatCli(['project', 'create', 'cli project', '--labels', JSON.stringify(LABELS)]),
      'cvat-cli project create',
    );
    const projectId = Number(p.stdout.trim().split('\n').pop());
    expect((await serverProjects(server)).map((x) => x.id)).toContain(projectId);
    const ls = ok(await ws.cvatCli(['project', 'ls']), 'cvat-cli project ls');
    expect(ls.stdout.split('\n').map((l) => l.trim())).toContain(String(projectId));

    const r = ok(
      await ws.cvatCli([
        'task',
        'create',
        'cli in project',
        'local',
        images[0]!.path,
        '--project_id',
        String(projectId),
        ...POLL,
      ]),
      'cvat-cli task create --project_id',
    );
    const t = await serverTask(server, taskId(r.stdout));
    expect(t.projectId).toBe(projectId);
    expect(t.labels).toEqual([]); // the task reads its project's labels
    expect(await serverFiles(server, t.id)).toEqual(stored([images[0]!]));
  });

  it('creates in an organization with --org, and task ls lists per workspace', async () => {
    const r = ok(
      await ws.cvatCli(
        [
          'task',
          'create',
          'cli in org',
          'local',
          images[1]!.path,
          '--labels',
          JSON.stringify(LABELS),
          ...POLL,
        ],
        { org: 'acme' },
      ),
      'cvat-cli --org acme task create',
    );
    const id = taskId(r.stdout);
    expect((await serverTask(server, id)).org).toBe('acme');
    const inOrg = ok(await ws.cvatCli(['task', 'ls'], { org: 'acme' }), 'task ls --org acme');
    expect(inOrg.stdout.trim().split('\n')).toContain(String(id));
    const personal = ok(await ws.cvatCli(['task', 'ls'], { org: '' }), 'task ls --org ""');
    const personalIds = personal.stdout.trim().split('\n');
    expect(personalIds).not.toContain(String(id));
    expect(personalIds).toContain(String(imagesTask));
  });

  it('task ls --json with a personal access token (CVAT_ACCESS_TOKEN) lists every task', async () => {
    const r = ok(await ws.cvatCli(['task', 'ls', '--json'], { token: true }), 'task ls --json');
    const listed = (JSON.parse(r.stdout) as Array<{ id: number; name: string }>).map((t) => t.id);
    const mine = (await serverTasks(server)).filter((t) => t.owner === 'alice').map((t) => t.id);
    expect(listed.sort()).toEqual(mine.sort());
  });
});

describe('cvat-sync sync (our client), same server', () => {
  it('makes a bulk task for a folder of images and a TUS task for the video', async () => {
    const root = ws.path('ours');
    mkdirSync(join(root, 'day1'), { recursive: true });
    for (const f of images) copyFileSync(f.path, join(root, 'day1', f.name));
    linkSync(video.path, join(root, video.name)); // the same 100 MiB, not a second copy
    const labels = ws.path('labels.json');
    writeFileSync(labels, JSON.stringify(LABELS));
    const before = new Set((await serverTasks(server)).map((t) => t.id));

    const r = ok(
      await ws.cvatSync(['sync', root, '--once', '--labels', labels, '--settle', '0.1', '--json']),
      'cvat-sync sync',
    );
    expect(r.stderr).toBe('');
    const created = (await serverTasks(server)).filter((t) => !before.has(t.id));
    const byName = Object.fromEntries(created.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['ours/day1', `ours/${video.name}`]);
    const day1 = byName['ours/day1']!;
    const clip = byName[`ours/${video.name}`]!;
    expect(await serverFiles(server, day1.id)).toEqual(stored(images));
    expect(await serverFiles(server, clip.id)).toEqual(stored([video]));
    expect(day1.labels.map((l) => l.name)).toEqual(['car', 'person']);
    expect(day1.size).toBe(3);
    expect(clip.data?.mediaType).toBe('video');

    const log = await recorded(server);
    expect(dataRequests(forTask(log, day1.id)).tusCreates).toHaveLength(0);
    const tus = dataRequests(forTask(log, clip.id));
    expect(tus.tusCreates.map((c) => c.headers['upload-length'])).toEqual([String(video.size)]);
    expect(tus.multiple.flatMap((m) => m.files)).toEqual([]);
  });

  it('creates in a project of an organization with --project and --org', async () => {
    const res = await fetch(`${server.url}/_test/projects`, {
      method: 'POST',
      body: JSON.stringify({ owner: 'alice', name: 'acme project', labels: LABELS, org: 'acme' }),
    });
    const { id: projectId } = (await res.json()) as { id: number };
    const root = ws.path('ours-org');
    mkdirSync(root);
    copyFileSync(images[2]!.path, join(root, images[2]!.name));
    const before = new Set((await serverTasks(server)).map((t) => t.id));
    ok(
      await ws.cvatSync([
        'sync',
        root,
        '--once',
        '--project',
        String(projectId),
        '--org',
        'acme',
        '--settle',
        '0.1',
      ]),
      'cvat-sync sync --project --org',
    );
    const created = (await serverTasks(server)).filter((t) => !before.has(t.id));
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ projectId, org: 'acme', labels: [] });
    expect(await serverFiles(server, created[0]!.id)).toEqual(stored([images[2]!]));
  });
});

describe('the same choices reach the server the same way', () => {
  it('task create, Upload-Start, Upload-Multiple and Upload-Finish match cvat-cli', async () => {
    const log = await recorded(server);
    const official = (await serverTasks(server)).find((t) => t.name === 'cli images')!;
    const ours = (await serverTasks(server)).find((t) => t.name === 'ours/day1')!;
    // Ours is created under its claim name (the default name plus this agent's claim) and renamed
    // before data is attached; cvat-cli's under the name it was given.
    const create = (id: number, name: string) =>
      log.find(
        (r) =>
          r.method === 'POST' &&
          r.path === '/api/tasks' &&
          (nameOf(r) === name || (nameOf(r) ?? '').startsWith(`${name} ‹cvat-sync `)),
      )?.json;
    const nameOf = (r: RecordedRequest) => (r.json as { name?: string } | undefined)?.name;

    // POST /api/tasks: the same fields (name and labels).
    expect(Object.keys(create(ours.id, 'ours/day1') as object).sort()).toEqual(
      Object.keys(create(official.id, 'cli images') as object).sort(),
    );
    expect((create(ours.id, 'ours/day1') as { labels: unknown }).labels).toEqual(
      (create(official.id, 'cli images') as { labels: unknown }).labels,
    );

    const a = dataRequests(forTask(log, official.id));
    const b = dataRequests(forTask(log, ours.id));
    expect(b.starts).toHaveLength(1);
    expect(a.starts).toHaveLength(1);
    // Upload-Multiple: the same plain fields (cvat-sdk sends image_quality with every batch,
    // which CVAT before 2.65 requires) and one client_files[i] part per file. The part's file
    // name differs and may: cvat-sdk sends the absolute local path, we send the name in the
    // task; Django keeps only the last path component (the stored files are compared above).
    expect(b.multiple.map((m) => m.fields)).toEqual(a.multiple.map((m) => m.fields));
    expect(b.multiple.map((m) => m.files.map((f) => f.field))).toEqual(
      a.multiple.map((m) => m.files.map((f) => f.field)),
    );
    // Upload-Finish: the same effective options, where an omitted field counts as CVAT's
    // DataSerializer default (see wire.ts for the accepted differences).
    expect(b.finishes).toHaveLength(1);
    expect(effectiveFinish(b.finishes[0]!)).toEqual(effectiveFinish(a.finishes[0]!));
  });

  it('TUS uploads announce the same length and file name as cvat-sdk', async () => {
    const log = await recorded(server);
    const tasks = await serverTasks(server);
    const official = tasks.find((t) => t.name === 'cli video')!;
    const ours = tasks.find((t) => t.name === `ours/${video.name}`)!;
    const a = dataRequests(forTask(log, official.id));
    const b = dataRequests(forTask(log, ours.id));
    const meta = (r: RecordedRequest) => tusMetadata(r.headers['upload-metadata'] ?? '');
    expect(b.tusCreates.map((c) => c.headers['upload-length'])).toEqual(
      a.tusCreates.map((c) => c.headers['upload-length']),
    );
    expect(b.tusCreates.map((c) => meta(c).filename)).toEqual(
      a.tusCreates.map((c) => meta(c).filename),
    );
    expect(b.tusCreates.map((c) => c.headers['tus-resumable'])).toEqual(['1.0.0']);
    // Every PATCH: the same TUS headers, starting where the previous one ended. The chunk size
    // differs and may (cvat-sdk: 10 MiB; ours: the chunk-size setting, ≤ 100 MiB for CVAT < 2.55).
    for (const w of [a, b]) {
      let offset = 0;
      for (const p of w.patches) {
        expect([p.headers['content-type'], p.headers['tus-resumable']]).toEqual([
          'application/offset+octet-stream',
          '1.0.0',
        ]);
        expect(p.headers['upload-offset']).toBe(String(offset));
        offset += p.bytesIn;
      }
      expect(offset).toBe(video.size);
    }
    expect(b.finishes).toHaveLength(1);
    expect(effectiveFinish(b.finishes[0]!)).toEqual(effectiveFinish(a.finishes[0]!));
  });
});
