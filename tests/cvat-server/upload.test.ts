// /data dispatch, TUS (core protocol and its state table), Upload-Multiple append semantics,
// Upload-Finish 202/409/400, single request, media rules at processing time, request records.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer, makePng, mp4Around, MP4_HEAD_BYTES } from './index.js';
import type { CvatTestServer } from './index.js';
import {
  attachImages,
  call,
  createTask,
  form,
  images,
  raw,
  tusMeta,
  waitRequest,
  zipOf,
} from './test-helpers.js';

let s: CvatTestServer;
let auth: Record<string, string>;
beforeAll(async () => {
  s = await startCvatServer({ processingDelayMs: 30, tusMaxSize: 10_000_000 });
  auth = { Authorization: `Bearer ${s.users.alice.token}` };
});
afterAll(async () => s.close());

const TUS_HEADERS = {
  'tus-resumable': '1.0.0',
  'tus-version': '1.0.0',
  'tus-extension': '',
  'tus-max-size': '10000000',
  'cache-control': 'no-store',
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'PATCH,HEAD,GET,POST,OPTIONS',
  'access-control-expose-headers':
    'Tus-Resumable,upload-length,upload-metadata,Location,Upload-Offset',
  'access-control-allow-headers':
    'Tus-Resumable,upload-length,upload-metadata,Location,Upload-Offset,content-type',
};

async function startData(taskId: number) {
  const r = await call(s, 'POST', `/api/tasks/${taskId}/data/`, {
    headers: { 'Upload-Start': '' },
    body: {},
  });
  expect(r.status).toBe(202);
  expect(r.text).toBe('');
}

function tusCreate(
  taskId: number,
  name: string,
  length: number,
  extra: Record<string, string> = {},
) {
  return raw(`${s.url}/api/tasks/${taskId}/data/`, {
    method: 'POST',
    headers: {
      ...auth,
      'Tus-Resumable': '1.0.0',
      'Upload-Length': length,
      'Upload-Metadata': tusMeta(name),
      'Content-Length': 0,
      ...extra,
    },
  });
}

function patch(
  location: string,
  offset: number,
  body: Buffer,
  extra: Record<string, string | number> = {},
) {
  return raw(location, {
    method: 'PATCH',
    headers: {
      ...auth,
      'Tus-Resumable': '1.0.0',
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': offset,
      'Content-Length': body.length,
      ...extra,
    },
    body,
  });
}

describe('TUS', () => {
  it('creation: 201, full header set, absolute Location with <user>_<uuid4>, Upload-Filename', async () => {
    const id = await createTask(s);
    await startData(id);
    const r = await tusCreate(id, 'big.png', 1000);
    expect(r.status).toBe(201);
    expect(r.headers).toMatchObject(TUS_HEADERS);
    expect(r.headers['upload-filename']).toBe('big.png');
    expect(r.headers.location).toMatch(
      new RegExp(
        `^${s.url}/api/tasks/${id}/data/1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
      ),
    );
  });

  it('Location follows X-Forwarded-Host / X-Forwarded-Proto', async () => {
    const id = await createTask(s);
    const r = await tusCreate(id, 'a.png', 10, {
      'X-Forwarded-Host': 'cvat.example',
      'X-Forwarded-Proto': 'https',
    });
    expect(r.headers.location).toMatch(/^https:\/\/cvat\.example\/api\/tasks\/\d+\/data\/1_/);
    const plain = await tusCreate(id, 'b.png', 10, { 'X-Forwarded-Host': 'proxy.example:8443' });
    expect(plain.headers.location).toMatch(/^http:\/\/proxy\.example:8443\//);
  });

  it('creation errors: 400 no filename (JSON string + Tus), 400 bad name (quoted text/plain, no Tus), 409 duplicate, 413 too large', async () => {
    const id = await createTask(s);
    const noName = await raw(`${s.url}/api/tasks/${id}/data/`, {
      method: 'POST',
      headers: { ...auth, 'Upload-Length': 10, 'Content-Length': 0 },
    });
    expect(noName.status).toBe(400);
    expect(noName.headers).toMatchObject(TUS_HEADERS);
    expect(JSON.parse(noName.body.toString())).toMatch(/filename/);
    const bad = await tusCreate(id, '../evil.png', 10);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('text/plain');
    expect(bad.headers['tus-resumable']).toBeUndefined();
    expect(bad.body.toString()).toBe('"File name ../evil.png is not allowed"');
    expect((await tusCreate(id, '/etc/passwd', 10)).status).toBe(400);
    expect((await tusCreate(id, 'dup.png', 10)).status).toBe(201);
    const dup = await tusCreate(id, 'dup.png', 10);
    expect(dup.status).toBe(409);
    expect(dup.headers).toMatchObject(TUS_HEADERS);
    const big = await tusCreate(id, 'huge.png', 10_000_001);
    expect(big.status).toBe(413);
    expect(big.headers).toMatchObject(TUS_HEADERS);
  });

  it('HEAD/PATCH rules: 200 offsets, 409 wrong offset, 415, 413 beyond length, 400 without Content-Length, 403/404', async () => {
    const id = await createTask(s);
    const data = Buffer.alloc(300, 7);
    const loc = String((await tusCreate(id, 'file.png', 300)).headers.location);
    const head = await raw(loc, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers).toMatchObject({
      ...TUS_HEADERS,
      'upload-offset': '0',
      'upload-length': '300',
    });
    const p1 = await patch(loc, 0, data.subarray(0, 100));
    expect(p1.status).toBe(204);
    expect(p1.headers).toMatchObject({ ...TUS_HEADERS, 'upload-offset': '100' });
    const wrong = await patch(loc, 0, data.subarray(0, 10));
    expect(wrong.status).toBe(409);
    expect(wrong.body.length).toBe(0);
    expect(wrong.headers).toMatchObject(TUS_HEADERS);
    expect(
      (await patch(loc, 100, data.subarray(0, 10), { 'Content-Type': 'application/octet-stream' }))
        .status,
    ).toBe(415);
    expect((await patch(loc, 100, Buffer.alloc(201))).status).toBe(413);
    const noLen = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request(
          loc,
          {
            method: 'PATCH',
            headers: {
              ...auth,
              'Content-Type': 'application/offset+octet-stream',
              'Upload-Offset': 100,
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write(data.subarray(100, 110)); // write() before end(): chunked, no Content-Length
        req.end();
      }, reject);
    });
    expect(noLen).toBe(400);
    const bobAuth = { Authorization: `Bearer ${s.users.bob.token}` };
    expect((await raw(loc, { method: 'HEAD', headers: bobAuth })).status).toBe(403);
    const unknown = loc.replace(/1_[0-9a-f-]+$/, '1_00000000-0000-4000-8000-000000000000');
    expect((await raw(unknown, { method: 'HEAD', headers: auth })).status).toBe(404);
    const other = loc.replace(/1_[0-9a-f-]+$/, '2_00000000-0000-4000-8000-000000000000');
    expect((await raw(other, { method: 'HEAD', headers: auth })).status).toBe(403);
    const last = await patch(loc, 100, data.subarray(100));
    expect(last.status).toBe(204);
    expect(last.headers['upload-offset']).toBe('300');
    expect((await raw(loc, { method: 'HEAD', headers: auth })).status).toBe(404);
    expect((await patch(loc, 300, Buffer.alloc(1))).status).toBe(404);
  });

  it('OPTIONS 204 with Tus headers; DELETE 405; Tus-Resumable value ignored', async () => {
    const id = await createTask(s);
    const o = await raw(`${s.url}/api/tasks/${id}/data/`, { method: 'OPTIONS', headers: auth });
    expect(o.status).toBe(204);
    expect(o.headers).toMatchObject(TUS_HEADERS);
    const loc = String(
      (await tusCreate(id, 'x.png', 5, { 'Tus-Resumable': '0.2.2' })).headers.location,
    );
    expect((await raw(loc, { method: 'DELETE', headers: auth })).status).toBe(405);
  });

  it('a completed upload is stored byte-identically and processed; a half-finished one fails processing', async () => {
    const id = await createTask(s);
    await startData(id);
    const png = makePng(40, 30, 9);
    const loc = String((await tusCreate(id, 'whole.png', png.length)).headers.location);
    await patch(loc, 0, png.subarray(0, 50));
    await patch(loc, 50, png.subarray(50));
    const half = await createTask(s);
    await startData(half);
    const hloc = String((await tusCreate(half, 'half.png', png.length)).headers.location);
    await patch(hloc, 0, png.subarray(0, 10));
    const finish = async (task: number) =>
      (
        await call(s, 'POST', `/api/tasks/${task}/data/`, {
          headers: { 'Upload-Finish': 'true' },
          body: { image_quality: 70 },
        })
      ).json().rq_id as string;
    expect((await waitRequest(s, await finish(id))).status).toBe('finished');
    expect(s.admin.taskFiles(id)).toEqual([
      {
        name: 'whole.png',
        size: png.length,
        sha256: createHash('sha256').update(png).digest('hex'),
      },
    ]);
    const failed = await waitRequest(s, await finish(half));
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(/^FileNotFoundError: .*half\.png/);
  });
});

describe('/data dispatch', () => {
  it('Upload-Multiple: basenames only, a re-sent name is a 500 that stores nothing, only client_files[N] parts', async () => {
    const id = await createTask(s);
    await startData(id);
    const a = Buffer.from('first-');
    const b = Buffer.from('second');
    const up = (files: Array<{ name: string; data: Buffer }>, field?: (i: number) => string) =>
      call(s, 'POST', `/api/tasks/${id}/data/`, {
        headers: { 'Upload-Multiple': 'true' },
        form: form(files, { image_quality: '70' }, field),
      });
    const sha = (d: Buffer) => createHash('sha256').update(d).digest('hex');
    expect((await up([{ name: 'dir/part.png', data: a }])).status).toBe(200);
    // TaskViewSet.append_files bulk-creates ClientFile rows (unique per data+file) before writing.
    const again = await up([{ name: 'part.png', data: b }]);
    expect(again.status).toBe(500);
    expect(again.text).toBe('<h1>Server Error (500)</h1>');
    const twice = await up([
      { name: 'x.png', data: a },
      { name: 'sub/x.png', data: b },
    ]);
    expect(twice.status).toBe(500);
    expect((await up([{ name: 'ignored.png', data: b }], () => 'client_files')).status).toBe(200);
    expect(s.admin.taskFiles(id)).toEqual([{ name: 'part.png', size: 6, sha256: sha(a) }]);
    const tus = await tusCreate(id, 'big.png', 10);
    expect(tus.status).toBe(201);
    expect((await up([{ name: 'big.png', data: b }])).status).toBe(500);
    const bad = await up([{ name: '..', data: a }]);
    expect(bad.status).toBe(400);
    const badField = await call(s, 'POST', `/api/tasks/${id}/data/`, {
      headers: { 'Upload-Multiple': 'true' },
      form: form([], { image_quality: '0' }),
    });
    expect(badField.status).toBe(400);
    expect(badField.json()).toHaveProperty('image_quality');
  });

  it('Upload-Finish: 202 rq_id, 409 while queued/running, 400 invalid fields, 400 string once media exists', async () => {
    const id = await createTask(s);
    await startData(id);
    await call(s, 'POST', `/api/tasks/${id}/data/`, {
      headers: { 'Upload-Multiple': 'true' },
      form: form(images(2)),
    });
    const fin = (body: unknown) =>
      call(s, 'POST', `/api/tasks/${id}/data/`, { headers: { 'Upload-Finish': 'true' }, body });
    for (const [body, field] of [
      [{ image_quality: 0 }, 'image_quality'],
      [{ image_quality: 101 }, 'image_quality'],
      [{ image_quality: 70, sorting_method: 'size' }, 'sorting_method'],
      [{ image_quality: 70, frame_filter: 'every=2' }, 'frame_filter'],
      [{ image_quality: 70, chunk_size: -1 }, 'chunk_size'],
      // DataSerializer.validate_chunk_size / validate_frame_filter.
      [{ image_quality: 70, chunk_size: 0 }, 'chunk_size'],
      [{ image_quality: 70, frame_filter: '' }, 'frame_filter'],
      [{ image_quality: 70, start_frame: 5, stop_frame: 2 }, 'non_field_errors'],
      [{ image_quality: 70, job_file_mapping: [['a'], ['a']] }, 'job_file_mapping'],
    ] as const) {
      const r = await fin(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json(), JSON.stringify(body)).toHaveProperty(field);
    }
    const order = await fin({
      image_quality: 70,
      sorting_method: 'predefined',
      upload_file_order: ['img_000.png', 'other.png'],
    });
    expect(order.status).toBe(400);
    expect(order.json()[0]).toMatch(/Mismatching files: .*\((extra|missing)\)/);
    const first = await fin({ image_quality: 70 });
    expect(first.status).toBe(202);
    expect(first.json()).toEqual({ rq_id: `action=create&target=task&target_id=${id}` });
    const again = await fin({ image_quality: 70 });
    expect(again.status).toBe(409);
    expect(again.json()).toEqual({ rq_id: first.json().rq_id });
    expect((await waitRequest(s, first.json().rq_id)).status).toBe('finished');
    for (const headers of [
      { 'Upload-Start': 'true' },
      { 'Upload-Finish': 'true' },
      { 'Upload-Multiple': 'true' },
    ] as Array<Record<string, string>>) {
      const r = await call(s, 'POST', `/api/tasks/${id}/data/`, { headers, body: {} });
      expect(r.status).toBe(400);
      expect(r.json()).toBe('Adding more data is not supported');
    }
    expect((await tusCreate(id, 'late.png', 5)).status).toBe(400);
  });

  it('single request forms: no Upload headers, or Upload-Start + Upload-Finish together; slash-less path', async () => {
    for (const headers of [{}, { 'Upload-Start': 'true', 'Upload-Finish': 'true' }] as Array<
      Record<string, string>
    >) {
      const id = await createTask(s);
      const r = await call(s, 'POST', `/api/tasks/${id}/data`, {
        headers,
        form: form(images(4), { image_quality: '80' }),
      });
      expect(r.status).toBe(202);
      const done = await waitRequest(s, r.json().rq_id);
      expect(done.status).toBe('finished');
      const t = (await call(s, 'GET', `/api/tasks/${id}`)).json();
      expect(t).toMatchObject({
        size: 4,
        image_quality: 80,
        media_type: 'image',
        mode: 'annotation',
        dimension: '2d',
        data_original_chunk_type: 'imageset',
      });
    }
  });

  it('TUS created on the slash-less endpoint gets a Location CVAT would build (one level up)', async () => {
    const id = await createTask(s);
    const r = await raw(`${s.url}/api/tasks/${id}/data`, {
      method: 'POST',
      headers: {
        ...auth,
        'Upload-Length': 5,
        'Upload-Metadata': tusMeta('n.png'),
        'Content-Length': 0,
      },
    });
    expect(r.status).toBe(201);
    expect(r.headers.location).toMatch(new RegExp(`/api/tasks/${id}/1_`));
  });
});

describe('processing and requests', () => {
  const attach = (
    files: Array<{ name: string; data: Buffer }>,
    options: Record<string, unknown> = { image_quality: 70 },
  ) => createTask(s).then((id) => attachImages(s, id, files, options).then((r) => ({ id, r })));

  it('fails by media rule with CVAT-like messages', async () => {
    const video = { name: 'a.mp4', data: Buffer.alloc(1000, 1) };
    const cases: Array<[Array<{ name: string; data: Buffer }>, Record<string, unknown>, RegExp]> = [
      [images(2), {}, /^ValueError: .*image_quality/],
      [
        [...images(1), video],
        { image_quality: 70 },
        /^ValueError: Only one video.*1 image\(s\), 1 video\(s\)/,
      ],
      [
        [video, { name: 'b.mp4', data: Buffer.alloc(10, 1) }],
        { image_quality: 70 },
        /^ValueError: Only one .*2 video\(s\)/,
      ],
      // PyAV cannot open bytes no demuxer knows, nor an MP4 without its moov box.
      [
        [{ name: 'noise.mp4', data: Buffer.alloc(3000, 9) }],
        { image_quality: 70 },
        /^av\.error\.InvalidDataError: \[Errno 1094995529\] Invalid data found when processing input: '\/home\/django\/data\/data\/\d+\/raw\/noise\.mp4'$/,
      ],
      [
        [{ name: 'unfinished.mp4', data: withoutMoov(mp4Around(Buffer.alloc(3000, 9))) }],
        { image_quality: 70 },
        /^av\.error\.InvalidDataError: .*unfinished\.mp4'$/,
      ],
      // PIL reads PNG chunk headers up to IDAT when it opens a file: one cut after IHDR fails.
      [
        [{ name: 'cut.png', data: makePng(4, 4, 1).subarray(0, 33) }],
        { image_quality: 70 },
        /^PIL\.UnidentifiedImageError: cannot identify image file '\/home\/django\/data\/data\/\d+\/raw\/cut\.png'$/,
      ],
      [
        [{ name: 'readme.txt', data: Buffer.from('x') }],
        { image_quality: 70 },
        /^ValueError: No media data found/,
      ],
      [
        [...images(2), { name: 'manifest.jsonl', data: Buffer.from('{}') }],
        { image_quality: 70, sorting_method: 'random' },
        /manifest.*random/,
      ],
      [
        [{ name: 'fake.png', data: Buffer.from('not an image') }],
        { image_quality: 70 },
        /UnidentifiedImageError/,
      ],
    ];
    for (const [files, options, message] of cases) {
      const { r } = await attach(files, options);
      expect(r.status, String(message)).toBe('failed');
      expect(r.message).toMatch(message);
      expect(r.progress).toBeNull();
    }
  });

  it('opens a PNG cut inside its image data, as CVAT does (PIL loads truncated images there)', async () => {
    const png = makePng(40, 40, 5);
    const r = await attach([{ name: 'half.png', data: png.subarray(0, png.length - 40) }]);
    expect(r.r.status).toBe('finished');
    expect((await call(s, 'GET', `/api/tasks/${r.id}`)).json()).toMatchObject({ size: 1 });
  });

  it('sizes: images = count, zip = image members, video = ceil(bytes / 64 KiB) frames', async () => {
    const zip = zipOf({
      'a/1.png': makePng(5, 5, 1),
      'a/2.png': makePng(5, 5, 2),
      'b/3.png': makePng(5, 5, 3),
      'notes.txt': Buffer.from('x'),
    });
    const z = await attach([{ name: 'set.zip', data: zip }]);
    expect(z.r.status).toBe('finished');
    expect((await call(s, 'GET', `/api/tasks/${z.id}`)).json()).toMatchObject({
      size: 3,
      media_type: 'image',
      mode: 'annotation',
    });
    const v = await attach(
      [{ name: 'clip.mp4', data: mp4Around(Buffer.alloc(65536 * 3 + 1, 2)) }],
      {
        image_quality: 70,
        use_zip_chunks: true,
      },
    );
    const t = (await call(s, 'GET', `/api/tasks/${v.id}`)).json();
    expect(t).toMatchObject({
      size: 4,
      mode: 'interpolation',
      data_original_chunk_type: 'video',
      data_compressed_chunk_type: 'imageset',
      overlap: 2,
    });
    const meta = (await call(s, 'GET', `/api/tasks/${z.id}/data/meta`)).json();
    expect(meta.frames.map((f: { name: string }) => f.name)).toEqual([
      'a/1.png',
      'a/2.png',
      'b/3.png',
    ]);
  });

  it('frame range/step and job_file_mapping shape the frames and jobs', async () => {
    const r = await attach(images(10), {
      image_quality: 70,
      start_frame: 2,
      stop_frame: 8,
      frame_filter: 'step=3',
    });
    expect((await call(s, 'GET', `/api/tasks/${r.id}`)).json().size).toBe(3);
    const m = await attach(images(3), {
      image_quality: 70,
      job_file_mapping: [['img_000.png', 'img_002.png'], ['img_001.png']],
    });
    expect(m.r.status).toBe('finished');
    const jobs = (await call(s, 'GET', `/api/jobs?task_id=${m.id}&sort=id`)).json().results;
    expect(jobs.map((j: { frame_count: number }) => j.frame_count)).toEqual([2, 1]);
  });

  it('request records carry the CVAT fields; finished creation expires after ~500 s; unknown ids 404 plain text', async () => {
    const { r } = await attach(images(1));
    expect(Object.keys(r).sort()).toEqual(
      [
        'created_date',
        'expiry_date',
        'finished_date',
        'id',
        'message',
        'operation',
        'owner',
        'progress',
        'result_id',
        'result_url',
        'started_date',
        'status',
      ].sort(),
    );
    expect(r.operation).toMatchObject({
      type: 'create:task',
      target: 'task',
      format: null,
      function_id: null,
    });
    expect(r.owner).toEqual({ id: 1, username: 'alice' });
    expect(r.progress).toBe(1);
    const ttl = Date.parse(r.expiry_date) - Date.parse(r.finished_date);
    expect(ttl).toBe(500_000);
    const list = (
      await call(s, 'GET', `/api/requests?task_id=${r.operation.task_id}&action=create`)
    ).json();
    expect(list.results.map((x: { id: string }) => x.id)).toEqual([r.id]);
    expect((await call(s, 'GET', '/api/requests', { as: s.users.bob })).json().count).toBe(0);
    expect(
      (await call(s, 'GET', `/api/requests/${encodeURIComponent(r.id)}`, { as: s.users.bob }))
        .status,
    ).toBe(404);
    s.admin.advanceTime(501_000);
    const gone = await call(s, 'GET', `/api/requests/${encodeURIComponent(r.id)}`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toMatch(/text\/html/);
    expect((await call(s, 'GET', '/api/requests/no-such-id')).status).toBe(404);
    expect((await call(s, 'GET', '/api/requests?filter=%7B%7D')).status).toBe(400);
  });

  it('status progresses queued → started → finished; cancel rules', async () => {
    const slow = await startCvatServer({ processingDelayMs: 400 });
    try {
      const id = await createTask(slow);
      await call(slow, 'POST', `/api/tasks/${id}/data/`, {
        form: form(images(1), { image_quality: '70' }),
      });
      const rq = `action=create&target=task&target_id=${id}`;
      const seen = new Set<string>();
      for (let i = 0; i < 100 && !seen.has('finished'); i++) {
        seen.add(
          (await call(slow, 'GET', `/api/requests/${encodeURIComponent(rq)}`)).json().status,
        );
        await new Promise((r) => setTimeout(r, 15));
      }
      expect([...seen]).toEqual(['queued', 'started', 'finished']);
      expect(
        (await call(slow, 'POST', `/api/requests/${encodeURIComponent(rq)}/cancel`)).status,
      ).toBe(400);
      const id2 = await createTask(slow);
      await call(slow, 'POST', `/api/tasks/${id2}/data/`, {
        form: form(images(1), { image_quality: '70' }),
      });
      const rq2 = `action=create&target=task&target_id=${id2}`;
      expect(
        (await call(slow, 'POST', `/api/requests/${encodeURIComponent(rq2)}/cancel`)).status,
      ).toBe(200);
      expect((await call(slow, 'GET', `/api/requests/${encodeURIComponent(rq2)}`)).status).toBe(
        404,
      );
      expect((await call(slow, 'POST', '/api/requests/unknown/cancel')).status).toBe(404);
    } finally {
      await slow.close();
    }
  });
});

/** The ftyp and mdat of an MP4 from mp4Around(), without the moov box between them. */
function withoutMoov(mp4: Buffer): Buffer {
  return Buffer.concat([mp4.subarray(0, 24), mp4.subarray(MP4_HEAD_BYTES - 8)]);
}
