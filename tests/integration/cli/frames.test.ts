// `cvat-sync tasks frames` against the test server: listing with the step applied, downloads of
// original bytes with deleted frames skipped, and delete/restore with a confirmation that names
// what annotators will no longer see.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import {
  attachImages,
  call,
  createHoneypotTask,
  createTask,
  images,
} from '../../cvat-server/test-helpers.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let env: Record<string, string>;
let task: number;
const files = images(5);

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-frames-'));
  env = {
    CVAT_SYNC_HOME: join(work, 'home'),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
  };
  task = await createTask(server);
  await attachImages(server, task, files, { image_quality: 70, frame_filter: 'step=2' });
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('cvat-sync tasks frames', () => {
  it('lists the frames with the step applied', async () => {
    const r = await runCli(['tasks', 'frames', String(task), '--json'], { env });
    expect(r.code).toBe(0);
    const frames = jsonLines(r.stdout);
    expect(frames.map((f) => [f.index, f.sourceFrame, f.name])).toEqual([
      [0, 0, 'img_000.png'],
      [1, 2, 'img_002.png'],
      [2, 4, 'img_004.png'],
    ]);
  });

  it('asks before deleting, naming the frames; deletes with --yes; downloads skip them', async () => {
    const refused = await runCli(['tasks', 'frames', String(task), '--delete', '1'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `Annotators of task #${task} will no longer see 1 frame: 1 (img_002.png)`,
    );
    expect(
      (await call(server, 'GET', `/api/tasks/${task}/data/meta`)).json().deleted_frames,
    ).toEqual([]);

    const del = await runCli(['tasks', 'frames', String(task), '--delete', '1', '--yes'], { env });
    expect(del.code).toBe(0);
    expect(
      (await call(server, 'GET', `/api/tasks/${task}/data/meta`)).json().deleted_frames,
    ).toEqual([1]);

    const out = join(work, 'out');
    const dl = await runCli(['tasks', 'frames', String(task), '--frames', '0-2', '-o', out], {
      env,
    });
    expect(dl.code).toBe(0);
    expect(dl.stdout).toContain('Saved 2 frames');
    expect(dl.stdout).toContain('skipped 1 deleted frame (1)');
    expect(readdirSync(out).sort()).toEqual(['frame_000000.png', 'frame_000002.png']);
    expect(readFileSync(join(out, 'frame_000002.png')).equals(files[4]?.data as Buffer)).toBe(true);

    const back = await runCli(['tasks', 'frames', String(task), '--restore', '1', '--yes'], {
      env,
    });
    expect(back.code).toBe(0);
    expect(
      (await call(server, 'GET', `/api/tasks/${task}/data/meta`)).json().deleted_frames,
    ).toEqual([]);
    const bad = await runCli(['tasks', 'frames', String(task), '--delete', '9', '--yes'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has frames 0-2');
  });
});

describe('cvat-sync tasks validation', () => {
  it('shows a task without validation, and refuses to re-draw honeypots without sending a PATCH', async () => {
    const raw = await call(server, 'GET', `/api/tasks/${task}/validation_layout`);
    expect(raw.json()).toEqual({ mode: null });
    const show = await runCli(['tasks', 'validation', String(task)], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Task #${task} has no validation`);
    const from = server.faults.stats().log.length;
    const shuffle = await runCli(['tasks', 'validation', String(task), '--shuffle-honeypots'], {
      env,
    });
    expect(shuffle.code).toBe(1);
    expect(shuffle.stderr).toContain(`Task #${task} has no validation set up`);
    const sent = server.faults
      .stats()
      .log.slice(from)
      .filter((l) => l.method === 'PATCH');
    expect(sent).toEqual([]);
    // What CVAT itself answers to that PATCH (views.py returns the ValidationError): a 500.
    const patched = await call(server, 'PATCH', `/api/tasks/${task}/validation_layout`, {
      body: { frame_selection_method: 'random_uniform' },
    });
    expect(patched.status).toBe(500);
  });
});

describe('cvat-sync tasks validation on a task with honeypots', () => {
  interface Layout {
    validation_frames: number[];
    disabled_frames: number[];
    honeypot_frames: number[];
    honeypot_real_frames: number[];
  }
  const layout = async (id: number) =>
    (await call(server, 'GET', `/api/tasks/${id}/validation_layout`)).json<Layout>();

  it('prints the layout, disables validation frames and re-draws honeypots onto the active ones', async () => {
    const id = await createHoneypotTask(server, { count: 12, segment: 3, pool: 3, perJob: 1 });
    const before = await layout(id);
    const show = await runCli(['tasks', 'validation', String(id), '--json'], { env });
    expect(show.code).toBe(0);
    expect(jsonLines(show.stdout)[0]).toMatchObject({
      type: 'validation',
      mode: 'gt_pool',
      framesPerJob: 1,
      validationFrames: before.validation_frames,
      honeypotCount: before.honeypot_frames.length,
      honeypotFrames: before.honeypot_frames,
      honeypotRealFrames: before.honeypot_real_frames,
    });
    const [a, b, kept] = before.validation_frames as [number, number, number];

    const off = await runCli(['tasks', 'validation', String(id), '--disable-frames', `${a},${b}`], {
      env,
    });
    expect(off.stderr).toBe('');
    expect(off.code).toBe(0);
    expect(off.stdout).toContain(`disabled: ${a}, ${b}`);
    expect((await layout(id)).disabled_frames).toEqual([a, b]);

    const shuffle = await runCli(['tasks', 'validation', String(id), '--shuffle-honeypots'], {
      env,
    });
    expect(shuffle.code).toBe(0);
    const after = await layout(id);
    // Only one active validation frame is left: every honeypot now shows it.
    expect(after.honeypot_frames).toEqual(before.honeypot_frames);
    expect(after.honeypot_real_frames).toEqual(before.honeypot_frames.map(() => kept));
    expect(shuffle.stdout).toContain(
      `honeypots: ${after.honeypot_frames.length} (${after.honeypot_frames.map((h) => `${h}→${kept}`).join(', ')})`,
    );
    const meta = (await call(server, 'GET', `/api/tasks/${id}/data/meta`)).json();
    for (const h of after.honeypot_frames) expect(meta.frames[h].name).toBe(meta.frames[kept].name);

    const from = server.faults.stats().log.length;
    const notPool = await runCli(['tasks', 'validation', String(id), '--disable-frames', '0'], {
      env,
    });
    expect(notPool.code).toBe(2);
    expect(notPool.stderr).toContain(`Frame 0 is not a validation frame of task #${id}`);
    expect(notPool.stderr).toContain(
      `Its validation frames: ${before.validation_frames.join(', ')}`,
    );
    expect(
      server.faults
        .stats()
        .log.slice(from)
        .filter((l) => l.method === 'PATCH'),
    ).toEqual([]);
  });

  it('a ground-truth task: frames can be disabled, honeypots cannot be re-drawn', async () => {
    const id = await createTask(server, { segment_size: 3 });
    await attachImages(server, id, images(6), {
      image_quality: 70,
      validation_params: {
        mode: 'gt',
        frame_selection_method: 'manual',
        frames: ['img_001.png', 'img_004.png'],
      },
    });
    const off = await runCli(['tasks', 'validation', String(id), '--disable-frames', '4'], {
      env,
    });
    expect(off.code).toBe(0);
    expect((await layout(id)).disabled_frames).toEqual([4]);
    const shuffle = await runCli(['tasks', 'validation', String(id), '--shuffle-honeypots'], {
      env,
    });
    expect(shuffle.code).toBe(1);
    expect(shuffle.stderr).toContain(`Task #${id} has no honeypots (validation mode "gt")`);
  });
});
