// The whole service over https with a self-signed certificate, through tinyproxy set as the
// manual proxy: sign-in refused until the certificate is trusted, then a folder sync (TUS for
// the big file, Upload-Multiple for the small ones), an export download and a backup restore.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FolderRule } from '../../../preload/contract.js';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { FileCredentialStore } from '../../../main/service/credential-stores.js';
import { createSyncService } from '../../../main/service/index.js';
import type { SyncServiceImpl } from '../../../main/service/index.js';
import { pngBytes, sha256 } from '../cvat/helpers.js';
import { startTinyproxy } from './tinyproxy.js';
import type { Tinyproxy } from './tinyproxy.js';

const MiB = 1024 * 1024;
let server: CvatTestServer;
let proxy: Tinyproxy;
let work: string;
let s: SyncServiceImpl | null = null;

beforeAll(async () => {
  server = await startCvatServer({ seed: 91, processingDelayMs: 20, tls: { kind: 'self-signed' } });
  proxy = await startTinyproxy({ auth: { username: 'lab', password: 'proxy-pw' } });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-https-'));
});
afterAll(async () => {
  await s?.close();
  await proxy?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

function rule(path: string): FolderRule {
  return {
    path,
    target: { kind: 'labels', labels: [{ name: 'cat' }] },
    org: null,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 0.1,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: { imageQuality: 70 },
    autoExport: null,
  };
}

describe('the service over https through an authenticating proxy', () => {
  it('trusts on first use, then syncs, downloads and restores through the proxy', async () => {
    const dataDir = join(work, 'data');
    const store = new FileCredentialStore(dataDir);
    s = await createSyncService({
      dataDir,
      host: 'daemon',
      credentials: store,
      bulkThreshold: 1 * MiB,
    });
    // A manual proxy without its address is refused before anything is saved.
    const incomplete = await s.updateSettings({ proxyMode: 'manual' });
    expect(incomplete.ok).toBe(false);
    if (!incomplete.ok) expect(incomplete.error.message).toContain('needs a host and a port');
    const set = await s.updateSettings({
      proxyMode: 'manual',
      proxyHost: proxy.host,
      proxyPort: proxy.port,
      proxyUser: 'lab',
      proxyPassword: 'proxy-pw',
    });
    expect(set.ok && set.value.proxyPasswordSet).toBe(true);
    // The password is kept like the token (owner-only file), never in the settings.
    expect(JSON.stringify(set.ok && set.value)).not.toContain('proxy-pw');
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);

    const signIn = {
      server: server.url,
      method: 'password' as const,
      username: 'alice',
      password: 'alice-pass',
    };
    const refused = await s.signIn(signIn);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('tls-untrusted');
    const cert = refused.error.certificate!;
    expect(cert.fingerprint).toBe(server.certificates!.fingerprint);
    expect(cert).toMatchObject({ subject: expect.stringContaining('CN=127.0.0.1') });

    const ok = await s.signIn({ ...signIn, trustFingerprint: cert.fingerprint });
    expect(ok.ok && ok.value.state).toBe('connected');
    // The trust is saved with the profile: a restart connects without asking again.
    expect(readFileSync(store.path, 'utf8')).toContain(cert.fingerprint);

    // Folder sync: one file over the TUS threshold, three in a bulk batch.
    const folder = join(work, 'shots');
    mkdirSync(join(folder, 'day1'), { recursive: true });
    const files = [
      { name: 'big.png', bytes: pngBytes(2 * MiB + 11) },
      ...[1, 2, 3].map((i) => ({ name: `small${i}.png`, bytes: pngBytes(3000 + i) })),
    ];
    for (const f of files) writeFileSync(join(folder, 'day1', f.name), f.bytes);
    const upBefore = proxy.bytes.up;
    const added = await s.addFolder(rule(folder));
    if (!added.ok) throw new Error(added.error.message);
    let taskId = 0;
    await vi.waitFor(
      () => {
        const t = server.admin.tasks().find((x) => x.name.includes('day1'));
        expect(t).toBeDefined();
        expect(server.admin.taskFiles(t!.id)).toHaveLength(4);
        taskId = t!.id;
      },
      { timeout: 30_000, interval: 100 },
    );
    await s.transferService.uploadsIdle();
    expect(server.admin.taskFiles(taskId)).toEqual(
      files
        .map((f) => ({ name: f.name, size: f.bytes.length, sha256: sha256(f.bytes) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    // The big file went by TUS (PATCH bodies), the small ones in one multipart POST.
    const log = server.faults.stats().log;
    const patched = log
      .filter((e) => e.method === 'PATCH' && e.path.startsWith(`/api/tasks/${taskId}/data/`))
      .reduce((n, e) => n + e.bytesIn, 0);
    expect(patched).toBe(files[0]!.bytes.length);
    expect(
      log.filter((e) => e.method === 'POST' && e.path === `/api/tasks/${taskId}/data/`).length,
    ).toBeGreaterThanOrEqual(1);
    const total = files.reduce((n, f) => n + f.bytes.length, 0);
    expect(proxy.bytes.up - upBefore).toBeGreaterThan(total);

    // An export download into a folder, through the proxy.
    const downloads = join(work, 'downloads');
    mkdirSync(downloads, { recursive: true });
    const downBefore = proxy.bytes.down;
    const exp = await s.exportDataset({
      target: { kind: 'task', id: taskId },
      format: 'CVAT for images 1.1',
      withImages: true,
      destination: downloads,
    });
    if (!exp.ok) throw new Error(exp.error.message);
    const done = await s.transferService.waitForResult(exp.value.id);
    expect(done.state).toBe('done');
    const zip = readFileSync(done.destination!);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(proxy.bytes.down - downBefore).toBeGreaterThan(zip.length);

    // A backup, then its restore as a new task.
    const bk = await s.backup({ target: { kind: 'task', id: taskId }, destination: downloads });
    if (!bk.ok) throw new Error(bk.error.message);
    const backup = await s.transferService.waitForResult(bk.value.id);
    expect(backup.state).toBe('done');
    const tasksBefore = server.admin.tasks().length;
    const rs = await s.restoreBackup({ path: backup.destination! });
    if (!rs.ok) throw new Error(rs.error.message);
    const restored = await s.transferService.waitForResult(rs.value.id);
    expect(restored.state).toBe('done');
    expect(server.admin.tasks().length).toBe(tasksBefore + 1);
    const copy = server.admin.tasks().at(-1)!;
    expect(
      server.admin
        .taskFiles(copy.id)
        .map((f) => f.sha256)
        .sort(),
    ).toEqual(
      server.admin
        .taskFiles(taskId)
        .map((f) => f.sha256)
        .sort(),
    );
    expect(proxy.log()).toMatch(new RegExp(`CONNECT 127\\.0\\.0\\.1:${server.port}`));

    // The proxy password is in secrets.json only: not in the journal, its WAL, or the logs.
    await s.close();
    s = null;
    const leaks = readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== 'secrets.json')
      .map((e) => join(e.parentPath, e.name))
      .filter((f) => readFileSync(f).includes('proxy-pw'));
    expect(leaks).toEqual([]);
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toContain('proxy-pw');
  });
});
