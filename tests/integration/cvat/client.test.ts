// CvatClient against the CVAT-compatible test server over real HTTP: auth kinds, org context,
// lists and pagination, task CRUD, validation errors, formats, jobs and previews.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import { CvatClient } from '../../../main/cvat/client.js';
import type { SyncError } from '../../../main/core/errors.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { LABELS, makeClient } from './helpers.js';

type Server = Awaited<ReturnType<typeof startCvatServer>>;
let server: Server;

beforeAll(async () => {
  server = await startCvatServer({ seed: 1 });
});
afterAll(async () => {
  await server?.close();
});

const pat = () => ({ kind: 'token' as const, token: server.users.alice.token });

describe('auth', () => {
  it('reads server info without credentials and parses the version', async () => {
    const client = makeClient(server.url, null);
    const about = await client.about();
    expect(about.version).toMatch(/^\d+\.\d+/);
    const v = await client.serverVersion();
    expect(v.raw).toBe(about.version);
    expect(v.major).toBeGreaterThanOrEqual(2);
  });

  it('authenticates with a PAT (Bearer)', async () => {
    const me = await makeClient(server.url, pat()).self();
    expect(me.username).toBe(server.users.alice.username);
    expect(me.id).toBe(server.users.alice.id);
  });

  it('reads the PAT record, and nothing for other auth kinds', async () => {
    const info = await makeClient(server.url, pat()).accessTokenInfo();
    expect(info).not.toBeNull();
    expect(typeof info!.read_only).toBe('boolean');
    const basic = makeClient(server.url, {
      kind: 'basic',
      username: server.users.alice.username,
      password: server.users.alice.password,
    });
    expect(await basic.accessTokenInfo()).toBeNull();
  });

  it('logs in for a legacy key and uses it (Token)', async () => {
    const { username, password } = server.users.bob;
    const key = await CvatClient.login(server.url, username, password, { clock: systemClock });
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    const me = await makeClient(server.url, { kind: 'key', key }).self();
    expect(me.username).toBe(username);
  });

  it('authenticates with Basic', async () => {
    const { username, password } = server.users.alice;
    const me = await makeClient(server.url, { kind: 'basic', username, password }).self();
    expect(me.username).toBe(username);
  });

  it('turns a wrong password at login into a fatal auth error', async () => {
    const err = await CvatClient.login(server.url, server.users.alice.username, 'wrong', {
      clock: systemClock,
    }).catch((e: SyncError) => e);
    expect(err).toMatchObject({ code: 'auth', kind: 'fatal', status: 400 });
    expect((err as SyncError).hint).toMatch(/password/);
  });

  it('reports a revoked token as a fatal auth error with a sign-in hint', async () => {
    const s = await startCvatServer({ seed: 2 });
    try {
      const client = makeClient(s.url, { kind: 'token', token: s.users.bob.token });
      await client.self();
      s.admin.revokeToken(s.users.bob.token);
      const err = (await client.self().catch((e: unknown) => e)) as SyncError;
      expect(err).toMatchObject({ code: 'auth', kind: 'fatal', status: 401 });
      expect(err.hint).toMatch(/sign in again/i);
      expect(err.url).toBe(`${s.url}/api/users/self`);
      // about still works: it goes without credentials
      await expect(client.about()).resolves.toMatchObject({ version: expect.any(String) });
    } finally {
      await s.close();
    }
  });

  it('an unknown token is refused the same way', async () => {
    const err = await makeClient(server.url, { kind: 'token', token: 'nope' })
      .self()
      .catch((e: SyncError) => e);
    expect(err).toMatchObject({ code: 'auth', kind: 'fatal' });
  });
});

describe('content negotiation', () => {
  it('the server refuses Accept: application/json, and our Accept never meets a 406', async () => {
    const raw = await fetch(`${server.url}/api/server/annotation/formats`, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${server.users.alice.token}` },
    });
    expect(raw.status).toBe(406);
    const formats = await makeClient(server.url, pat()).formats();
    expect(formats.exporters.map((f) => f.name)).toContain('CVAT for images 1.1');
    expect(formats.importers.map((f) => f.name)).toContain('CVAT 1.1');
  });
});

describe('tasks', () => {
  it('creates, gets, finds by name and deletes a task', async () => {
    const client = makeClient(server.url, pat());
    const name = `crud ${Date.now()}`;
    const created = await client.createTask({
      name,
      labels: LABELS,
      subset: 'train',
      segment_size: 10,
    });
    expect(created).toMatchObject({
      name,
      size: 0,
      status: 'annotation',
      subset: 'train',
      data: null,
    });
    expect(await client.getTask(created.id)).toMatchObject({ id: created.id, name });
    // a task whose name contains ours must not match
    const longer = await client.createTask({ name: `${name} (copy)`, labels: LABELS });
    const found = await client.findTasksByName(name);
    expect(found.map((t) => t.id)).toEqual([created.id]);
    await client.deleteTask(created.id);
    expect(await client.findTask(created.id)).toBeNull();
    await expect(client.deleteTask(created.id)).resolves.toBeUndefined();
    await expect(client.getTask(created.id)).rejects.toMatchObject({
      code: 'not-found',
      kind: 'item',
      status: 404,
    });
    await client.deleteTask(longer.id);
  });

  it('creates a task and lists tasks while one has no media (CVAT omits its size)', async () => {
    const client = makeClient(server.url, pat());
    const name = `media-less ${Date.now()}`;
    const created = await client.createTask({ name, labels: LABELS });
    // What the server sent has no size key, as CVAT's own answer for such a task (fixture task 12).
    const raw = await fetch(`${server.url}/api/tasks/${created.id}`, {
      headers: { Authorization: `Bearer ${server.users.alice.token}` },
    });
    expect(await raw.json()).not.toHaveProperty('size');
    expect(created).toMatchObject({ name, size: 0, data: null, overlap: null });
    const page = await client.listTasks({ page_size: 'all' });
    expect(page.results.find((t) => t.id === created.id)).toMatchObject({ size: 0 });
    const all: number[] = [];
    for await (const t of client.iterateTasks({ search: name })) all.push(t.id);
    expect(all).toEqual([created.id]);
    expect((await client.findTasksByName(name)).map((t) => t.id)).toEqual([created.id]);
    expect(await client.findTask(created.id)).toMatchObject({ id: created.id, size: 0 });
    await client.deleteTask(created.id);
  });

  it('a validation error at creation is an item error with the field message', async () => {
    const client = makeClient(server.url, pat());
    const err = (await client
      .createTask({ name: '', labels: LABELS })
      .catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({
      code: 'bad-request',
      kind: 'item',
      status: 400,
      operation: 'create task',
    });
    expect(err.message).toMatch(/name: /);
    expect(err.body).toMatch(/^name: /);
  });

  it('iterates more than one page of tasks, each once', async () => {
    const s = await startCvatServer({ seed: 3 });
    try {
      const client = makeClient(s.url, { kind: 'token', token: s.users.alice.token });
      const ids = new Set<number>();
      for (let i = 0; i < 205; i++)
        ids.add((await client.createTask({ name: `page task ${i}`, labels: LABELS })).id);
      const first = await client.listTasks({ page_size: 100 });
      expect(first.count).toBe(205);
      expect(first.results).toHaveLength(100);
      expect(first.next).not.toBeNull();
      const seen: number[] = [];
      for await (const t of client.iterateTasks()) seen.push(t.id);
      expect(seen).toHaveLength(205);
      expect(new Set(seen)).toEqual(ids);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      // equality filter and JSON-Logic filter reach the server
      const filtered = await client.listTasks({
        filter: { '==': [{ var: 'name' }, 'page task 7'] },
      });
      expect(filtered.results.map((t) => t.name)).toEqual(['page task 7']);
      const searched = await client.listTasks({ search: 'page task 20', sort: '-id' });
      // several words must all match, each as a substring
      expect(searched.results.map((t) => t.name)).toEqual([
        'page task 204',
        'page task 203',
        'page task 202',
        'page task 201',
        'page task 200',
        'page task 120',
        'page task 20',
      ]);
    } finally {
      await s.close();
    }
  });

  it('lists jobs of a fresh task (none), formats and reads a missing preview as null', async () => {
    const client = makeClient(server.url, pat());
    const t = await client.createTask({ name: 'jobs', labels: LABELS });
    expect(await client.listJobs(t.id)).toEqual([]);
    expect(await client.preview(t.id)).toBeNull();
    await client.deleteTask(t.id);
  });

  it('lists projects', async () => {
    const p = server.admin.createProject('alice', { name: 'proj-list', labels: LABELS });
    const page = await makeClient(server.url, pat()).listProjects({ search: 'proj-list' });
    expect(page.results.map((x) => [x.id, x.name])).toEqual([[p.id, 'proj-list']]);
  });
});

describe('organization context', () => {
  it('creates in the chosen org, lists per workspace, and sends the choice one way only', async () => {
    const s = await startCvatServer({ seed: 4 });
    try {
      const token = s.users.alice.token;
      const base = makeClient(s.url, { kind: 'token', token });
      const orgs: string[] = [];
      let acmeId = 0;
      for await (const o of base.organizations()) {
        orgs.push(o.slug);
        if (o.slug === 'acme') acmeId = o.id;
      }
      expect(orgs).toEqual(['acme']);

      const inAcme = await base.withOrg('acme').createTask({ name: 'in acme', labels: LABELS });
      expect(inAcme.organization_id).toBe(acmeId);
      const personal = await base.withOrg(null).createTask({ name: 'personal', labels: LABELS });
      expect(personal.organization_id ?? null).toBeNull();

      const names = async (c: CvatClient) =>
        (await c.listTasks()).results.map((t) => t.name).sort();
      expect(await names(base.withOrg('acme'))).toEqual(['in acme']);
      expect(await names(base.withOrg(null))).toEqual(['personal']);
      expect(await names(base)).toEqual(['in acme', 'personal']);
      // an explicit org in the query replaces the client's choice instead of conflicting with it
      expect(
        (await base.withOrg('acme').listTasks({ org: '' })).results.map((t) => t.name),
      ).toEqual(['personal']);
      // task sub-resources use the task's own organization
      expect((await base.withOrg(null).getTask(inAcme.id)).id).toBe(inAcme.id);
    } finally {
      await s.close();
    }
  });
});
