// Bad networks give one clear message with its fix, and transfers resume once the network is
// right: a wrong proxy address, failed proxy authentication, a proxy refusing CONNECT, a failed
// TLS handshake, certificates that are expired or for another name, a TLS reset mid-upload.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer, syntheticSha256 } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { SyncError } from '../../../main/core/errors.js';
import { NetStack } from '../../../main/cvat/net-stack.js';
import type { NetOptions } from '../../../main/cvat/net-stack.js';
import { LABELS, collect, makeClient, sha256, tempDir, writePng } from '../cvat/helpers.js';
import { startTinyproxy } from './tinyproxy.js';

const MiB = 1024 * 1024;
let https: CvatTestServer;
let plain: CvatTestServer;
let dir: string;
let cleanup: () => Promise<void>;
const nets: NetStack[] = [];

beforeAll(async () => {
  https = await startCvatServer({ seed: 81, processingDelayMs: 10, tls: { kind: 'ca' } });
  plain = await startCvatServer({ seed: 82, processingDelayMs: 10 });
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  for (const n of nets) n.close();
  await https?.close();
  await plain?.close();
  await cleanup?.();
});

function net(options: NetOptions): NetStack {
  const n = new NetStack({ connectTimeoutMs: 5_000, ...options });
  nets.push(n);
  return n;
}

async function caFile(server: CvatTestServer): Promise<string> {
  const path = join(dir, `ca-${server.port}.pem`);
  await writeFile(path, server.certificates!.caPem!);
  return path;
}

function selfOf(server: CvatTestServer, stack: NetStack): Promise<unknown> {
  return makeClient(server.url, { kind: 'token', token: server.users.alice.token }, { net: stack })
    .self()
    .catch((e: unknown) => e);
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('certificate trust', () => {
  it('trusts a server signed by a CA from a CA file, and from NODE_EXTRA_CA_CERTS', async () => {
    const ca = await caFile(https);
    const untrusted = (await selfOf(https, net({ proxy: { kind: 'none' } }))) as SyncError;
    expect(untrusted.code).toBe('tls-untrusted');
    expect(untrusted.certificate?.issuer).toContain('Test Root CA');
    expect(untrusted.hint).toMatch(/--ca-file/);
    expect(
      await selfOf(https, net({ proxy: { kind: 'none' }, trust: { caFiles: [ca] } })),
    ).toMatchObject({
      username: 'alice',
    });
    expect(
      await selfOf(
        https,
        net({ proxy: { kind: 'none' }, trust: { env: { NODE_EXTRA_CA_CERTS: ca } } }),
      ),
    ).toMatchObject({ username: 'alice' });
  });

  it('a CA file that is not PEM is refused with its fix', () => {
    const bad = join(dir, 'not-a-ca.pem');
    return writeFile(bad, 'hello').then(() => {
      expect(() => new NetStack({ trust: { caFiles: [bad] } })).toThrow(/no PEM certificate/);
    });
  });

  it('an expired certificate is named as expired, with the date', async () => {
    const expired = await startCvatServer({ tls: { kind: 'ca', expired: true } });
    try {
      const err = (await selfOf(
        expired,
        net({ proxy: { kind: 'none' }, trust: { caFiles: [await caFile(expired)] } }),
      )) as SyncError;
      expect(err.code).toBe('tls-expired');
      expect(err.message).toContain('expired on 2020-01-02');
      expect(err.hint).toMatch(/renew/);
    } finally {
      await expired.close();
    }
  });

  it('a certificate for another name is a host name mismatch', async () => {
    const other = await startCvatServer({ tls: { kind: 'ca', hosts: ['cvat.example'] } });
    try {
      const err = (await selfOf(
        other,
        net({ proxy: { kind: 'none' }, trust: { caFiles: [await caFile(other)] } }),
      )) as SyncError;
      expect(err.code).toBe('tls-hostname');
      expect(err.message).toContain('DNS:cvat.example');
      expect(err.message).toContain('not for 127.0.0.1');
    } finally {
      await other.close();
    }
  });

  it('https to a port that answers plain http (as nginx does): a failed handshake, named', async () => {
    // nginx on a plain-http port answers a TLS ClientHello with "400 Bad Request" in clear text.
    const http = createServer((s) => {
      s.once('data', () =>
        s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
      );
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `https://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const client = makeClient(url, null, { net: net({ proxy: { kind: 'none' } }) });
      const err = (await client.about().catch((e: unknown) => e)) as SyncError;
      expect(err.code).toBe('tls-handshake');
      expect(err.kind).toBe('fatal');
      expect(err.message).toContain('does not speak https');
      expect(err.hint).toMatch(/http:\/\//);
    } finally {
      await new Promise<void>((r) => http.close(() => r()));
    }
  });

  it('a handshake reset by the peer is transient and says both likely causes', async () => {
    const url = plain.url.replace('http:', 'https:');
    const client = makeClient(url, null, { net: net({ proxy: { kind: 'none' } }) });
    const err = (await client.about().catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({ code: 'tls-handshake', kind: 'transient' });
    expect(err.message).toContain('the connection was reset (ECONNRESET)');
    expect(err.hint).toMatch(/try http:\/\//);
  });
});

describe('proxies', () => {
  it('a wrong proxy address names the proxy and the setting to fix', async () => {
    const port = await closedPort();
    const err = (await selfOf(
      plain,
      net({ proxy: { kind: 'manual', proxy: { host: '127.0.0.1', port } } }),
    )) as SyncError;
    expect(err.code).toBe('proxy-unreachable');
    expect(err.message).toBe(
      `Cannot reach the proxy 127.0.0.1:${port}: nothing listens there (ECONNREFUSED).`,
    );
    expect(err.hint).toMatch(/HTTPS_PROXY/);
    expect(err.retryable).toBe(true);
  });

  it('proxy authentication: missing or wrong is a 407 with its fix; right goes through', async () => {
    const proxy = await startTinyproxy({ auth: { username: 'lab', password: 's3cret' } });
    try {
      const at = (auth: { username?: string; password?: string }) =>
        net({
          proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port, ...auth } },
          trust: {
            pins: [
              { host: '127.0.0.1', port: https.port, fingerprint: https.certificates!.fingerprint },
            ],
          },
        });
      // https: the CONNECT is answered 407.
      const none = (await selfOf(https, at({}))) as SyncError;
      expect(none).toMatchObject({ code: 'proxy-auth', kind: 'fatal', status: 407 });
      expect(none.message).toContain('asks for a user name and password');
      const wrong = (await selfOf(https, at({ username: 'lab', password: 'nope' }))) as SyncError;
      expect(wrong.code).toBe('proxy-auth');
      expect(wrong.message).toContain('rejected the user name or password of "lab"');
      expect(wrong.hint).toMatch(/proxy-user/);
      expect(await selfOf(https, at({ username: 'lab', password: 's3cret' }))).toMatchObject({
        username: 'alice',
      });
      // plain http: the proxy answers the forwarded request itself with 407.
      const plainNone = (await selfOf(plain, at({}))) as SyncError;
      expect(plainNone).toMatchObject({ code: 'proxy-auth', kind: 'fatal', status: 407 });
      expect(plainNone.hint).toMatch(/proxy-user/);
      expect(await selfOf(plain, at({ username: 'lab', password: 's3cret' }))).toMatchObject({
        username: 'alice',
      });
      expect(proxy.log()).toMatch(
        new RegExp(`GET http://127\\.0\\.0\\.1:${plain.port}/api/users/self`),
      );
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that refuses CONNECT to the port is named, with its fix', async () => {
    const proxy = await startTinyproxy({ connectPorts: [443] });
    try {
      const err = (await selfOf(
        https,
        net({ proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port } } }),
      )) as SyncError;
      expect(err.code).toBe('proxy-refused');
      expect(err.message).toContain(`tunnel (CONNECT) to 127.0.0.1:${https.port}: 403`);
      expect(err.hint).toContain(`CONNECT to port ${https.port}`);
    } finally {
      await proxy.close();
    }
  });

  it('HTTPS_PROXY and NO_PROXY from the environment: proxied, and bypassed by port', async () => {
    const proxy = await startTinyproxy();
    try {
      const env = { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com' };
      const pins = [
        { host: '127.0.0.1', port: https.port, fingerprint: https.certificates!.fingerprint },
      ];
      expect(
        await selfOf(https, net({ proxy: { kind: 'env', env }, trust: { pins } })),
      ).toMatchObject({ username: 'alice' });
      const through = proxy.bytes.up;
      expect(through).toBeGreaterThan(0);
      const bypass = { ...env, NO_PROXY: `example.com,127.0.0.1:${https.port}` };
      expect(
        await selfOf(https, net({ proxy: { kind: 'env', env: bypass }, trust: { pins } })),
      ).toMatchObject({ username: 'alice' });
      expect(proxy.bytes.up).toBe(through);
    } finally {
      await proxy.close();
    }
  });
});

describe('resuming after the network failed', () => {
  const pinned = () =>
    net({
      proxy: { kind: 'none' },
      trust: {
        pins: [
          { host: '127.0.0.1', port: https.port, fingerprint: https.certificates!.fingerprint },
        ],
      },
    });

  it('an upload cut by a TLS reset mid-stream resumes from the offset and completes', async () => {
    const client = makeClient(
      https.url,
      { kind: 'token', token: https.users.alice.token },
      { net: pinned() },
    );
    const big = await writePng(dir, 'reset.png', 2 * MiB + 77);
    const task = await client.createTask({ name: 'tls reset', labels: LABELS });
    await client.uploadStart(task.id);
    https.faults.failNext({
      kind: 'reset-request',
      method: 'PATCH',
      afterBytes: 300 * 1024,
      times: 1,
    });
    const before = https.faults.stats();
    const result = await client.tusUpload({
      target: { kind: 'task-data', taskId: task.id },
      file: big,
      chunkSize: MiB,
    });
    const after = https.faults.stats();
    expect(result.uploadFilename).toBe('reset.png');
    expect(https.admin.taskFiles(task.id)).toEqual([
      { name: 'reset.png', size: big.size, sha256: big.sha256 },
    ]);
    // The offset was asked for (HEAD) and the upload went on from it, not from zero.
    expect((after.byMethod.HEAD ?? 0) - (before.byMethod.HEAD ?? 0)).toBeGreaterThanOrEqual(1);
    expect(after.bytesIn - before.bytesIn).toBeLessThan(big.size + MiB);
  });

  it('a download cut by a TLS reset says so, and resumes from the bytes it has', async () => {
    const client = makeClient(
      https.url,
      { kind: 'token', token: https.users.alice.token },
      {
        net: pinned(),
      },
    );
    const task = await client.createTask({ name: 'tls reset download', labels: LABELS });
    const SIZE = 8 * MiB + 3;
    const result = https.admin.addSyntheticResult(task.id, SIZE);
    https.faults.failNext({
      kind: 'reset-response',
      path: result.resultUrl.replace(https.url, '').split('?')[0],
      afterBytes: 3 * MiB,
      times: 1,
    });
    const first = await client.download(result.resultUrl);
    const got: Buffer[] = [];
    const err = (await (async () => {
      for await (const c of first.body) got.push(Buffer.from(c));
    })().catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({ code: 'network', kind: 'transient' });
    expect(err.message).toContain('the secure connection was reset in the middle');
    expect(err.hint).toMatch(/resumes where it stopped/);
    const have = Buffer.concat(got);
    expect(have.length).toBeGreaterThan(0);
    expect(have.length).toBeLessThan(SIZE);
    const rest = await client.download(result.resultUrl, { resumeFrom: have.length });
    expect(rest.status).toBe(206);
    const tail = await collect(rest.body);
    const whole = Buffer.concat([have, tail]);
    expect(whole.length).toBe(SIZE);
    expect(sha256(whole)).toBe(await syntheticSha256(SIZE));
  });

  it('an upload through a proxy that drops every connection resumes when it is back', async () => {
    const proxy = await startTinyproxy();
    try {
      const stack = net({
        proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port } },
        trust: {
          pins: [
            { host: '127.0.0.1', port: https.port, fingerprint: https.certificates!.fingerprint },
          ],
        },
      });
      const client = makeClient(
        https.url,
        { kind: 'token', token: https.users.alice.token },
        { net: stack },
      );
      const big = await writePng(dir, 'cut.png', 3 * MiB + 5);
      const task = await client.createTask({ name: 'proxy cut', labels: LABELS });
      await client.uploadStart(task.id);
      let cut = false;
      await client.tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: big,
        chunkSize: MiB,
        onOffset: (o) => {
          if (!cut && o >= MiB) {
            cut = true;
            proxy.cutAll();
          }
        },
      });
      expect(cut).toBe(true);
      expect(https.admin.taskFiles(task.id)).toEqual([
        { name: 'cut.png', size: big.size, sha256: big.sha256 },
      ]);
    } finally {
      await proxy.close();
    }
  });
});
