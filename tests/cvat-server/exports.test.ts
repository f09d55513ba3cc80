// Exports/backups, downloads (headers, Range, expiry, location trap),
// formats, backup round trip, annotation import, synthetic large results.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { startCvatServer, syntheticSha256 } from './index.js';
import type { CvatTestServer } from './index.js';
import {
  attachImages,
  call,
  createTask,
  images,
  raw,
  tusMeta,
  waitRequest,
} from './test-helpers.js';

let s: CvatTestServer;
let taskId: number;
const auth = () => ({ Authorization: `Bearer ${s.users.alice.token}` });

beforeAll(async () => {
  s = await startCvatServer({ processingDelayMs: 10 });
  taskId = await createTask(s, { name: 'Export Me', segment_size: 2 });
  await attachImages(s, taskId, images(3));
});
afterAll(async () => s.close());

async function download(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers: { ...auth(), ...headers } });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function exportDone(path: string): Promise<{ rq: string; rec: any }> {
  const r = await call(s, 'POST', path);
  expect(r.status, r.text).toBe(202);
  const rq = r.json().rq_id as string;
  return { rq, rec: await waitRequest(s, rq) };
}

describe('formats', () => {
  it('lists the 2.73 importers and exporters', async () => {
    const f = (await call(s, 'GET', '/api/server/annotation/formats')).json();
    const names = (l: Array<{ name: string }>) => l.map((x) => x.name);
    expect(f.exporters).toHaveLength(33);
    expect(names(f.exporters)).toEqual(
      expect.arrayContaining([
        'CVAT for images 1.1',
        'CVAT for video 1.1',
        'COCO 1.0',
        'Ultralytics YOLO Detection Track 1.0',
        'Generic TSV 1.0',
      ]),
    );
    expect(names(f.importers)).toContain('CVAT 1.1');
    expect(names(f.importers)).not.toContain('CVAT for images 1.1');
    expect(names(f.importers)).not.toContain('Ultralytics YOLO Detection Track 1.0');
    expect(f.importers.find((x: { name: string }) => x.name === 'COCO 1.0')).toEqual({
      name: 'COCO 1.0',
      ext: 'JSON, ZIP',
      version: '1.0',
      enabled: true,
      dimension: '2d',
    });
    expect(f.exporters.find((x: { name: string }) => x.name === 'Datumaro 3D 1.0').dimension).toBe(
      '3d',
    );
  });
});

describe('exports', () => {
  it('dataset export: 202 rq_id (CVAT id form), 409 while running, real zip with annotations and images', async () => {
    const path = `/api/tasks/${taskId}/dataset/export?format=${encodeURIComponent('COCO 1.0')}&save_images=true&location=local`;
    const r = await call(s, 'POST', path);
    expect(r.status).toBe(202);
    const rq = r.json().rq_id;
    expect(rq).toBe(
      `action=export&target=task&target_id=${taskId}&user_id=1&format=COCO_1~0&subresource=dataset`,
    );
    const again = await call(s, 'POST', path);
    expect(again.status).toBe(409);
    expect(again.json()).toEqual({ rq_id: rq });
    const rec = await waitRequest(s, rq);
    expect(rec.status).toBe('finished');
    expect(rec.operation).toMatchObject({
      type: 'export:dataset',
      format: 'COCO 1.0',
      task_id: taskId,
    });
    expect(rec.result_url).toBe(
      `${s.url}/api/tasks/${taskId}/dataset/download?rq_id=${encodeURIComponent(rq)}`,
    );
    expect(Date.parse(rec.expiry_date) - Date.parse(rec.finished_date)).toBe(86_400_000);
    const { res, body } = await download(rec.result_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="task_\d+_dataset_\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d_coco 1\.0\.zip"$/,
    );
    const files = unzipSync(new Uint8Array(body));
    expect(Object.keys(files).sort()).toEqual([
      'annotations/instances_default.json',
      'images/default/img_000.png',
      'images/default/img_001.png',
      'images/default/img_002.png',
    ]);
    const coco = JSON.parse(
      Buffer.from(files['annotations/instances_default.json'] as Uint8Array).toString(),
    );
    expect(coco.images).toHaveLength(3);
    expect(coco.categories.map((c: { name: string }) => c.name)).toEqual(['car', 'person']);
    const head = await fetch(rec.result_url, { method: 'HEAD', headers: auth() });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(body.length);
  });

  it('annotations-only CVAT export holds annotations.xml; jobs and projects export too', async () => {
    const { rec } = await exportDone(
      `/api/tasks/${taskId}/dataset/export?format=${encodeURIComponent('CVAT for images 1.1')}&location=local&filename=${encodeURIComponent('mine ü.zip')}`,
    );
    expect(rec.operation.type).toBe('export:annotations');
    const { res, body } = await download(rec.result_url);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="mine u.zip"; filename*=UTF-8''mine%20%C3%BC.zip`,
    );
    const files = unzipSync(new Uint8Array(body));
    expect(Object.keys(files)).toEqual(['annotations.xml']);
    expect(Buffer.from(files['annotations.xml'] as Uint8Array).toString()).toMatch(
      /<image id="0" name="img_000.png"/,
    );
    const job = (await call(s, 'GET', `/api/jobs?task_id=${taskId}&sort=id`)).json().results[0];
    const j = await exportDone(
      `/api/jobs/${job.id}/dataset/export?format=${encodeURIComponent('Datumaro 1.0')}&location=local`,
    );
    expect(j.rec.status).toBe('finished');
    const project = s.admin.createProject('alice', { name: 'exp-proj', labels: [{ name: 'x' }] });
    const p = await exportDone(
      `/api/projects/${project.id}/dataset/export?format=YOLO%201.1&location=local`,
    );
    expect(p.rec.result_url).toMatch(`/api/projects/${project.id}/dataset/download?rq_id=`);
  });

  it('errors: unknown format 400, dimension mismatch 405, task without media 400, job backup absent', async () => {
    expect(
      (await call(s, 'POST', `/api/tasks/${taskId}/dataset/export?format=Nope&location=local`))
        .status,
    ).toBe(400);
    expect(
      (await call(s, 'POST', `/api/tasks/${taskId}/dataset/export?location=local`)).status,
    ).toBe(400);
    const r405 = await call(
      s,
      'POST',
      `/api/tasks/${taskId}/dataset/export?format=${encodeURIComponent('Datumaro 3D 1.0')}&location=local`,
    );
    expect(r405.status).toBe(405);
    expect(r405.json()).toHaveProperty('detail');
    const empty = await createTask(s);
    expect(
      (await call(s, 'POST', `/api/tasks/${empty}/dataset/export?format=COCO%201.0&location=local`))
        .status,
    ).toBe(400);
    expect((await call(s, 'POST', `/api/tasks/${empty}/backup/export?location=local`)).status).toBe(
      400,
    );
    expect((await call(s, 'POST', '/api/jobs/1/backup/export')).status).toBe(404);
  });

  it('location trap: without location a task targeting cloud storage yields result_url null', async () => {
    const id = await createTask(s, {
      target_storage: { location: 'cloud_storage', cloud_storage_id: 3 },
    });
    await attachImages(s, id, images(1));
    const { rec } = await exportDone(`/api/tasks/${id}/dataset/export?format=COCO%201.0`);
    expect(rec.status).toBe('finished');
    expect(rec.result_url).toBeNull();
    const dl = await call(
      s,
      'GET',
      `/api/tasks/${id}/dataset/download?rq_id=${encodeURIComponent(rec.id)}`,
    );
    expect(dl.status).toBe(400);
    const local = await exportDone(
      `/api/tasks/${id}/dataset/export?format=COCO%201.0&location=local`,
    );
    expect(local.rec.result_url).not.toBeNull();
  });

  it('download errors: missing/invalid rq_id 400, not finished 400, expired request 400', async () => {
    expect((await call(s, 'GET', `/api/tasks/${taskId}/dataset/download`)).status).toBe(400);
    expect(
      (await call(s, 'GET', `/api/tasks/${taskId}/dataset/download?rq_id=garbage`)).status,
    ).toBe(400);
    const { rec } = await exportDone(
      `/api/tasks/${taskId}/dataset/export?format=${encodeURIComponent('YOLO 1.1')}&location=local`,
    );
    expect((await download(rec.result_url)).res.status).toBe(200);
    s.admin.advanceTime(86_400_001);
    // Downloader.download_file (redis_handler/background.py): the expired job is unknown to the queue.
    const expired = await download(rec.result_url);
    expect(expired.res.status).toBe(400);
    expect(expired.res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(expired.body.toString()).toBe('Unknown export request id');
    expect((await call(s, 'GET', `/api/requests/${encodeURIComponent(rec.id)}`)).status).toBe(404);
  });

  it('Range: 206 + Content-Range, suffix ranges, 416; rangeSupport=false always 200', async () => {
    const { rqId, resultUrl } = s.admin.addSyntheticResult(taskId, 5000);
    expect(resultUrl).toBe(
      `${s.url}/api/tasks/${taskId}/dataset/download?rq_id=${encodeURIComponent(rqId)}`,
    );
    const full = await download(resultUrl);
    expect(full.res.headers.get('accept-ranges')).toBe('bytes');
    expect(createHash('sha256').update(full.body).digest('hex')).toBe(await syntheticSha256(5000));
    const part = await download(resultUrl, { Range: 'bytes=1000-1999' });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get('content-range')).toBe('bytes 1000-1999/5000');
    expect(part.body.equals(full.body.subarray(1000, 2000))).toBe(true);
    const tail = await download(resultUrl, { Range: 'bytes=-100' });
    expect(tail.body.equals(full.body.subarray(4900))).toBe(true);
    const bad = await download(resultUrl, { Range: 'bytes=6000-' });
    expect(bad.res.status).toBe(416);
    expect(bad.res.headers.get('content-range')).toBe('bytes */5000');
    const noRange = await startCvatServer({ rangeSupport: false });
    try {
      const t = await createTask(noRange);
      const syn = noRange.admin.addSyntheticResult(t, 3000);
      const r = await fetch(syn.resultUrl, {
        headers: { Authorization: `Bearer ${noRange.users.alice.token}`, Range: 'bytes=0-9' },
      });
      expect(r.status).toBe(200);
      expect((await r.arrayBuffer()).byteLength).toBe(3000);
      expect(r.headers.get('accept-ranges')).toBeNull();
    } finally {
      await noRange.close();
    }
  });

  it('streams a multi-hundred-MB synthetic result with flat memory', async () => {
    const size = 300 * 1024 * 1024 + 17;
    const { resultUrl } = s.admin.addSyntheticResult(taskId, size);
    const before = process.memoryUsage().rss;
    const res = await fetch(resultUrl, { headers: auth() });
    const hash = createHash('sha256');
    let n = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      n += chunk.length;
    }
    expect(n).toBe(size);
    expect(hash.digest('hex')).toBe(await syntheticSha256(size));
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('backups and imports', () => {
  it('backup export → TUS import with upload-id filename → identical task media and labels', async () => {
    const { rec } = await exportDone(`/api/tasks/${taskId}/backup/export?location=local`);
    expect(rec.id).toBe(
      `action=export&target=task&target_id=${taskId}&user_id=1&subresource=backup`,
    );
    expect(rec.result_url).toMatch(`/api/tasks/${taskId}/backup/download?rq_id=`);
    const { res, body } = await download(rec.result_url);
    expect(res.headers.get('content-disposition')).toMatch(
      /filename="task_export me_backup_\d{4}(_\d\d){5}\.zip"/,
    );
    const entries = Object.keys(unzipSync(new Uint8Array(body)));
    expect(entries).toEqual(
      expect.arrayContaining(['task.json', 'annotations.json', 'data/img_000.png']),
    );

    const start = await call(s, 'POST', '/api/tasks/backup/?org=acme', {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    expect(start.status).toBe(202);
    const created = await raw(`${s.url}/api/tasks/backup/`, {
      method: 'POST',
      headers: {
        ...auth(),
        'Upload-Length': body.length,
        'Upload-Metadata': tusMeta('backup.zip'),
        'Content-Length': 0,
      },
    });
    expect(created.status).toBe(201);
    const uploadId = String(created.headers['upload-filename']);
    expect(uploadId).toMatch(/^1_[0-9a-f-]{36}$/);
    const p = await raw(String(created.headers.location), {
      method: 'PATCH',
      headers: {
        ...auth(),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': 0,
        'Content-Length': body.length,
      },
      body,
    });
    expect(p.status).toBe(204);
    expect(
      (
        await call(s, 'POST', '/api/tasks/backup/?filename=backup.zip', {
          headers: { 'Upload-Finish': 'true' },
          body: {},
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call(s, 'POST', `/api/tasks/backup/?filename=${uploadId}`, {
          as: s.users.bob,
          headers: { 'Upload-Finish': 'true' },
          body: {},
        })
      ).status,
    ).toBe(400);
    const fin = await call(s, 'POST', `/api/tasks/backup/?org=acme&filename=${uploadId}`, {
      headers: { 'Upload-Finish': 'true' },
      body: {},
    });
    expect(fin.status).toBe(202);
    expect(fin.json().rq_id).toMatch(
      /^action=import&target=task&id=[0-9a-f-]{36}&subresource=backup$/,
    );
    const done = await waitRequest(s, fin.json().rq_id);
    expect(done.status).toBe('finished');
    const restored = (await call(s, 'GET', `/api/tasks/${done.result_id}`)).json();
    expect(restored).toMatchObject({
      name: 'Export Me',
      size: 3,
      organization_id: 1,
      segment_size: 2,
      jobs: { count: 2 },
    });
    expect(s.admin.taskFiles(done.result_id)).toEqual(s.admin.taskFiles(taskId));
    expect(
      (await call(s, 'GET', `/api/labels?task_id=${done.result_id}`))
        .json()
        .results.map((l: { name: string }) => l.name),
    ).toEqual(['car', 'person']);
  });

  it('single multipart task_file import and failures for broken archives', async () => {
    const { rec } = await exportDone(`/api/tasks/${taskId}/backup/export?location=local`);
    const { body } = await download(rec.result_url);
    const fd = new FormData();
    fd.append('task_file', new Blob([new Uint8Array(body)]), 'b.zip');
    const r = await call(s, 'POST', '/api/tasks/backup/', { form: fd });
    expect(r.status).toBe(202);
    expect((await waitRequest(s, r.json().rq_id)).status).toBe('finished');
    const junk = new FormData();
    junk.append('task_file', new Blob([new Uint8Array(Buffer.from('not a zip'))]), 'j.zip');
    const bad = await waitRequest(
      s,
      (await call(s, 'POST', '/api/tasks/backup/', { form: junk })).json().rq_id,
    );
    expect(bad.status).toBe('failed');
    expect(Date.parse(bad.expiry_date) - Date.parse(bad.finished_date)).toBe(30 * 86_400_000);
  });

  it('annotation import (CVAT 1.1 XML via TUS, COCO via multipart) changes what exports contain', async () => {
    const xml = `<?xml version="1.0"?><annotations><version>1.1</version>
      <image id="0" name="img_000.png" width="16" height="12"><box label="car" occluded="0" xtl="1" ytl="2" xbr="5" ybr="6"></box></image>
      <image id="2" name="img_002.png" width="18" height="12"><polygon label="person" points="1,1;4,1;4,4"></polygon></image></annotations>`;
    const base = `/api/tasks/${taskId}/annotations/`;
    expect(
      (await call(s, 'POST', base, { headers: { 'Upload-Start': 'true' }, body: {} })).status,
    ).toBe(202);
    const created = await raw(`${s.url}${base}`, {
      method: 'POST',
      headers: {
        ...auth(),
        'Upload-Length': Buffer.byteLength(xml),
        'Upload-Metadata': tusMeta('a.xml'),
        'Content-Length': 0,
      },
    });
    const uploadId = String(created.headers['upload-filename']);
    await raw(String(created.headers.location), {
      method: 'PATCH',
      headers: {
        ...auth(),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': 0,
        'Content-Length': Buffer.byteLength(xml),
      },
      body: xml,
    });
    expect(
      (
        await call(s, 'POST', `${base}?filename=${uploadId}`, {
          headers: { 'Upload-Finish': 'true' },
          body: {},
        })
      ).status,
    ).toBe(400);
    const fin = await call(s, 'POST', `${base}?format=CVAT%201.1&filename=${uploadId}`, {
      headers: { 'Upload-Finish': 'true' },
      body: {},
    });
    expect(fin.status).toBe(202);
    expect(fin.json().rq_id).toBe(
      `action=import&target=task&target_id=${taskId}&subresource=annotations`,
    );
    expect((await waitRequest(s, fin.json().rq_id)).status).toBe('finished');
    const ann = (await call(s, 'GET', base)).json();
    expect(ann.shapes.map((x: { type: string; frame: number }) => [x.type, x.frame])).toEqual([
      ['rectangle', 0],
      ['polygon', 2],
    ]);
    const { rec } = await exportDone(
      `/api/tasks/${taskId}/dataset/export?format=${encodeURIComponent('CVAT for images 1.1')}&location=local`,
    );
    const xmlOut = Buffer.from(
      unzipSync(new Uint8Array((await download(rec.result_url)).body))[
        'annotations.xml'
      ] as Uint8Array,
    ).toString();
    expect(xmlOut).toMatch(/<box label="car"[^>]*xtl="1.00" ytl="2.00" xbr="5.00" ybr="6.00"/);

    const coco = {
      images: [{ id: 1, file_name: 'img_001.png' }],
      categories: [{ id: 1, name: 'car' }],
      annotations: [{ image_id: 1, category_id: 1, bbox: [1, 1, 2, 2] }],
    };
    const fd = new FormData();
    fd.append('annotation_file', new Blob([JSON.stringify(coco)]), 'c.json');
    const imp = await call(s, 'POST', `${base}?format=COCO%201.0&import_mode=append`, { form: fd });
    expect(imp.status).toBe(202);
    expect((await waitRequest(s, imp.json().rq_id)).status).toBe('finished');
    expect((await call(s, 'GET', base)).json().shapes).toHaveLength(3);
    const wrongLabel = new FormData();
    wrongLabel.append(
      'annotation_file',
      new Blob([JSON.stringify({ ...coco, categories: [{ id: 1, name: 'tree' }] })]),
      'c.json',
    );
    const failed = await waitRequest(
      s,
      (await call(s, 'POST', `${base}?format=COCO%201.0`, { form: wrongLabel })).json().rq_id,
    );
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(/tree/);
  });

  it('annotation import: 400 without media, unknown format, 409 while one runs', async () => {
    const empty = await createTask(s);
    const fd = () => {
      const f = new FormData();
      f.append('annotation_file', new Blob(['<annotations></annotations>']), 'a.xml');
      return f;
    };
    expect(
      (await call(s, 'POST', `/api/tasks/${empty}/annotations/?format=CVAT%201.1`, { form: fd() }))
        .status,
    ).toBe(400);
    expect(
      (await call(s, 'POST', `/api/tasks/${taskId}/annotations/?format=Nope`, { form: fd() }))
        .status,
    ).toBe(400);
    const slow = await startCvatServer({ processingDelayMs: 300 });
    try {
      const id = await createTask(slow);
      await attachImages(slow, id, images(1));
      const first = await call(slow, 'POST', `/api/tasks/${id}/annotations/?format=CVAT%201.1`, {
        form: fd(),
      });
      expect(first.status).toBe(202);
      const second = await call(slow, 'POST', `/api/tasks/${id}/annotations/?format=CVAT%201.1`, {
        form: fd(),
      });
      expect(second.status).toBe(409);
      expect(second.json()).toEqual({ rq_id: first.json().rq_id });
    } finally {
      await slow.close();
    }
  });
});
