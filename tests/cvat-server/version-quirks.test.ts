// CVAT facts that differ by release, and Django's header encoding (MIME-encoded Upload-Filename).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { djangoHeaderValue } from './django-header.js';
import { call, createTask, form, images, raw, tusMeta, useKeyAuth } from './test-helpers.js';

const MiB = 1024 * 1024;

async function serverAt(version: string): Promise<CvatTestServer> {
  const s = await startCvatServer({ version, processingDelayMs: 10 });
  // No PATs before 2.48: helper calls use the login key.
  return Number(version.split('.')[1]) < 48 ? useKeyAuth(s) : s;
}

function authOf(s: CvatTestServer): Record<string, string> {
  return { Authorization: `Bearer ${s.users.alice.token}` };
}

async function startedTask(s: CvatTestServer): Promise<number> {
  const t = await createTask(s);
  await call(s, 'POST', `/api/tasks/${t}/data/`, { headers: { 'Upload-Start': 'true' }, body: {} });
  return t;
}

async function tusCreate(s: CvatTestServer, t: number, name: string, length: number) {
  return raw(`${s.url}/api/tasks/${t}/data/`, {
    method: 'POST',
    headers: {
      ...authOf(s),
      'Tus-Resumable': '1.0.0',
      'Upload-Length': length,
      'Upload-Metadata': tusMeta(name),
      'Content-Length': 0,
    },
  });
}

describe('Django header values (django/http/response.py)', () => {
  it('keeps Latin-1 as is and MIME-encodes anything else, b or q, whichever is shorter', () => {
    // Expected values produced by Python: Header(v, "utf-8", maxlinelen=sys.maxsize).encode()
    expect(djangoHeaderValue('day1.mp4')).toBe('day1.mp4');
    expect(djangoHeaderValue('café.mp4')).toBe('café.mp4');
    expect(djangoHeaderValue('夜间录像-Запись.mp4')).toBe(
      '=?utf-8?b?5aSc6Ze05b2V5YOPLdCX0LDQv9C40YHRjC5tcDQ=?=',
    );
    expect(djangoHeaderValue('🎥 clip.mp4')).toBe('=?utf-8?b?8J+OpSBjbGlwLm1wNA==?=');
    expect(djangoHeaderValue('cafe\u0301-u\u0308.mp4')).toBe('=?utf-8?b?Y2FmZcyBLXXMiC5tcDQ=?=');
    expect(djangoHeaderValue('a long ascii name with one € sign.mp4')).toBe(
      '=?utf-8?q?a_long_ascii_name_with_one_=E2=82=AC_sign=2Emp4?=',
    );
  });
});

describe.each(['2.50.0', '2.73.0'])('CVAT %s', (version) => {
  let s: CvatTestServer;
  beforeAll(async () => {
    s = await startCvatServer({ version, processingDelayMs: 10 });
  });
  afterAll(async () => s.close());
  const old = version === '2.50.0';

  it(`Upload-Multiple without image_quality: ${old ? '400 (required before 2.65)' : '200'}`, async () => {
    const t = await startedTask(s);
    const without = await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: { 'Upload-Multiple': 'true' },
      form: form(images(1)),
    });
    if (old) {
      expect(without.status).toBe(400);
      expect(without.json()).toEqual({ image_quality: ['This field is required.'] });
      expect(s.admin.taskFiles(t)).toEqual([]);
    } else {
      expect(without.status).toBe(200);
    }
    const withIt = await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: { 'Upload-Multiple': 'true' },
      form: form(images(1, 'other_'), { image_quality: '70' }),
    });
    expect(withIt.status).toBe(200);
  });

  it('TUS creation answers Upload-Filename the way Django writes it', async () => {
    const t = await startedTask(s);
    const name = '夜间录像-Запись.mp4';
    const r = await tusCreate(s, t, name, 10);
    expect(r.status).toBe(201);
    // node:http reads header bytes as Latin-1: the value is the encoded word itself.
    expect(r.headers['upload-filename']).toBe(
      '=?utf-8?b?5aSc6Ze05b2V5YOPLdCX0LDQv9C40YHRjC5tcDQ=?=',
    );
    const latin = await tusCreate(s, t, 'café.mp4', 10);
    expect(Buffer.from(String(latin.headers['upload-filename']), 'latin1')).toEqual(
      Buffer.from('café.mp4', 'latin1'),
    );
  });

  it(`HEAD/PATCH on a finished or unknown upload: ${old ? '500' : '404'}`, async () => {
    const t = await startedTask(s);
    const created = await tusCreate(s, t, 'done.mp4', 4);
    const location = String(created.headers.location);
    const patch = (body: Buffer) =>
      raw(location, {
        method: 'PATCH',
        headers: {
          ...authOf(s),
          'Tus-Resumable': '1.0.0',
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': 0,
          'Content-Length': body.length,
        },
        body,
      });
    expect((await patch(Buffer.from('abcd'))).status).toBe(204);
    const gone = old ? 500 : 404;
    const head = await raw(location, {
      method: 'HEAD',
      headers: { ...authOf(s), 'Tus-Resumable': '1.0.0' },
    });
    expect(head.status).toBe(gone);
    expect((await patch(Buffer.from('abcd'))).status).toBe(gone);
    const unknown = location.replace(/[0-9a-f]{12}$/, '000000000000');
    expect((await raw(unknown, { method: 'HEAD', headers: authOf(s) })).status).toBe(gone);
  });

  it(`a PATCH body over 100 MiB: ${old ? '400 (read into memory before 2.55)' : 'accepted'}`, async () => {
    const t = await startedTask(s);
    const size = 100 * MiB + 1;
    const created = await tusCreate(s, t, 'big.mp4', size);
    const r = await raw(String(created.headers.location), {
      method: 'PATCH',
      headers: {
        ...authOf(s),
        'Tus-Resumable': '1.0.0',
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': 0,
        'Content-Length': size,
      },
      body: Buffer.alloc(size),
    });
    expect(r.status).toBe(old ? 400 : 204);
    if (old) expect(r.body.toString()).toBe('<h1>Bad Request (400)</h1>');
  });
});

describe('CVAT 2.35 (before 2.39) echoes Upload-Filename on PATCH, encoded as well', () => {
  let s: CvatTestServer;
  beforeAll(async () => {
    s = await serverAt('2.35.0');
  });
  afterAll(async () => s.close());

  it('PATCH answer names the file the Django way', async () => {
    const t = await createTask(s);
    const key = { Authorization: `Token ${s.users.alice.key}` };
    await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    const created = await raw(`${s.url}/api/tasks/${t}/data/`, {
      method: 'POST',
      headers: {
        ...key,
        'Tus-Resumable': '1.0.0',
        'Upload-Length': 3,
        'Upload-Metadata': tusMeta('видео.mp4'),
      },
    });
    const r = await raw(String(created.headers.location), {
      method: 'PATCH',
      headers: {
        ...key,
        'Tus-Resumable': '1.0.0',
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': 0,
        'Content-Length': 3,
      },
      body: Buffer.from('abc'),
    });
    expect(r.status).toBe(204);
    expect(r.headers['upload-filename']).toBe('=?utf-8?b?0LLQuNC00LXQvi5tcDQ=?=');
  });
});
