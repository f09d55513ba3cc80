// Certificates the test server makes at start with the openssl command (Node has no certificate
// generator): self-signed, or signed by a test CA made alongside. CVAT itself is served over
// https by its reverse proxy with whatever certificate the site has (cvat-ai/cvat:
// docker-compose.https.yml, Traefik with a certificate resolver); self-signed and internal-CA
// certificates are what self-hosted sites use.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertificateSpec {
  /** 'self-signed': the server certificate signs itself; 'ca': a test CA signs it. */
  kind: 'self-signed' | 'ca';
  /** Names the certificate is for (default 127.0.0.1 and localhost). */
  hosts?: string[];
  commonName?: string;
  /** Valid only in the past (2020-01-01 .. 2020-01-02). */
  expired?: boolean;
}

export interface TestCertificates {
  certPem: string;
  keyPem: string;
  /** The CA's certificate (kind 'ca'): what a client adds with --ca-file. */
  caPem: string | null;
  /** `SHA256:AB:…` of the server certificate. */
  fingerprint: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function caConfig(dir: string): string {
  const path = join(dir, 'ca.cnf');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  writeFileSync(
    path,
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir',
      'serial = $dir/serial',
      'default_md = sha256',
      'policy = any',
      'copy_extensions = copy',
      'unique_subject = no',
      '[any]',
      'organizationName = optional',
      'commonName = supplied',
      '[leaf]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      '[root]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      '',
    ].join('\n'),
  );
  return path;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makeCertificates(spec: CertificateSpec): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'cvat-test-certs-'));
  try {
    const cnf = caConfig(dir);
    const hosts = spec.hosts ?? ['127.0.0.1', 'localhost'];
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    const cn = spec.commonName ?? hosts[0] ?? 'cvat-test';
    const dates = spec.expired
      ? ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']
      : ['-days', '30'];
    let caPem: string | null = null;
    if (spec.kind === 'ca') {
      openssl(dir, [
        'req',
        '-new',
        ...KEY,
        '-keyout',
        'ca.key',
        '-out',
        'ca.csr',
        '-subj',
        '/O=CVAT Sync tests/CN=Test Root CA',
      ]);
      openssl(dir, [
        'ca',
        '-batch',
        '-config',
        cnf,
        '-selfsign',
        '-keyfile',
        'ca.key',
        '-in',
        'ca.csr',
        '-out',
        'ca.pem',
        '-extensions',
        'root',
        '-days',
        '30',
        '-notext',
      ]);
      caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
    }
    openssl(dir, [
      'req',
      '-new',
      ...KEY,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      `/O=CVAT test server/CN=${cn}`,
      '-addext',
      `subjectAltName=${san}`,
    ]);
    const signer =
      spec.kind === 'ca'
        ? ['-cert', 'ca.pem', '-keyfile', 'ca.key']
        : ['-selfsign', '-keyfile', 'server.key'];
    openssl(dir, [
      'ca',
      '-batch',
      '-config',
      cnf,
      ...signer,
      '-in',
      'server.csr',
      '-out',
      'server.pem',
      '-extensions',
      'leaf',
      ...dates,
      '-notext',
    ]);
    const certPem = readFileSync(join(dir, 'server.pem'), 'utf8');
    const fingerprint = `SHA256:${new X509Certificate(certPem).fingerprint256}`;
    return { certPem, keyPem: readFileSync(join(dir, 'server.key'), 'utf8'), caPem, fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
