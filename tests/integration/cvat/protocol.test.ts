// What the client sends and how it reads CVAT's answers where releases differ or where CVAT
// (Django) encodes things: image_quality in Upload-Multiple, MIME-encoded Upload-Filename,
// 500 for gone uploads on 2.39-2.54, the 100 MiB chunk cap before 2.55, location=local on
// imports, use_cache at Upload-Finish, and result_url on another origin.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomMp4, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { CvatAuth, UploadFile } from '../../../main/cvat/api.js';
import type { CvatClient } from '../../../main/cvat/client.js';
import type { SyncError } from '../../../main/core/errors.js';
import { runDoctor } from '../../../main/cvat/doctor.js';
import { LABELS, collect, makeClient, sha256, tempDir, writePng } from './helpers.js';
import { recordingProxy } from './recording-proxy.js';

const MiB = 1024 * 1024;
let dir: string;
let cleanup: () => Promise<void>;
const servers: CvatTestServer[] = [];
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await cleanup();
});

async function serverAt(version: string): Promise<CvatTestServer> {
  const s = await startCvatServer({ version, processingDelayMs: 10, seed: 7 });
  servers.push(s);
  return s;
}

/** PATs from 2.48; older servers get the login key. */
function authFor(s: CvatTestServer, version: string): CvatAuth {
  return Number(version.split('.')[1]) >= 48
    ? { kind: 'token', token: s.users.alice.token }
    : { kind: 'key', key: s.users.alice.key };
}

async function writeBytes(name: string, bytes: Buffer): Promise<UploadFile & { sha256: string }> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, name, size: bytes.length, sha256: sha256(bytes) };
}

async function startedTask(client: CvatClient, name = 'protocol'): Promise<number> {
  const task = await client.createTask({ name, labels: LABELS });
  await client.uploadStart(task.id);
  return task.id;
}

/** Names outside Latin-1 arrive as =?utf-8?b?…?= or =?utf-8?q?…?=; NFD stays NFD. */
const NAMES = [
  '夜间录像-Запись.mp4',
  'Запись с камеры.mp4',
  '🎥 clip 🚗.mp4',
  'cafe\u0301 Ёлка\u0308.mp4'.normalize('NFD'),
  'caf\u00e9.mp4', // NFC é is Latin-1: sent as is
  'a long ascii name with one € sign.mp4', // quoted-printable is the shorter form
];

describe('Upload-Multiple carries image_quality', () => {
  it.each(['2.50.0', '2.73.0'])('CVAT %s: a bulk upload is accepted and processed', async (v) => {
    const s = await serverAt(v);
    const client = makeClient(s.url, authFor(s, v));
    const t = await startedTask(client);
    const files = await Promise.all([1, 2].map((i) => writePng(dir, `b_${i}.png`, 2000 + i)));
    await client.uploadMultiple(t, files, { imageQuality: 55 });
    const rq = await client.uploadFinish(t, { image_quality: 55 });
    const r = await client.waitForRequest(rq!, { minDelayMs: 10, maxDelayMs: 50 });
    expect(r?.status).toBe('finished');
    expect((await client.getTask(t)).size).toBe(2);
  });

  it('the multipart body has the image_quality field (70 unless told)', async () => {
    const s = await serverAt('2.50.0');
    const proxy = await recordingProxy(s.url);
    closers.push(proxy.close);
    const client = makeClient(proxy.url, authFor(s, '2.50.0'));
    const t = await startedTask(client);
    await client.uploadMultiple(t, [await writePng(dir, 'q.png', 1500)]);
    const sent = proxy.seen.find((r) => r.headers['upload-multiple'] !== undefined);
    expect(sent?.body.toString('latin1')).toMatch(
      /Content-Disposition: form-data; name="image_quality"\r\n\r\n70\r\n/,
    );
  });
});

describe('Upload-Filename is decoded before it is compared', () => {
  it.each(['2.35.0', '2.73.0'])('CVAT %s: TUS names come back exactly as sent', async (v) => {
    const s = await serverAt(v);
    const client = makeClient(s.url, authFor(s, v));
    for (const name of NAMES) {
      const t = await startedTask(client, `tus ${name}`);
      const f = await writeBytes(name, randomBytes(3000));
      const created: string[] = [];
      const result = await client.tusUpload({
        target: { kind: 'task-data', taskId: t },
        file: f,
        chunkSize: 1024,
        onCreated: (_loc, uploaded) => void created.push(uploaded),
      });
      expect(created).toEqual([name]);
      expect(result.uploadFilename).toBe(name);
      expect(s.admin.taskFiles(t)).toEqual([{ name, size: 3000, sha256: f.sha256 }]);
    }
  });

  it('bulk requests keep the names byte for byte', async () => {
    const s = await serverAt('2.73.0');
    const client = makeClient(s.url, authFor(s, '2.73.0'));
    const t = await startedTask(client);
    const files = await Promise.all(
      NAMES.map((n, i) => writePng(dir, n.replace(/\.mp4$/, '.png'), 1200 + i)),
    );
    await client.uploadMultiple(t, files);
    expect(
      s.admin
        .taskFiles(t)
        .map((f) => f.name)
        .sort(),
    ).toEqual(files.map((f) => f.name).sort());
  });
});

describe('CVAT 2.39-2.54: 500 for a finished upload', () => {
  it.each([
    ['2.50.0', 500],
    ['2.73.0', 404],
  ])(
    'CVAT %s: resuming a finished upload is "resume lost" after one HEAD (%i)',
    async (v, status) => {
      const s = await serverAt(v);
      const client = makeClient(s.url, authFor(s, v));
      const t = await startedTask(client);
      const f = await writeBytes('finished.mp4', randomMp4(5000, randomBytes));
      const first = await client.tusUpload({
        target: { kind: 'task-data', taskId: t },
        file: f,
        chunkSize: 2048,
      });
      const heads = () => s.faults.stats().log.filter((l) => l.method === 'HEAD').length;
      const before = heads();
      const err = (await client
        .tusUpload({
          target: { kind: 'task-data', taskId: t },
          file: f,
          chunkSize: 2048,
          resumeUrl: first.location,
          uploadFilename: first.uploadFilename,
        })
        .catch((e: unknown) => e)) as SyncError;
      expect(err).toMatchObject({ code: 'tus-resume-lost', status });
      expect(heads() - before).toBe(1);
    },
  );
});

describe('a HEAD that keeps failing', () => {
  it('CVAT 2.73: a 503 on every HEAD ends as that 503, transient, after the retries', async () => {
    const s = await serverAt('2.73.0');
    const client = makeClient(s.url, authFor(s, '2.73.0'));
    const t = await startedTask(client);
    const f = await writeBytes('busy.mp4', randomMp4(6000, randomBytes));
    const abort = new AbortController();
    let location = '';
    await client
      .tusUpload({
        target: { kind: 'task-data', taskId: t },
        file: f,
        chunkSize: 2048,
        signal: abort.signal,
        onCreated: (l) => void (location = l),
        onOffset: () => abort.abort(),
      })
      .catch(() => undefined);
    s.faults.failNext({ kind: 'status', status: 503, method: 'HEAD', times: 20 });
    const err = (await client
      .tusUpload({
        target: { kind: 'task-data', taskId: t },
        file: f,
        chunkSize: 2048,
        resumeUrl: location,
      })
      .catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({ status: 503, kind: 'transient' });
  });
});

describe('before 2.55 TUS chunks are capped at 100 MiB', () => {
  it.each([
    ['2.50.0', 2],
    ['2.73.0', 1],
  ])(
    'CVAT %s: a 100 MiB + 4 KiB file with a 200 MiB chunk size goes in %i PATCH(es)',
    async (v, patches) => {
      const s = await serverAt(v);
      const client = makeClient(s.url, authFor(s, v));
      const t = await startedTask(client);
      const path = join(dir, 'sparse.mp4');
      const size = 100 * MiB + 4096;
      const fh = await open(path, 'w');
      await fh.truncate(size);
      await fh.close();
      await client.tusUpload({
        target: { kind: 'task-data', taskId: t },
        file: { path, name: 'sparse.mp4', size },
        chunkSize: 200 * MiB,
      });
      const sent = s.faults
        .stats()
        .log.filter((l) => l.method === 'PATCH')
        .map((l) => l.bytesIn);
      expect(sent.length).toBe(patches);
      expect(sent.reduce((a, b) => a + b, 0)).toBe(size);
      if (v === '2.50.0') expect(Math.max(...sent)).toBe(100 * MiB);
      expect(s.admin.taskFiles(t)[0]?.size).toBe(size);
    },
    60_000,
  );
});

describe('the doctor reports the chunk cap', () => {
  it.each([
    ['2.50.0', true],
    ['2.73.0', false],
  ])('CVAT %s: chunk-limit finding present: %s', async (v, present) => {
    const s = await serverAt(v);
    const findings = await runDoctor({
      server: s.url,
      auth: authFor(s, v),
      chunkBytes: 200 * MiB,
      sizeProbeWaitMs: 200,
    });
    const cap = findings.find((f) => f.id === 'chunk-limit');
    if (!present) {
      expect(cap).toBeUndefined();
      return;
    }
    expect(cap?.status).toBe('ok');
    expect(cap?.detail).toContain('chunks are capped at 100 MiB instead of the configured 200 MiB');
  });
});

describe('what goes with the request', () => {
  let s: CvatTestServer;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let client: CvatClient;
  beforeAll(async () => {
    s = await startCvatServer({ processingDelayMs: 10, seed: 8 });
    proxy = await recordingProxy(s.url);
    client = makeClient(proxy.url, { kind: 'token', token: s.users.alice.token });
  });
  afterAll(async () => {
    await proxy.close();
    await s.close();
  });

  async function taskWithMedia(data: Parameters<CvatClient['uploadFinish']>[1]): Promise<number> {
    const t = await startedTask(client);
    await client.uploadMultiple(t, [await writePng(dir, 'm.png', 1800)]);
    const rq = await client.uploadFinish(t, data);
    expect((await client.waitForRequest(rq!, { minDelayMs: 10 }))?.status).toBe('finished');
    return t;
  }

  function finishBody(t: number): unknown {
    const r = proxy.seen.find(
      (x) => x.url.startsWith(`/api/tasks/${t}/data`) && x.headers['upload-finish'] !== undefined,
    );
    return JSON.parse(r?.body.toString() ?? 'null');
  }

  it('Upload-Finish sends use_cache: true unless told otherwise (as the web UI)', async () => {
    const t = await taskWithMedia({ image_quality: 70 });
    expect(finishBody(t)).toEqual({ image_quality: 70, use_cache: true });
    const off = await taskWithMedia({ image_quality: 70, use_cache: false });
    expect(finishBody(off)).toEqual({ image_quality: 70, use_cache: false });
  });

  it('annotation import sends location=local on Upload-Start and Upload-Finish', async () => {
    const t = await taskWithMedia({ image_quality: 70 });
    const rq = await client.exportDataset({ kind: 'task', id: t }, 'CVAT for images 1.1', false);
    const done = await client.waitForRequest(rq, { minDelayMs: 10 });
    const bytes = await collect((await client.download(done!.result_url!)).body);
    const path = join(dir, 'ann.zip');
    await writeFile(path, bytes);
    const importRq = await client.importAnnotations(
      t,
      { path, name: 'ann.zip', size: bytes.length },
      'CVAT 1.1',
      'replace',
      { chunkSize: 64 * 1024 },
    );
    expect((await client.waitForRequest(importRq, { minDelayMs: 10 }))?.status).toBe('finished');
    const steps = proxy.seen.filter(
      (x) =>
        x.method === 'POST' &&
        x.url.startsWith(`/api/tasks/${t}/annotations`) &&
        (x.headers['upload-start'] !== undefined || x.headers['upload-finish'] !== undefined),
    );
    expect(steps.length).toBe(2);
    for (const x of steps)
      expect(new URL(x.url, 'http://x').searchParams.get('location')).toBe('local');
  });
});

describe('result_url on another origin', () => {
  it('is fetched from the configured server; the other origin gets no request and no credentials', async () => {
    const s = await serverAt('2.73.0');
    const elsewhere: Array<{ url: string; auth: IncomingHttpHeaders['authorization'] }> = [];
    const other = createServer((req, res) => {
      elsewhere.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => other.close(() => r())));
    const otherHost = `127.0.0.1:${(other.address() as AddressInfo).port}`;
    // A proxy that tells CVAT another public host: CVAT builds result_url with it.
    const proxy = await recordingProxy(s.url, { 'X-Forwarded-Host': otherHost });
    closers.push(proxy.close);
    const direct = makeClient(s.url, { kind: 'token', token: s.users.alice.token });
    const t = await startedTask(direct);
    const img = await writePng(dir, 'r.png', 2500);
    await direct.uploadMultiple(t, [img]);
    await direct.waitForRequest((await direct.uploadFinish(t, { image_quality: 70 }))!, {
      minDelayMs: 10,
    });

    const viaProxy = makeClient(proxy.url, { kind: 'token', token: s.users.alice.token });
    const rq = await viaProxy.exportDataset({ kind: 'task', id: t }, 'CVAT for images 1.1', true);
    const done = await viaProxy.waitForRequest(rq, { minDelayMs: 10 });
    const resultUrl = done!.result_url!;
    expect(new URL(resultUrl).host).toBe(otherHost);
    const got = await viaProxy.download(resultUrl);
    const bytes = await collect(got.body);
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    const fetched = proxy.seen.filter((x) => x.url.includes('/dataset/download'));
    expect(fetched.map((x) => x.url)).toEqual([
      new URL(resultUrl).pathname + new URL(resultUrl).search,
    ]);
    expect(fetched[0]?.headers.authorization).toBe(`Bearer ${s.users.alice.token}`);
    expect(elsewhere).toEqual([]);

    const findings = await runDoctor({
      server: proxy.url,
      auth: { kind: 'token', token: s.users.alice.token },
      sizeProbeWaitMs: 200,
    });
    const rewrite = findings.find((f) => f.id === 'result-host');
    expect(rewrite?.status).toBe('warn');
    expect(rewrite?.detail).toContain(`http://${otherHost}`);
    expect(rewrite?.detail).toContain('host rewrite');
    expect(elsewhere).toEqual([]);
    const plain = await runDoctor({
      server: s.url,
      auth: { kind: 'token', token: s.users.alice.token },
      sizeProbeWaitMs: 200,
    });
    expect(plain.find((f) => f.id === 'result-host')?.status).toBe('ok');
  });
});
