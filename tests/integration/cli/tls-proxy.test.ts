// The command line over https and proxies: login prints the certificate and accepts
// --trust-fingerprint, --ca-file trusts an internal CA, `settings set proxy` routes every later
// command through tinyproxy, and the proxy password is never an argument.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { startTinyproxy } from '../net/tinyproxy.js';
import type { Tinyproxy } from '../net/tinyproxy.js';
import { runCli } from './run-cli.js';

let selfSigned: CvatTestServer;
let withCa: CvatTestServer;
let proxy: Tinyproxy;
let work: string;

beforeAll(async () => {
  selfSigned = await startCvatServer({ seed: 101, tls: { kind: 'self-signed' } });
  withCa = await startCvatServer({ seed: 102, tls: { kind: 'ca' } });
  proxy = await startTinyproxy({ auth: { username: 'lab', password: 'pw' } });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-cli-tls-'));
});
afterAll(async () => {
  await proxy?.close();
  await selfSigned?.close();
  await withCa?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('cvat-sync over https', () => {
  it('login prints an untrusted certificate, then trusts it with --trust-fingerprint', async () => {
    const home = join(work, 'pin');
    const args = ['login', '--server', selfSigned.url, '--auth', 'alice', '--password-stdin'];
    const env = { CVAT_SYNC_HOME: home };
    const refused = await runCli(args, { env, input: 'alice-pass' });
    const fp = selfSigned.certificates!.fingerprint;
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('is not trusted');
    expect(refused.stderr).toMatch(/subject: +O=CVAT test server, CN=127\.0\.0\.1/);
    expect(refused.stderr).toMatch(/issuer: +O=CVAT test server, CN=127\.0\.0\.1/);
    expect(refused.stderr).toMatch(/valid: +\d{4}-\d\d-\d\dT.* to \d{4}-/);
    expect(refused.stderr).toContain(`fingerprint: ${fp}`);
    expect(refused.stderr).toContain(`--trust-fingerprint ${fp}`);

    const bad = await runCli([...args, '--trust-fingerprint', 'SHA256:12'], { env, input: 'x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('64 hex digits');

    const ok = await runCli([...args, '--trust-fingerprint', fp], { env, input: 'alice-pass' });
    expect(ok.stderr).toBe(`Trusting the certificate ${fp} for ${selfSigned.url}.\n`);
    expect(ok.code).toBe(0);
    // Later commands use the saved trust without asking.
    const ls = await runCli(['tasks', 'ls', '--json'], { env });
    expect(ls.code).toBe(0);
  });

  it('--ca-file trusts a server signed by an internal CA', async () => {
    const ca = join(work, 'ca.pem');
    writeFileSync(ca, withCa.certificates!.caPem!);
    const env = { CVAT_SYNC_HOME: join(work, 'ca'), CVAT_ACCESS_TOKEN: withCa.users.alice.token };
    const without = await runCli(['login', '--server', withCa.url], { env });
    expect(without.code).not.toBe(0);
    expect(without.stderr).toContain('issuer:      O=CVAT Sync tests, CN=Test Root CA');
    const withFile = await runCli(['login', '--server', withCa.url, '--ca-file', ca], { env });
    expect(withFile.stderr).toBe('');
    expect(withFile.code).toBe(0);
    const missing = await runCli(['login', '--server', withCa.url, '--ca-file', join(work, 'no')], {
      env,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot read the CA file');
  });

  it('settings set proxy routes later commands through the proxy; the password comes on stdin', async () => {
    const home = join(work, 'proxied');
    const env = { CVAT_SYNC_HOME: home };
    const fp = selfSigned.certificates!.fingerprint;
    expect(
      (await runCli(['settings', 'set', 'proxy', `${proxy.host}:${proxy.port}`], { env })).code,
    ).toBe(0);
    expect((await runCli(['settings', 'set', 'proxy-user', 'lab'], { env })).code).toBe(0);
    const onCmdline = await runCli(['settings', 'set', 'proxy-password', 'pw'], { env });
    expect(onCmdline.code).toBe(2);
    expect(onCmdline.stderr).toContain('readable by every local user');

    const login = ['login', '--server', selfSigned.url, '--trust-fingerprint', fp];
    const noPassword = await runCli(login, {
      env: { ...env, CVAT_ACCESS_TOKEN: selfSigned.users.alice.token },
    });
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain(
      `The proxy 127.0.0.1:${proxy.port} rejected the user name or password of "lab"`,
    );

    expect(
      (await runCli(['settings', 'set', 'proxy-password', '-'], { env, input: 'pw\n' })).code,
    ).toBe(0);
    const shown = await runCli(['settings', 'get', 'proxy-password'], { env });
    expect(shown.stdout.trim()).toBe('(saved)');
    const through = proxy.bytes.up;
    const ok = await runCli(login, {
      env: { ...env, CVAT_ACCESS_TOKEN: selfSigned.users.alice.token },
    });
    expect(ok.code).toBe(0);
    expect(proxy.bytes.up).toBeGreaterThan(through);
    const doctor = await runCli(['doctor'], { env });
    expect(doctor.stdout).toContain(`via proxy 127.0.0.1:${proxy.port}`);
    expect(doctor.stdout).toMatch(/\[ok {2}\] Server certificate/);
    expect(doctor.code).toBe(0);
  });
});
