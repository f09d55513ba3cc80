// GET /api/tasks/{id}/data?type=frame|chunk|context_image and /data/meta, held to CVAT's
// views.py _DataGetter / TaskFrameProvider: bytes, MIME types, chunk headers and the 400/404/500s.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer, makePng } from './index.js';
import type { CvatTestServer } from './index.js';
import { attachImages, call, createTask, form, images, waitRequest } from './test-helpers.js';
import { mp4Around } from './fixture-media.js';

const { jpegjs, PNG } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as {
  jpegjs: { decode(b: Buffer): { width: number; height: number } };
  PNG: { sync: { read(b: Buffer): { width: number; height: number } } };
};

let s: CvatTestServer;
beforeAll(async () => {
  s = await startCvatServer({ processingDelayMs: 10 });
});
afterAll(async () => s.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function get(path: string) {
  const res = await fetch(s.url + path, {
    headers: { Authorization: `Bearer ${s.users.alice.token}` },
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    headers: res.headers,
    body: Buffer.from(await res.arrayBuffer()),
  };
}

async function videoTask(bytes: Buffer, options: Record<string, unknown> = {}) {
  const id = await createTask(s, { name: 'video' });
  const data = `/api/tasks/${id}/data/`;
  await call(s, 'POST', data, { headers: { 'Upload-Start': 'true' }, body: {} });
  await call(s, 'POST', data, {
    headers: { 'Upload-Multiple': 'true' },
    form: form([{ name: 'clip.mp4', data: bytes }]),
  });
  const f = await call(s, 'POST', data, {
    headers: { 'Upload-Finish': 'true' },
    body: { image_quality: 60, ...options },
  });
  expect((await waitRequest(s, f.json().rq_id)).status).toBe('finished');
  return id;
}

describe('image task', () => {
  const files = images(5);
  let id: number;
  beforeAll(async () => {
    id = await createTask(s);
    const rq = await attachImages(s, id, files, { image_quality: 80, chunk_size: 2 });
    expect(rq.status).toBe('finished');
  });

  it('original frames are the stored bytes, typed by extension', async () => {
    for (const [i, f] of files.entries()) {
      const r = await get(`/api/tasks/${id}/data?type=frame&number=${i}&quality=original`);
      expect(r.status).toBe(200);
      expect(r.type).toBe('image/png');
      expect(sha(r.body)).toBe(sha(f.data));
    }
  });

  it('compressed frames (the default quality) are JPEG re-encodes of the same size', async () => {
    const r = await get(`/api/tasks/${id}/data?type=frame&number=3`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('image/jpeg');
    expect(r.body.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(jpegjs.decode(r.body)).toMatchObject({ width: 16 + 3, height: 12 });
  });

  it('chunks are zips of chunk_size frames with checksum and date headers', async () => {
    const meta = (await get(`/api/tasks/${id}/data/meta`).then((r) =>
      JSON.parse(r.body.toString()),
    )) as Record<string, unknown>;
    const original = await get(`/api/tasks/${id}/data?type=chunk&number=1&quality=original`);
    expect(original.status).toBe(200);
    expect(original.type).toBe('application/zip');
    const members = unzipSync(new Uint8Array(original.body));
    expect(Object.keys(members)).toEqual(['000000.png', '000001.png']);
    expect(sha(Buffer.from(members['000000.png'] as Uint8Array))).toBe(sha(files[2]!.data));
    const seed = crc32(String(original.body.length));
    expect(original.headers.get('x-checksum')).toBe(
      String(crc32(original.body.subarray(0, 1000), seed) >>> 0),
    );
    expect(original.headers.get('x-updated-date')).toBe(meta.chunks_updated_date);

    const last = await get(`/api/tasks/${id}/data?type=chunk&number=2`);
    const jpegs = unzipSync(new Uint8Array(last.body));
    expect(Object.keys(jpegs)).toEqual(['000000.jpeg']);
    expect(jpegjs.decode(Buffer.from(jpegs['000000.jpeg'] as Uint8Array)).width).toBe(20);
  });

  it('meta lists each image with its size and the 2.73 keys', async () => {
    const r = await get(`/api/tasks/${id}/data/meta`);
    const meta = JSON.parse(r.body.toString());
    expect(Object.keys(meta).sort()).toEqual(
      [
        'chapters',
        'chunks_updated_date',
        'chunk_size',
        'size',
        'image_quality',
        'start_frame',
        'stop_frame',
        'frame_filter',
        'frames',
        'deleted_frames',
        'included_frames',
        'storage',
        'cloud_storage_id',
      ].sort(),
    );
    expect(meta).toMatchObject({ size: 5, chunk_size: 2, image_quality: 80, storage: 'local' });
    expect(meta.chunks_updated_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
    expect(meta.frames[1]).toEqual({
      width: 17,
      height: 12,
      name: 'img_001.png',
      related_files: 0,
      has_related_context: false,
    });
  });

  it('answers bad parameters as CVAT does', async () => {
    const bad = async (query: string) => {
      const r = await get(`/api/tasks/${id}/data${query}`);
      return [r.status, JSON.parse(r.body.toString())];
    };
    expect(await bad('')).toEqual([400, ['Data type not specified or has wrong value']]);
    expect(await bad('?type=thumbnail&number=0')).toEqual([
      400,
      ['Data type not specified or has wrong value'],
    ]);
    expect(await bad('?type=frame')).toEqual([400, ['Number is not specified']]);
    expect(await bad('?type=chunk&number=0&quality=high')).toEqual([400, ['Wrong quality value']]);
    expect(await bad('?type=frame&number=5')).toEqual([
      400,
      "Invalid frame '5'. The frame number should be in the [0, 5] range",
    ]);
    expect(await bad('?type=frame&number=-1&quality=original')).toEqual([
      400,
      "Invalid frame '-1'. The frame number should be in the [0, 5] range",
    ]);
    expect(await bad('?type=chunk&number=3')).toEqual([
      400,
      "Invalid chunk number '3'. The chunk number should be in the [0, 2] range",
    ]);
    expect((await get(`/api/tasks/${id}/data?type=frame&number=x`)).status).toBe(500);
    const ctxImage = await get(`/api/tasks/${id}/data?type=context_image&number=0`);
    expect([ctxImage.status, ctxImage.body.length]).toEqual([404, 0]);
    expect((await get(`/api/tasks/99999/data?type=frame&number=0`)).status).toBe(404);
  });
});

describe('video task', () => {
  const pattern = Buffer.alloc(65536 * 5 + 10);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7) & 0xff;
  const bytes = mp4Around(pattern);
  it('frames are PNGs of the meta size; chunks are the slices of the stored file', async () => {
    const id = await videoTask(bytes, { chunk_size: 4 });
    const meta = JSON.parse((await get(`/api/tasks/${id}/data/meta`)).body.toString());
    expect(meta.size).toBe(6);
    expect(meta.frames).toEqual([
      { width: 1920, height: 1080, name: 'clip.mp4', related_files: 0, has_related_context: false },
    ]);
    const f = await get(`/api/tasks/${id}/data?type=frame&number=5&quality=compressed`);
    expect(f.type).toBe('image/png');
    expect(PNG.sync.read(f.body)).toMatchObject({ width: 1920, height: 1080 });
    const c = await get(`/api/tasks/${id}/data?type=chunk&number=1&quality=original`);
    expect(c.type).toBe('video/mp4');
    expect(sha(c.body)).toBe(sha(bytes.subarray(4 * 65536)));
  });

  it('with zip chunks, compressed frames are JPEGs', async () => {
    const id = await videoTask(mp4Around(Buffer.alloc(1000, 3)), { use_zip_chunks: true });
    const f = await get(`/api/tasks/${id}/data?type=frame&number=0`);
    expect(f.type).toBe('image/jpeg');
    const c = await get(`/api/tasks/${id}/data?type=chunk&number=0`);
    expect(c.type).toBe('application/zip');
    expect(Object.keys(unzipSync(new Uint8Array(c.body)))).toEqual(['000000.jpeg']);
  });
});

describe('tasks without media', () => {
  it('a fresh task (data: null) answers 500 to meta, frames and chunks, as CVAT does', async () => {
    const id = await createTask(s);
    expect((await get(`/api/tasks/${id}/data/meta`)).status).toBe(500);
    expect((await get(`/api/tasks/${id}/data?type=frame&number=0`)).status).toBe(500);
    expect((await get(`/api/tasks/${id}/data?type=chunk&number=0`)).status).toBe(500);
  });

  it('after Upload-Start (size 0) meta is empty and frame 0 is out of range', async () => {
    const id = await createTask(s);
    await call(s, 'POST', `/api/tasks/${id}/data/`, {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    const meta = JSON.parse((await get(`/api/tasks/${id}/data/meta`)).body.toString());
    expect(meta).toMatchObject({ size: 0, frames: [], chunk_size: null, image_quality: 50 });
    const r = await get(`/api/tasks/${id}/data?type=frame&number=0`);
    expect([r.status, JSON.parse(r.body.toString())]).toEqual([
      400,
      "Invalid frame '0'. The frame number should be in the [0, 0] range",
    ]);
  });

  it('zip tasks serve the archive members', async () => {
    const id = await createTask(s);
    const png = makePng(8, 8, 9);
    const { zipSync } = await import('fflate');
    const archive = Buffer.from(zipSync({ 'a/x.png': new Uint8Array(png) }));
    await attachImages(s, id, [{ name: 'pack.zip', data: archive }]);
    const r = await get(`/api/tasks/${id}/data?type=frame&number=0&quality=original`);
    expect(sha(r.body)).toBe(sha(png));
  });
});

describe('job data', () => {
  const files = images(5);
  let jobs: Array<{ id: number; start_frame: number; stop_frame: number }>;
  let taskId: number;
  beforeAll(async () => {
    taskId = await createTask(s, { segment_size: 3 });
    await attachImages(s, taskId, files, { image_quality: 80, chunk_size: 2 });
    jobs = (await call(s, 'GET', `/api/jobs?task_id=${taskId}&sort=id`)).json().results;
    expect(jobs.map((j) => [j.start_frame, j.stop_frame])).toEqual([
      [0, 2],
      [3, 4],
    ]);
  });

  it('meta narrows the task meta to the job', async () => {
    const meta = JSON.parse((await get(`/api/jobs/${jobs[1]!.id}/data/meta`)).body.toString());
    expect(meta).toMatchObject({ size: 2, start_frame: 3, stop_frame: 4, chunk_size: 2 });
    expect(meta.frames.map((f: { name: string }) => f.name)).toEqual([
      'img_003.png',
      'img_004.png',
    ]);
  });

  it('frames by task frame number; chunks by job index or task chunk number', async () => {
    const j = jobs[1]!.id;
    const f = await get(`/api/jobs/${j}/data?type=frame&number=4&quality=original`);
    expect(sha(f.body)).toBe(sha(files[4]!.data));
    const byIndex = await get(`/api/jobs/${j}/data?type=chunk&index=0&quality=original`);
    expect(Object.keys(unzipSync(new Uint8Array(byIndex.body)))).toEqual([
      '000000.png',
      '000001.png',
    ]);
    expect(
      sha(Buffer.from(unzipSync(new Uint8Array(byIndex.body))['000000.png'] as Uint8Array)),
    ).toBe(sha(files[3]!.data));
    // Task chunk 1 holds frames 2-3; this job has only frame 3 of it.
    const byNumber = await get(`/api/jobs/${j}/data?type=chunk&number=1&quality=original`);
    const members = unzipSync(new Uint8Array(byNumber.body));
    expect(Object.keys(members)).toEqual(['000000.png']);
    expect(sha(Buffer.from(members['000000.png'] as Uint8Array))).toBe(sha(files[3]!.data));
    expect(byNumber.headers.get('x-checksum')).toMatch(/^\d+$/);
  });

  it('answers bad parameters as CVAT does', async () => {
    const j = jobs[1]!.id;
    const bad = async (query: string) => {
      const r = await get(`/api/jobs/${j}/data${query}`);
      return [r.status, JSON.parse(r.body.toString())];
    };
    expect(await bad('?type=chunk')).toEqual([400, ['Number or Index is not specified']]);
    expect(await bad('?type=chunk&number=1&index=0')).toEqual([
      400,
      ['Number and Index cannot be used together'],
    ]);
    expect(await bad('?type=chunk&index=1')).toEqual([
      400,
      ["Invalid chunk number '1'. The chunk number should be in the [0, 0] range"],
    ]);
    expect(await bad('?type=chunk&number=0')).toEqual([
      400,
      ["Invalid chunk number '0'. The chunk number should be in the [1, 2] range"],
    ]);
    expect(await bad('?type=frame&number=1')).toEqual([400, 'Incorrect requested frame number: 1']);
    expect(await bad('?type=frame&number=3&quality=best')).toEqual([400, ['Wrong quality value']]);
  });
});
