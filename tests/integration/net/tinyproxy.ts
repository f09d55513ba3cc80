// A real HTTP proxy on loopback for the tests: Debian's tinyproxy (.ci/run installs it), started
// on a free port with a generated config. A byte-counting relay sits in front of it so a test
// can prove that the traffic went through the proxy, not around it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyproxyOptions {
  /** BasicAuth user and password the proxy demands. */
  auth?: { username: string; password: string };
  /** Ports CONNECT may reach; omitted: every port. [0]: CONNECT refused altogether. */
  connectPorts?: number[];
  /** MaxRequestSize is not in tinyproxy; headers removed from forwarded requests (plain http). */
  anonymousHeaders?: string[];
}

export interface Tinyproxy {
  /** The relay's address, what clients use as their proxy. */
  host: string;
  port: number;
  url: string;
  /** Bytes that went client → proxy and proxy → client through the relay. */
  bytes: { up: number; down: number };
  /** tinyproxy's log so far (CONNECT and request lines). */
  log(): string;
  /** Cuts every connection through the relay at once (a network failure). */
  cutAll(): void;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, out: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited: ${out()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`tinyproxy did not listen on ${port}: ${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<Tinyproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tinyproxy-'));
  const port = await freePort();
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 600',
    'MaxClients 64',
    'Allow 127.0.0.1',
    'LogLevel Connect',
    'DisableViaHeader Yes',
  ];
  if (options.auth) lines.push(`BasicAuth ${options.auth.username} ${options.auth.password}`);
  for (const p of options.connectPorts ?? []) lines.push(`ConnectPort ${p}`);
  for (const h of options.anonymousHeaders ?? []) lines.push(`Anonymous "${h}"`);
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let output = '';
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) =>
      reject(new Error(`cannot start tinyproxy (apt-get install tinyproxy): ${e.message}`)),
    );
  });
  await spawned;
  await waitForPort(port, child, () => output);

  const bytes = { up: 0, down: 0 };
  const open = new Set<Socket>();
  const relay: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    client.on('data', (c: Buffer) => (bytes.up += c.length));
    upstream.on('data', (c: Buffer) => (bytes.down += c.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  const relayPort = (relay.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port: relayPort,
    url: `http://127.0.0.1:${relayPort}`,
    bytes,
    log: () => output,
    cutAll() {
      for (const s of open) s.destroy();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => relay.close(() => r()));
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
