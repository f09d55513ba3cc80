// The service against the test server: sign-in paths, Result shapes, settings, the read-only
// view beside a running engine, and the debug archive's redaction.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../../preload/contract.js';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { createSyncService } from '../../../main/service/index.js';
import type { SyncServiceImpl } from '../../../main/service/index.js';

let server: CvatTestServer;
let work: string;
const open: SyncServiceImpl[] = [];
let n = 0;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-service-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

async function service(
  options: { dataDir?: string; mode?: 'engine' | 'read-only'; store?: MemoryCredentialStore } = {},
) {
  n += 1;
  const s = await createSyncService({
    dataDir: options.dataDir ?? join(work, `data-${n}`),
    host: 'daemon',
    credentials: options.store ?? new MemoryCredentialStore(),
    mode: options.mode ?? 'engine',
    autostart: false,
  });
  open.push(s);
  return s;
}

describe('sign in and out', () => {
  it('signs in with a PAT, reports the version and pushes a connection event', async () => {
    const store = new MemoryCredentialStore();
    const s = await service({ store });
    const events: EventName[] = [];
    s.subscribe((name) => events.push(name));
    const r = await s.signIn({
      server: server.url,
      method: 'token',
      token: server.users.alice.token,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        state: 'connected',
        server: server.url,
        username: 'alice',
        org: null,
        serverVersion: '2.80.0',
        authMethod: 'token',
        credentialStore: 'memory',
        error: null,
      },
    });
    expect(events).toContain('connection');
    expect(await store.load()).toMatchObject({
      auth: { kind: 'token', token: server.users.alice.token },
      username: 'alice',
    });
  });

  it('turns a password into the login key and keeps no password; sign-out never revokes the key', async () => {
    const store = new MemoryCredentialStore();
    const s = await service({ store });
    const r = await s.signIn({
      server: server.url,
      method: 'password',
      username: 'bob',
      password: 'bob-pass',
    });
    expect(r.ok && r.value.authMethod).toBe('password');
    const saved = await store.load();
    expect(saved?.auth).toEqual({ kind: 'key', key: server.users.bob.key });
    expect(JSON.stringify(saved)).not.toContain('bob-pass');
    const out = await s.signOut();
    expect(out.ok && out.value.state).toBe('signed-out');
    expect(await store.load()).toBeNull();
    const still = await fetch(`${server.url}/api/users/self`, {
      headers: { Authorization: `Token ${server.users.bob.key}` },
    });
    expect(still.status).toBe(200);
  });

  it('answers errors as Results: wrong credentials, unreachable server, signed out', async () => {
    const s = await service();
    const wrong = await s.signIn({ server: server.url, method: 'token', token: 'nope' });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok)
      expect(wrong.error).toMatchObject({
        code: 'auth',
        kind: 'fatal',
        retryable: false,
        status: 401,
      });
    const down = await s.signIn({ server: 'http://127.0.0.1:9', method: 'token', token: 'x' });
    expect(down.ok).toBe(false);
    if (!down.ok)
      expect(down.error).toMatchObject({ code: 'network', kind: 'transient', retryable: true });
    const list = await s.listTasks({ page: 1, pageSize: 10 });
    expect(list).toMatchObject({ ok: false, error: { code: 'signed-out', kind: 'fatal' } });
    const missingToken = await s.signIn({ server: server.url, method: 'token' });
    expect(missingToken).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });
});

describe('tasks and settings', () => {
  it('lists tasks, previews, links and formats as Results', async () => {
    const s = await service();
    await s.signIn({ server: server.url, method: 'token', token: server.users.alice.token });
    const page = await s.listTasks({ page: 1, pageSize: 5 });
    expect(page.ok).toBe(true);
    if (page.ok) expect(page.value.count).toBeGreaterThanOrEqual(page.value.results.length);
    const link = await s.openInCvat({ taskId: 12 });
    expect(link).toEqual({ ok: true, value: `${server.url}/tasks/12` });
    const formats = await s.listFormats();
    expect(formats.ok && formats.value.exporters.some((f) => f.name === 'COCO 1.0')).toBe(true);
    // A task without a preview (here: none at all) answers null, not an error.
    expect(await s.getTaskPreview({ taskId: 999_999 })).toEqual({ ok: true, value: null });
  });

  it('persists settings and refuses changes from a read-only view beside a running engine', async () => {
    const dataDir = join(work, 'shared');
    const engine = await service({ dataDir });
    const updated = await engine.updateSettings({ concurrency: 5, bandwidthLimitBps: 1_000_000 });
    expect(updated.ok && updated.value).toMatchObject({
      concurrency: 5,
      bandwidthLimitBps: 1_000_000,
      dataDir,
      logsDir: join(dataDir, 'logs'),
    });

    await expect(
      createSyncService({
        dataDir,
        host: 'daemon',
        credentials: new MemoryCredentialStore(),
        autostart: false,
      }),
    ).rejects.toThrow(`Another CVAT Sync engine is using ${dataDir}: process ${process.pid}`);

    const view = await service({ dataDir, mode: 'read-only' });
    const settings = await view.getSettings();
    expect(settings.ok && settings.value.concurrency).toBe(5);
    // The engine made this data folder's agent id; the read-only view reads the same one.
    const agentId = updated.ok ? updated.value.agentId : null;
    expect(agentId).toMatch(/^[0-9a-f]{8}$/);
    expect(settings.ok && settings.value.agentId).toBe(agentId);
    const refused = await view.updateSettings({ concurrency: 1 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'read-only' } });
    expect(await view.pauseAll()).toMatchObject({ ok: false, error: { code: 'read-only' } });
    expect((await view.listTransfers({})).ok).toBe(true);
    expect((await view.listActivity({})).ok).toBe(true);
  });
});

describe('debug archive', () => {
  it('contains settings, activity, folders and transfers but never the token', async () => {
    const s = await service();
    await s.signIn({ server: server.url, method: 'token', token: server.users.alice.token });
    await s.updateSettings({ downloadsDir: join(work, 'downloads') });
    s.record('info', 'test', `a message that quotes the token ${server.users.alice.token}`);
    const r = await s.exportDebugArchive();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.path.startsWith(join(work, 'downloads'))).toBe(true);
    const bytes = readFileSync(r.value.path);
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    const { unzipSync, strFromU8 } = await import('fflate');
    const files = unzipSync(new Uint8Array(bytes));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'about.json',
        'settings.json',
        'activity.json',
        'folders.json',
        'transfers.json',
        'connection.json',
      ]),
    );
    const text = Object.values(files)
      .map((f) => strFromU8(f))
      .join('\n');
    expect(text).toContain('a message that quotes the token');
    expect(text).not.toContain(server.users.alice.token);
  });
});
