// Server info, login/logout/keys/cookies, the four auth schemes, 401 header, PATs,
// Accept negotiation (406), content types (415) and organization context rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { call, createTask, raw } from './test-helpers.js';

let s: CvatTestServer;
beforeAll(async () => {
  s = await startCvatServer({ processingDelayMs: 20 });
});
afterAll(async () => s.close());

describe('server info and authentication', () => {
  it('serves /api/server/about without auth, labelled application/vnd.cvat+json', async () => {
    const r = await call(s, 'GET', '/api/server/about', { as: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.cvat+json');
    expect(r.json()).toMatchObject({ version: '2.80.0', logo_url: `${s.url}/static/logo.svg` });
    expect(Object.keys(r.json()).sort()).toEqual([
      'description',
      'logo_url',
      'name',
      'subtitle',
      'version',
    ]);
  });

  it('answers 401 with WWW-Authenticate: Token without credentials', async () => {
    const r = await call(s, 'GET', '/api/users/self', { as: null });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Token');
    expect(r.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('rejects bad Token, Bearer and Basic credentials with 401, even on public endpoints', async () => {
    for (const auth of [
      'Token 0000000000000000000000000000000000000000',
      'Bearer nope',
      `Basic ${Buffer.from('alice:wrong').toString('base64')}`,
    ]) {
      const r = await call(s, 'GET', '/api/server/about', { headers: { Authorization: auth } });
      expect(r.status, auth).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Token');
      expect(typeof r.json().detail).toBe('string');
    }
  });

  it('accepts Token (login key), Bearer (PAT) and Basic', async () => {
    const { alice } = s.users;
    for (const auth of [
      `Token ${alice.key}`,
      `Bearer ${alice.token}`,
      `Basic ${Buffer.from(`alice:${alice.password}`).toString('base64')}`,
    ]) {
      const r = await call(s, 'GET', '/api/users/self', { headers: { Authorization: auth } });
      expect(r.status, auth).toBe(200);
      expect(Object.keys(r.json()).sort()).toEqual(
        [
          'url',
          'id',
          'username',
          'first_name',
          'last_name',
          'email',
          'groups',
          'is_staff',
          'is_superuser',
          'is_active',
          'last_login',
          'date_joined',
          'has_analytics_access',
          // 2.80 (the default version; cvat-sdk 2.80 model user.py) adds the onboarding fields.
          'cvat_usage_reason',
          'primary_role',
          'planned_activities',
          'data_types',
          'discovery_source',
          'email_verified',
          'created_via',
        ].sort(),
      );
      expect(r.json().username).toBe('alice');
    }
  });

  it('logs in by username or email with a stable 40-hex key and session cookies', async () => {
    const a = await call(s, 'POST', '/api/auth/login', {
      as: null,
      body: { username: 'bob', password: 'bob-pass' },
    });
    expect(a.status).toBe(200);
    expect(a.json().key).toMatch(/^[0-9a-f]{40}$/);
    const cookies = a.headers.getSetCookie().join('\n');
    expect(cookies).toMatch(/csrftoken=/);
    expect(cookies).toMatch(/sessionid=/);
    const b = await call(s, 'POST', '/api/auth/login', {
      as: null,
      body: { email: 'bob@example.com', password: 'bob-pass' },
    });
    expect(b.json().key).toBe(a.json().key);
  });

  it('wrong credentials give 400 with non_field_errors', async () => {
    const r = await call(s, 'POST', '/api/auth/login', {
      as: null,
      body: { username: 'bob', password: 'x' },
    });
    expect(r.status).toBe(400);
    expect(Array.isArray(r.json().non_field_errors)).toBe(true);
  });

  it('logout destroys the legacy key for all clients', async () => {
    const user = s.admin.createUser('carol');
    const login = await call(s, 'POST', '/api/auth/login', {
      as: null,
      body: { username: 'carol', password: user.password },
    });
    const key = login.json().key as string;
    expect(
      (await call(s, 'GET', '/api/users/self', { headers: { Authorization: `Token ${key}` } }))
        .status,
    ).toBe(200);
    const out = await call(s, 'POST', '/api/auth/logout', {
      headers: { Authorization: `Token ${key}` },
    });
    expect(out.status).toBe(200);
    expect(out.json()).toHaveProperty('detail');
    expect(
      (await call(s, 'GET', '/api/users/self', { headers: { Authorization: `Token ${key}` } }))
        .status,
    ).toBe(401);
    const again = await call(s, 'POST', '/api/auth/login', {
      as: null,
      body: { username: 'carol', password: user.password },
    });
    expect(again.json().key).not.toBe(key);
  });

  it('session cookies work; unsafe methods need a matching X-CSRFToken', async () => {
    const login = await call(s, 'POST', '/api/auth/login', {
      as: null,
      body: { username: 'alice', password: 'alice-pass' },
    });
    const jar = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /csrftoken=([^;]+)/.exec(jar)?.[1] ?? '';
    expect(
      (await call(s, 'GET', '/api/users/self', { as: null, headers: { Cookie: jar } })).status,
    ).toBe(200);
    const body = { name: 'via session', labels: [{ name: 'a' }] };
    const noCsrf = await call(s, 'POST', '/api/tasks', {
      as: null,
      headers: { Cookie: jar },
      body,
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json().detail).toMatch(/CSRF/);
    const badOrigin = await call(s, 'POST', '/api/tasks', {
      as: null,
      headers: { Cookie: jar, 'X-CSRFToken': csrf, Origin: 'http://evil.example' },
      body,
    });
    expect(badOrigin.status).toBe(403);
    const ok = await call(s, 'POST', '/api/tasks', {
      as: null,
      headers: { Cookie: jar, 'X-CSRFToken': csrf, Origin: s.url },
      body,
    });
    expect(ok.status).toBe(201);
  });

  it('PATs: create, self, read-only refused on unsafe methods but allowed for local exports', async () => {
    const created = await call(s, 'POST', '/api/auth/access_tokens', {
      body: { name: 'ro', expiry_date: null, read_only: true },
    });
    expect(created.status).toBe(201);
    const ro = created.json();
    expect(ro.value).toBeTruthy();
    const self = await call(s, 'GET', '/api/auth/access_tokens/self', {
      headers: { Authorization: `Bearer ${ro.value}` },
    });
    expect(self.status).toBe(200);
    expect(Object.keys(self.json()).sort()).toEqual([
      'created_date',
      'expiry_date',
      'id',
      'last_used_date',
      'name',
      'owner',
      'read_only',
      'updated_date',
    ]);
    const headers = { Authorization: `Bearer ${ro.value}` };
    expect((await call(s, 'GET', '/api/tasks', { headers })).status).toBe(200);
    const denied = await call(s, 'POST', '/api/tasks', {
      headers,
      body: { name: 'x', labels: [{ name: 'a' }] },
    });
    expect(denied.status).toBe(403);
    const taskId = await createTask(s);
    const exp = await call(
      s,
      'POST',
      `/api/tasks/${taskId}/dataset/export?format=CVAT%20for%20images%201.1&location=local`,
      { headers },
    );
    expect(exp.status).not.toBe(403); // 400 here (no media), but not refused for being read-only
    const expired = await call(s, 'POST', '/api/auth/access_tokens', {
      body: { name: 'short', expiry_date: new Date(Date.now() + 60_000).toISOString() },
    });
    s.admin.advanceTime(120_000);
    expect(
      (
        await call(s, 'GET', '/api/users/self', {
          headers: { Authorization: `Bearer ${expired.json().value}` },
        })
      ).status,
    ).toBe(401);
  });

  it('revokeToken makes a PAT fail with 401', async () => {
    const u = s.admin.createUser('dave');
    expect((await call(s, 'GET', '/api/users/self', { as: u })).status).toBe(200);
    s.admin.revokeToken(u.token);
    expect((await call(s, 'GET', '/api/users/self', { as: u })).status).toBe(401);
  });
});

describe('content negotiation and body types', () => {
  it('406 when Accept allows only application/json, before authentication', async () => {
    for (const as of [s.users.alice, null]) {
      const r = await call(s, 'GET', '/api/users/self', {
        as,
        headers: { Accept: 'application/json' },
      });
      expect(r.status).toBe(406);
      expect(r.json()).toHaveProperty('detail');
    }
  });

  it('accepts vnd.cvat+json (with version=2.0), */* and no Accept at all', async () => {
    for (const accept of [
      'application/vnd.cvat+json',
      'application/vnd.cvat+json; version=2.0',
      '*/*',
      'application/json, */*;q=0.8',
    ]) {
      expect(
        (await call(s, 'GET', '/api/users/self', { headers: { Accept: accept } })).status,
        accept,
      ).toBe(200);
    }
    const r = await raw(`${s.url}/api/users/self`, {
      headers: { Authorization: `Bearer ${s.users.alice.token}` },
    });
    expect(r.status).toBe(200);
  });

  it('415 for url-encoded bodies; 400 detail for broken JSON', async () => {
    const r = await raw(`${s.url}/api/tasks`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${s.users.alice.token}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': 6,
      },
      body: 'name=x',
    });
    expect(r.status).toBe(415);
    expect(JSON.parse(r.body.toString()).detail).toMatch(/Unsupported media type/);
    const bad = await call(s, 'POST', '/api/tasks', {
      headers: { 'Content-Type': 'application/json' },
      body: undefined,
      form: undefined,
    });
    expect(bad.status).toBe(400);
    const broken = await raw(`${s.url}/api/tasks`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${s.users.alice.token}`,
        'Content-Type': 'application/json',
        'Content-Length': 5,
      },
      body: '{"a":',
    });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body.toString()).detail).toMatch(/JSON parse error/);
  });

  it('unknown routes are Django 404 HTML; wrong methods 405 detail', async () => {
    const r = await call(s, 'GET', '/api/nothing-here');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    const m = await call(s, 'PUT', '/api/tasks');
    expect(m.status).toBe(405);
    expect(m.json().detail).toMatch(/not allowed/);
  });
});

describe('organizations', () => {
  it('lists the caller organizations and memberships', async () => {
    const orgs = await call(s, 'GET', '/api/organizations');
    expect(orgs.json().results.map((o: { slug: string }) => o.slug)).toEqual(['acme']);
    expect((await call(s, 'GET', '/api/organizations', { as: s.users.bob })).json().count).toBe(0);
    const mem = await call(s, 'GET', '/api/memberships?org=acme');
    expect(mem.json().results[0]).toMatchObject({ role: 'owner', user: { username: 'alice' } });
  });

  it('creates land in the chosen workspace; lists filter by it', async () => {
    const personal = await createTask(s, { name: 'org-personal' });
    const inOrg = await createTask(s, { name: 'org-acme' }, undefined, '?org=acme');
    const viaHeader = await call(s, 'POST', '/api/tasks', {
      headers: { 'X-Organization': 'acme' },
      body: { name: 'org-hdr', labels: [{ name: 'a' }] },
    });
    expect(viaHeader.json().organization_id).toBe(1);
    const ids = async (q: string, headers: Record<string, string> = {}) =>
      (await call(s, 'GET', `/api/tasks?page_size=all&search=org-${q}`, { headers }))
        .json()
        .results.map((t: { id: number }) => t.id);
    expect(await ids('&org=acme')).toContain(inOrg);
    expect(await ids('&org=acme')).not.toContain(personal);
    expect(await ids('&org=')).toEqual([personal]);
    expect(await ids('', { 'X-Organization': '' })).toEqual([personal]);
    expect(await ids('&org_id=1')).toContain(inOrg);
    expect(await ids('')).toEqual(expect.arrayContaining([personal, inOrg]));
  });

  it('conflicting or unknown organizations are rejected', async () => {
    expect((await call(s, 'GET', '/api/tasks?org_id=1&org=acme')).status).toBe(400);
    expect(
      (await call(s, 'GET', '/api/tasks?org_id=1', { headers: { 'X-Organization': 'acme' } }))
        .status,
    ).toBe(400);
    expect(
      (await call(s, 'GET', '/api/tasks?org=other', { headers: { 'X-Organization': 'acme' } }))
        .status,
    ).toBe(400);
    expect(
      (await call(s, 'GET', '/api/tasks?org=acme', { headers: { 'X-Organization': 'acme' } }))
        .status,
    ).toBe(200);
    const unknown = await call(s, 'GET', '/api/tasks?org=nope');
    expect(unknown.status).toBe(404);
    expect((await call(s, 'GET', '/api/tasks?org_id=999')).status).toBe(404);
    expect((await call(s, 'GET', '/api/tasks?org=acme', { as: s.users.bob })).status).toBe(403);
  });

  it("object endpoints use the object's organization; others' objects are 403, missing 404", async () => {
    const t = await createTask(s, { name: 'org-object' }, undefined, '?org=acme');
    expect((await call(s, 'GET', `/api/tasks/${t}`)).status).toBe(200);
    expect((await call(s, 'GET', `/api/tasks/${t}`, { as: s.users.bob })).status).toBe(403);
    const missing = await call(s, 'GET', '/api/tasks/99999');
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ detail: 'No Task matches the given query.' });
  });
});
