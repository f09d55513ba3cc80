// The doctor's TLS and proxy findings, each with its fix, against real servers and tinyproxy.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { runDoctor } from '../../../main/cvat/doctor.js';
import type { DoctorFinding } from '../../../main/cvat/doctor.js';
import { NetStack } from '../../../main/cvat/net-stack.js';
import type { NetOptions } from '../../../main/cvat/net-stack.js';
import { startSquid } from './squid.js';
import { startTinyproxy } from './tinyproxy.js';

let selfSigned: CvatTestServer;
let work: string;
let plain: CvatTestServer;
const nets: NetStack[] = [];

beforeAll(async () => {
  selfSigned = await startCvatServer({ seed: 111, tls: { kind: 'self-signed' } });
  plain = await startCvatServer({ seed: 112 });
  work = mkdtempSync(join(tmpdir(), 'cvat-doctor-net-'));
});
afterAll(async () => {
  for (const n of nets) n.close();
  await selfSigned?.close();
  await plain?.close();
  rmSync(work, { recursive: true, force: true });
});

function net(o: NetOptions): NetStack {
  const n = new NetStack({ connectTimeoutMs: 5_000, ...o });
  nets.push(n);
  return n;
}

const find = (f: DoctorFinding[], id: string) => f.find((x) => x.id === id);

function caFile(server: CvatTestServer): string {
  const path = join(work, `ca-${server.port}.pem`);
  writeFileSync(path, server.certificates!.caPem!);
  return path;
}

async function doctor(server: CvatTestServer | string, stack: NetStack, token?: string) {
  const url = typeof server === 'string' ? server : server.url;
  const t = token ?? (typeof server === 'string' ? undefined : server.users.alice.token);
  return runDoctor({
    server: url,
    auth: t ? { kind: 'token', token: t } : null,
    net: stack,
    timeoutMs: 5_000,
    sizeProbeWaitMs: 2_000,
    probeBodyBytes: 4 * 1024 * 1024,
  });
}

describe('doctor: TLS', () => {
  it('an untrusted issuer: the fingerprint to trust is in the fix', async () => {
    const f = await doctor(selfSigned, net({ proxy: { kind: 'none' } }));
    const tls = find(f, 'tls')!;
    expect(tls.status).toBe('fail');
    expect(tls.detail).toContain(selfSigned.certificates!.fingerprint);
    expect(tls.fix).toContain(`--trust-fingerprint ${selfSigned.certificates!.fingerprint}`);
    expect(find(f, 'reachable')?.status).toBe('fail');
  });

  it('trusted by its fingerprint: the certificate finding is ok', async () => {
    const pins = [
      {
        host: '127.0.0.1',
        port: selfSigned.port,
        fingerprint: selfSigned.certificates!.fingerprint,
      },
    ];
    const f = await doctor(selfSigned, net({ proxy: { kind: 'none' }, trust: { pins } }));
    expect(find(f, 'tls')?.status).toBe('ok');
    expect(f.filter((x) => x.status === 'fail')).toEqual([]);
  });

  it('an expired certificate, with its dates and the fix', async () => {
    const expired = await startCvatServer({ tls: { kind: 'ca', expired: true } });
    try {
      const stack = net({ proxy: { kind: 'none' }, trust: { caFiles: [caFile(expired)] } });
      const tls = find(await doctor(expired, stack), 'tls')!;
      expect(tls.status).toBe('fail');
      expect(tls.detail).toContain('expired on 2020-01-02');
      expect(tls.detail).toContain('valid 2020-01-01T00:00:00.000Z to 2020-01-02T00:00:00.000Z');
      expect(tls.fix).toMatch(/renew/);
    } finally {
      await expired.close();
    }
  });

  it('a host name mismatch names both names and the fix', async () => {
    const other = await startCvatServer({ tls: { kind: 'ca', hosts: ['cvat.example'] } });
    try {
      const stack = net({ proxy: { kind: 'none' }, trust: { caFiles: [caFile(other)] } });
      const tls = find(await doctor(other, stack), 'tls')!;
      expect(tls.status).toBe('fail');
      expect(tls.detail).toContain('DNS:cvat.example');
      expect(tls.detail).toContain('not for 127.0.0.1');
      expect(tls.fix).toMatch(/host name the certificate is for/);
    } finally {
      await other.close();
    }
  });

  it('http that redirects to https: use the https address', async () => {
    // What nginx's `return 301 https://$host$request_uri;` in front of CVAT answers.
    const redirector = createServer((req, res) => {
      res.writeHead(301, { Location: `https://127.0.0.1:${selfSigned.port}${req.url ?? '/'}` });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
      const f = await doctor(url, net({ proxy: { kind: 'none' } }), 'x');
      const r = find(f, 'tls-redirect')!;
      expect(r.status).toBe('fail');
      expect(r.fix).toBe(
        `Use https://127.0.0.1:${selfSigned.port} as the server URL (cvat-sync login --server https://127.0.0.1:${selfSigned.port}).`,
      );
    } finally {
      await new Promise<void>((r) => redirector.close(() => r()));
    }
  });
});

describe('doctor: proxies', () => {
  it('through a working proxy: the way is named', async () => {
    const proxy = await startTinyproxy();
    try {
      const f = await doctor(
        plain,
        net({ proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port } } }),
      );
      expect(find(f, 'proxy')).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining(`via proxy 127.0.0.1:${proxy.port}`),
      });
      expect(find(f, 'auth')?.status).toBe('ok');
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that refuses CONNECT: the fix names the proxy setting to change', async () => {
    const proxy = await startTinyproxy({ connectPorts: [443] });
    try {
      const f = await doctor(
        selfSigned,
        net({ proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port } } }),
      );
      const p = find(f, 'proxy')!;
      expect(p.status).toBe('fail');
      expect(p.detail).toContain('refused to open a tunnel (CONNECT)');
      expect(p.fix).toContain(`CONNECT to port ${selfSigned.port}`);
      expect(p.fix).toContain('ConnectPort');
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that strips Authorization: found from CVAT’s "not provided" answer', async () => {
    // tinyproxy's Anonymous mode forwards only the headers it lists.
    const proxy = await startTinyproxy({
      anonymousHeaders: [
        'Host',
        'Accept',
        'User-Agent',
        'Origin',
        'Content-Type',
        'Content-Length',
      ],
    });
    try {
      const f = await doctor(
        plain,
        net({ proxy: { kind: 'manual', proxy: { host: proxy.host, port: proxy.port } } }),
      );
      const p = find(f, 'proxy-authorization')!;
      expect(p.status).toBe('fail');
      expect(p.detail).toContain(
        `the proxy (127.0.0.1:${proxy.port}) removes the Authorization header`,
      );
      expect(p.fix).toMatch(/https:\/\//);
      expect(find(f, 'auth')?.status).toBe('fail');
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that limits body size (squid request_body_max_size): the fix names it', async () => {
    const squid = await startSquid({ maxBodyMiB: 1 });
    try {
      const f = await doctor(
        plain,
        net({ proxy: { kind: 'manual', proxy: { host: squid.host, port: squid.port } } }),
      );
      const b = find(f, 'body-limit')!;
      expect(b.status).toBe('fail');
      expect(b.detail).toContain('refused with 413');
      expect(b.fix).toContain(
        `on the proxy (127.0.0.1:${squid.port}; squid: request_body_max_size)`,
      );
      expect(find(f, 'auth')?.status).toBe('ok');
    } finally {
      await squid.close();
    }
  });
});
