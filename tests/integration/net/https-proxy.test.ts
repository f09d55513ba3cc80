// Every flow against the HTTPS test server with a self-signed certificate, trusted by its
// fingerprint, through a real proxy (tinyproxy, CONNECT): sign-in, bulk and TUS uploads, a
// large export download and a backup restore. Bytes are counted at the proxy to prove that the
// traffic went through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCvatServer, syntheticSha256 } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { SyncError } from '../../../main/core/errors.js';
import { CvatClient } from '../../../main/cvat/client.js';
import { osProxyResolver } from '../../../main/app/os-proxy.js';
import { NetStack } from '../../../main/cvat/net-stack.js';
import { systemClock } from '../../../main/service/system-clock.js';
import {
  FAST_RETRY,
  LABELS,
  collect,
  makeClient,
  sha256,
  tempDir,
  writePng,
} from '../cvat/helpers.js';
import { startTinyproxy } from './tinyproxy.js';
import type { Tinyproxy } from './tinyproxy.js';

const MiB = 1024 * 1024;
let server: CvatTestServer;
let proxy: Tinyproxy;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  server = await startCvatServer({ seed: 71, processingDelayMs: 20, tls: { kind: 'self-signed' } });
  proxy = await startTinyproxy();
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await cleanup?.();
});

function netWith(pin: string | null): NetStack {
  return new NetStack({
    proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port } },
    trust: {
      pins: pin ? [{ host: '127.0.0.1', port: server.port, fingerprint: pin }] : [],
    },
  });
}

describe('https with a self-signed certificate through tinyproxy', () => {
  it('refuses the unknown certificate, naming it, and sends nothing', async () => {
    const before = server.faults.stats().requests;
    const err = (await CvatClient.login(server.url, 'alice', 'alice-pass', {
      clock: systemClock,
      retry: FAST_RETRY,
      net: netWith(null),
    }).catch((e: unknown) => e)) as SyncError;
    expect(err.code).toBe('tls-untrusted');
    expect(err.kind).toBe('fatal');
    expect(err.certificate?.fingerprint).toBe(server.certificates!.fingerprint);
    expect(err.certificate?.subject).toContain('CN=127.0.0.1');
    expect(err.certificate?.issuer).toBe(err.certificate?.subject);
    expect(Date.parse(err.certificate!.validTo)).toBeGreaterThan(Date.now());
    expect(err.hint).toContain(`--trust-fingerprint ${server.certificates!.fingerprint}`);
    // The password never left: the server received no request at all.
    expect(server.faults.stats().requests).toBe(before);
  });

  it('signs in, syncs bulk + TUS, downloads a large export and restores a backup', async () => {
    const net = netWith(server.certificates!.fingerprint);
    const key = await CvatClient.login(server.url, 'alice', 'alice-pass', {
      clock: systemClock,
      retry: FAST_RETRY,
      net,
    });
    const client = makeClient(server.url, { kind: 'key', key }, { net });
    expect((await client.self()).username).toBe('alice');
    const afterLogin = proxy.bytes.up;
    expect(proxy.log()).toMatch(new RegExp(`CONNECT 127\\.0\\.0\\.1:${server.port}`));

    // Upload: one file by TUS, a batch by Upload-Multiple.
    const big = await writePng(dir, 'big.png', 3 * MiB + 17);
    const small = await Promise.all([1, 2, 3].map((i) => writePng(dir, `s${i}.png`, 4000 + i)));
    const task = await client.createTask({ name: 'over https', labels: LABELS });
    await client.uploadStart(task.id);
    await client.tusUpload({
      target: { kind: 'task-data', taskId: task.id },
      file: big,
      chunkSize: MiB,
    });
    await client.uploadMultiple(task.id, small);
    const rq = await client.uploadFinish(task.id, { image_quality: 70 });
    expect((await client.waitForRequest(rq!, { minDelayMs: 20, maxDelayMs: 100 }))?.status).toBe(
      'finished',
    );
    expect(server.admin.taskFiles(task.id)).toEqual(
      [big, ...small]
        .map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    const uploaded = big.size + small.reduce((n, f) => n + f.size, 0);
    expect(proxy.bytes.up - afterLogin).toBeGreaterThan(uploaded);

    // A large-ish export result, streamed through the tunnel.
    const SIZE = 24 * MiB + 5;
    const synthetic = server.admin.addSyntheticResult(task.id, SIZE);
    const downBefore = proxy.bytes.down;
    const dl = await client.download(synthetic.resultUrl);
    const bytes = await collect(dl.body);
    expect(bytes.length).toBe(SIZE);
    expect(sha256(bytes)).toBe(await syntheticSha256(SIZE));
    expect(proxy.bytes.down - downBefore).toBeGreaterThan(SIZE);

    // Backup and restore (the restore is a TUS upload of the backup).
    const brq = await client.exportBackup({ kind: 'task', id: task.id });
    const backup = await client.waitForRequest(brq, { minDelayMs: 20, maxDelayMs: 100 });
    const zip = await collect((await client.download(backup!.result_url!)).body);
    const path = join(dir, 'backup.zip');
    await writeFile(path, zip);
    const irq = await client.importBackup(
      { path, name: 'backup.zip', size: zip.length },
      { chunkSize: 256 * 1024 },
    );
    const restored = await client.waitForRequest(irq, { minDelayMs: 20, maxDelayMs: 100 });
    expect(restored?.status).toBe('finished');
    const copy = await client.getTask(restored!.result_id!);
    expect(copy.id).not.toBe(task.id);
    expect(copy.size).toBe(4);
    net.close();
  });

  it('the desktop app’s OS proxy (session.resolveProxy) routes through the proxy it names', async () => {
    const asked: string[] = [];
    const session = {
      resolveProxy: async (url: string) => {
        asked.push(url);
        return `PROXY ${proxy.host}:${proxy.port}; DIRECT`;
      },
    };
    const net = new NetStack({
      proxy: { kind: 'resolver', resolve: osProxyResolver(session) },
      trust: {
        pins: [
          { host: '127.0.0.1', port: server.port, fingerprint: server.certificates!.fingerprint },
        ],
      },
    });
    const before = proxy.bytes.up;
    const client = makeClient(
      server.url,
      { kind: 'token', token: server.users.alice.token },
      { net },
    );
    expect((await client.self()).username).toBe('alice');
    expect(asked[0]).toContain(server.url);
    expect(proxy.bytes.up).toBeGreaterThan(before);
    net.close();
  });

  it('refuses loudly when the trusted certificate changes, naming old and new', async () => {
    const other = await startCvatServer({ seed: 72, tls: { kind: 'self-signed' } });
    try {
      const old = server.certificates!.fingerprint;
      const net = new NetStack({
        proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port } },
        trust: { pins: [{ host: '127.0.0.1', port: other.port, fingerprint: old }] },
      });
      const client = makeClient(
        other.url,
        { kind: 'token', token: other.users.alice.token },
        { net },
      );
      const err = (await client.self().catch((e: unknown) => e)) as SyncError;
      expect(err.code).toBe('tls-changed');
      expect(err.message).toContain(old);
      expect(err.message).toContain(other.certificates!.fingerprint);
      expect(err.message).toMatch(/CHANGED/);
      expect(err.hint).toContain(other.certificates!.fingerprint);
      net.close();
    } finally {
      await other.close();
    }
  });
});
