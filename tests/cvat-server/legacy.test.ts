// The test server's version switches for older CVAT releases (< 2.16, 2.16–2.31, < 2.48).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { call, createTask, form, images, useKeyAuth } from './test-helpers.js';

describe('CVAT < 2.16', () => {
  let s: CvatTestServer;
  beforeAll(async () => {
    s = useKeyAuth(await startCvatServer({ version: '2.15.0', processingDelayMs: 20 }));
  });
  afterAll(async () => s.close());

  const key = () => ({ Authorization: `Token ${s.users.alice.key}` });

  it('reports the version, has no /api/requests and no POST export endpoints', async () => {
    expect((await call(s, 'GET', '/api/server/about', { as: null })).json().version).toBe('2.15.0');
    expect((await call(s, 'GET', '/api/requests', { headers: key() })).status).toBe(404);
    const t = await createTask(s, {}, undefined);
    expect(
      (
        await call(s, 'POST', `/api/tasks/${t}/dataset/export?format=COCO%201.0`, {
          headers: key(),
        })
      ).status,
    ).toBe(404);
  });

  it('Upload-Finish echoes the options (202, no rq_id); /status reports progress with Deprecation', async () => {
    const t = await createTask(s);
    await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: { ...key(), 'Upload-Start': 'true' },
      body: {},
    });
    await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: { ...key(), 'Upload-Multiple': 'true' },
      // image_quality is required in every Upload-Multiple before 2.65 (DataSerializer).
      form: form(images(2), { image_quality: '75' }),
    });
    const fin = await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: { ...key(), 'Upload-Finish': 'true' },
      body: { image_quality: 75 },
    });
    expect(fin.status).toBe(202);
    expect(fin.json()).not.toHaveProperty('rq_id');
    expect(fin.json()).toMatchObject({ image_quality: 75, sorting_method: 'lexicographical' });
    let state = '';
    for (let i = 0; i < 100 && state !== 'Finished'; i++) {
      const st = await call(s, 'GET', `/api/tasks/${t}/status`, { headers: key() });
      expect(st.headers.get('deprecation')).toBe('true');
      state = st.json().state;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(state).toBe('Finished');
    expect((await call(s, 'GET', `/api/tasks/${t}`, { headers: key() })).json().size).toBe(2);
  });

  it('GET export flow: 202 while working, 201 when ready, then action=download 200', async () => {
    const t = await createTask(s);
    await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: key(),
      form: form(images(1), { image_quality: '70' }),
    });
    for (
      let i = 0;
      i < 100 && (await call(s, 'GET', `/api/tasks/${t}`, { headers: key() })).json().size === 0;
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    const url = `/api/tasks/${t}/dataset?format=${encodeURIComponent('CVAT for images 1.1')}`;
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await call(s, 'GET', url, { headers: key() });
      statuses.push(r.status);
      if (r.status === 201) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(statuses[0]).toBe(202);
    expect(statuses.at(-1)).toBe(201);
    const dl = await fetch(`${s.url}${url}&action=download`, { headers: key() });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/zip');
    const ann = await call(
      s,
      'GET',
      `/api/tasks/${t}/annotations?format=${encodeURIComponent('CVAT for images 1.1')}`,
      { headers: key() },
    );
    expect([201, 202]).toContain(ann.status);
  });

  it('imports are followed by repeating a request: backups POST {rq_id}, annotations PUT ?format=', async () => {
    const t = await createTask(s);
    await call(s, 'POST', `/api/tasks/${t}/data/`, {
      headers: key(),
      form: form(images(1), { image_quality: '70' }),
    });
    for (
      let i = 0;
      i < 100 && (await call(s, 'GET', `/api/tasks/${t}`, { headers: key() })).json().size === 0;
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    const backupUrl = `/api/tasks/${t}/backup`;
    for (
      let i = 0;
      i < 100 && (await call(s, 'GET', backupUrl, { headers: key() })).status !== 201;
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    const archive = Buffer.from(
      await (await fetch(`${s.url}${backupUrl}?action=download`, { headers: key() })).arrayBuffer(),
    );
    const fd = new FormData();
    fd.append('task_file', new Blob([new Uint8Array(archive)]), 'backup.zip');
    const started = await call(s, 'POST', '/api/tasks/backup/', { headers: key(), form: fd });
    expect(started.status).toBe(202);
    const rqId = started.json().rq_id as string;
    let poll = await call(s, 'POST', '/api/tasks/backup/', {
      headers: key(),
      body: { rq_id: rqId },
    });
    for (let i = 0; i < 100 && poll.status === 202; i++) {
      expect(poll.json()).toEqual({ rq_id: rqId });
      await new Promise((r) => setTimeout(r, 10));
      poll = await call(s, 'POST', '/api/tasks/backup/', { headers: key(), body: { rq_id: rqId } });
    }
    expect(poll.status).toBe(201);
    const restored = poll.json().id as number;
    expect(restored).not.toBe(t);
    // The finished job is deleted: asking again is a new upload without its file.
    const again = await call(s, 'POST', '/api/tasks/backup/', {
      headers: key(),
      body: { rq_id: rqId },
    });
    expect(again.status).toBe(400);
    expect(again.json()).toEqual({ task_file: ['No file was submitted.'] });

    const fmt = encodeURIComponent('CVAT for images 1.1');
    let exported = await call(s, 'GET', `/api/tasks/${t}/annotations?format=${fmt}`, {
      headers: key(),
    });
    for (let i = 0; i < 100 && exported.status !== 201; i++) {
      await new Promise((r) => setTimeout(r, 10));
      exported = await call(s, 'GET', `/api/tasks/${t}/annotations?format=${fmt}`, {
        headers: key(),
      });
    }
    const ann = await fetch(`${s.url}/api/tasks/${t}/annotations?format=${fmt}&action=download`, {
      headers: key(),
    });
    const af = new FormData();
    af.append('annotation_file', new Blob([new Uint8Array(await ann.arrayBuffer())]), 'a.zip');
    const imp = await call(s, 'POST', `/api/tasks/${t}/annotations?format=CVAT%201.1`, {
      headers: key(),
      form: af,
    });
    expect(imp.status).toBe(202);
    const put = () =>
      call(s, 'PUT', `/api/tasks/${t}/annotations?format=CVAT%201.1`, { headers: key() });
    let p = await put();
    for (let i = 0; i < 100 && p.status === 202; i++) {
      await new Promise((r) => setTimeout(r, 10));
      p = await put();
    }
    expect(p.status).toBe(201);
    expect((await put()).status).toBe(400);
  });

  it('Bearer PATs are unknown (credentials ignored → 401)', async () => {
    expect(
      (
        await call(s, 'GET', '/api/users/self', {
          headers: { Authorization: `Bearer ${s.users.alice.token}` },
        })
      ).status,
    ).toBe(401);
  });
});

describe('CVAT 2.20 (both export styles) and 2.40 (no PATs)', () => {
  it('2.20: result_url points to the old GET URL with action=download', async () => {
    const s = useKeyAuth(await startCvatServer({ version: '2.20.0', processingDelayMs: 10 }));
    try {
      const t = await createTask(s, {}, undefined);
      const r = await call(s, 'POST', `/api/tasks/${t}/data/`, {
        form: form(images(1), { image_quality: '70' }),
      });
      for (
        let i = 0;
        i < 100 &&
        (await call(s, 'GET', `/api/requests/${encodeURIComponent(r.json().rq_id)}`)).json()
          .status !== 'finished';
        i++
      )
        await new Promise((res) => setTimeout(res, 10));
      const e = await call(
        s,
        'POST',
        `/api/tasks/${t}/dataset/export?format=COCO%201.0&location=local`,
      );
      let rec = (
        await call(s, 'GET', `/api/requests/${encodeURIComponent(e.json().rq_id)}`)
      ).json();
      for (let i = 0; i < 100 && rec.status !== 'finished'; i++) {
        await new Promise((res) => setTimeout(res, 10));
        rec = (await call(s, 'GET', `/api/requests/${encodeURIComponent(e.json().rq_id)}`)).json();
      }
      expect(rec.result_url).toBe(
        `${s.url}/api/tasks/${t}/annotations?format=COCO+1.0&action=download`,
      );
      const dl = await fetch(rec.result_url, {
        headers: { Authorization: `Token ${s.users.alice.key}` },
      });
      expect(dl.status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('2.73: old GET export URLs answer 410', async () => {
    const s = await startCvatServer();
    try {
      const t = await createTask(s);
      const r = await call(s, 'GET', `/api/tasks/${t}/annotations?format=COCO%201.0`);
      expect(r.status).toBe(410);
    } finally {
      await s.close();
    }
  });

  it('2.40: Bearer is not an authentication scheme, Token and Basic work', async () => {
    const s = await startCvatServer({ version: '2.40.0' });
    try {
      expect((await call(s, 'GET', '/api/users/self')).status).toBe(401);
      expect(
        (
          await call(s, 'GET', '/api/users/self', {
            headers: { Authorization: `Token ${s.users.alice.key}` },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await call(s, 'GET', '/api/users/self', {
            headers: {
              Authorization: `Basic ${Buffer.from('alice:alice-pass').toString('base64')}`,
            },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await call(s, 'POST', '/api/auth/access_tokens', {
            headers: { Authorization: `Token ${s.users.alice.key}` },
            body: { name: 'x' },
          })
        ).status,
      ).toBe(404);
    } finally {
      await s.close();
    }
  });
});
