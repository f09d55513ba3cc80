// Secrets where they do not belong, at the service: a password in the server URL, and a data
// folder (journal, its WAL, logs) readable by other users when the folder already existed.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { parseMethodArg } from '../../../main/service/contract-schemas.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { JOURNAL_FILE, createSyncService } from '../../../main/service/index.js';
import type { SyncServiceImpl } from '../../../main/service/index.js';

let server: CvatTestServer;
let work: string;
let umask: number;
const open: SyncServiceImpl[] = [];
let n = 0;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-hardening-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

async function service(options: { dataDir?: string; store?: MemoryCredentialStore } = {}) {
  n += 1;
  const s = await createSyncService({
    dataDir: options.dataDir ?? join(work, `data-${n}`),
    host: 'daemon',
    credentials: options.store ?? new MemoryCredentialStore(),
    mode: 'engine',
    autostart: false,
  });
  open.push(s);
  return s;
}

function withUserinfo(url: string, user: string, pass: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = pass;
  return u.toString();
}

describe('user info in the server URL', () => {
  it('is refused at sign-in with the clean URL to use, never quoting the password', async () => {
    const store = new MemoryCredentialStore();
    const s = await service({ store });
    const r = await s.signIn({
      server: withUserinfo(server.url, 'alice', 'alice-pass'),
      method: 'token',
      token: server.users.alice.token,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-argument');
    expect(r.error.message).toBe(
      `The server URL must not contain a user name or password: use ${server.url}`,
    );
    expect(JSON.stringify(r.error)).not.toContain('alice-pass');
    expect(await store.load()).toBeNull();
    // The transports' schema refuses it before the service sees it.
    const call = parseMethodArg('signIn', {
      server: withUserinfo(server.url, 'alice', 'alice-pass'),
      method: 'password',
      username: 'alice',
      password: 'alice-pass',
    });
    expect(call.ok).toBe(false);
    if (!call.ok) expect(call.error.message).toContain('must not contain a user name or password');
  });

  it('stores and shows the normalised URL', async () => {
    const store = new MemoryCredentialStore();
    const s = await service({ store });
    const r = await s.signIn({
      server: `  ${server.url}/ `,
      method: 'token',
      token: server.users.alice.token,
    });
    expect(r).toMatchObject({ ok: true, value: { state: 'connected', server: server.url } });
    expect((await store.load())?.server).toBe(server.url);
  });

  it('drops user info from a profile saved by an older version', async () => {
    const store = new MemoryCredentialStore({
      server: withUserinfo(server.url, 'alice', 'alice-pass'),
      org: null,
      auth: { kind: 'token', token: server.users.alice.token },
      username: 'alice',
    });
    const s = await service({ store });
    await s.connection.restore();
    const c = await s.getConnection();
    expect(c).toMatchObject({ ok: true, value: { state: 'connected', server: server.url } });
    expect((await store.load())?.server).toBe(server.url);
  });

  it('is scrubbed from the activity log and the debug archive', async () => {
    const s = await service();
    await s.signIn({ server: server.url, method: 'token', token: server.users.alice.token });
    await s.updateSettings({ downloadsDir: join(work, 'downloads') });
    s.record('warn', 'test', 'cannot reach http://bob:bob-secret-pass@cvat.example.com/api');
    const r = await s.exportDebugArchive();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const { unzipSync, strFromU8 } = await import('fflate');
    const text = Object.values(unzipSync(new Uint8Array(readFileSync(r.value.path))))
      .map((f) => strFromU8(f))
      .join('\n');
    expect(text).toContain('cannot reach http://[redacted]@cvat.example.com/api');
    expect(text).not.toContain('bob-secret-pass');
  });
});

describe('data folder permissions', () => {
  beforeAll(() => {
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });

  const mode = (p: string) => statSync(p).mode & 0o777;

  it('makes an existing 0755 folder, the journal, its WAL and the logs owner-only', async () => {
    const dataDir = join(work, 'existing');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const s = await service({ dataDir });
    await s.updateSettings({ concurrency: 2 }); // a write: the WAL and shared-memory files exist
    const journal = join(dataDir, JOURNAL_FILE);
    expect(existsSync(`${journal}-wal`)).toBe(true);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(journal)).toBe(0o600);
    expect(mode(`${journal}-wal`)).toBe(0o600);
    expect(mode(`${journal}-shm`)).toBe(0o600);
    expect(mode(join(dataDir, 'logs'))).toBe(0o700);
    for (const s of open.splice(0)) await s.close();

    // Files an older version left world-readable are tightened at the next start.
    chmodSync(dataDir, 0o755);
    chmodSync(journal, 0o644);
    chmodSync(join(dataDir, 'logs'), 0o755);
    const again = await service({ dataDir });
    await again.updateSettings({ concurrency: 3 });
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(journal)).toBe(0o600);
    expect(mode(`${journal}-wal`)).toBe(0o600);
    expect(mode(join(dataDir, 'logs'))).toBe(0o700);
  });
});
