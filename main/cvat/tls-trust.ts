// Which server certificates we accept: what the system trusts (Node's roots plus the OS bundle),
// extra CA files (the setting, --ca-file, NODE_EXTRA_CA_CERTS), and single certificates the user
// trusted on first use by their SHA-256 fingerprint. There is deliberately no "accept anything".
// The check runs after the handshake and before any byte of a request is written (net-agent.ts).
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { PeerCertificate, SecureContext, TLSSocket } from 'node:tls';
import type { CertificateInfo } from '../core/errors.js';
import { SyncError } from '../core/errors.js';

/** A certificate trusted for one server (host and port), by fingerprint. */
export interface PinnedCertificate {
  host: string;
  port: number;
  fingerprint: string;
}

export interface TrustOptions {
  /** Paths of PEM files with extra CA certificates. */
  caFiles?: readonly string[];
  pins?: readonly PinnedCertificate[];
  /** Defaults to process.env (NODE_EXTRA_CA_CERTS). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Read the OS bundle too (default true). */
  systemBundle?: boolean;
}

// Where Linux distributions keep the system's CA bundle (the list curl and Go use).
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/** `SHA256:AB:CD:…` from any spelling: with or without the prefix, colons, any case. */
export function normaliseFingerprint(text: string): string {
  const hex = text
    .trim()
    .replace(/^sha-?256[:=\s]*/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex))
    throw new Error(
      `"${text}" is not a SHA-256 fingerprint (expected SHA256: followed by 64 hex digits)`,
    );
  return `SHA256:${hex.match(/../g)!.join(':')}`;
}

function readPemFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SyncError(`Cannot read the ${what} ${path}: ${(e as Error).message}`, {
      code: 'ca-file',
      kind: 'fatal',
      operation: 'load CA certificates',
      hint: 'Point the CA setting (--ca-file) at a readable PEM file, or remove it.',
    });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new SyncError(`The ${what} ${path} holds no PEM certificate.`, {
      code: 'ca-file',
      kind: 'fatal',
      operation: 'load CA certificates',
      hint: 'Use a file with "-----BEGIN CERTIFICATE-----" blocks (convert DER with openssl x509 -inform der).',
    });
  return text;
}

function nameOf(n: PeerCertificate['subject'] | undefined): string {
  if (!n) return '';
  return Object.entries(n)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

export function describeCertificate(cert: PeerCertificate): CertificateInfo {
  return {
    subject: nameOf(cert.subject),
    issuer: nameOf(cert.issuer),
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: new Date(cert.valid_to).toISOString(),
    fingerprint: `SHA256:${cert.fingerprint256}`,
    altNames: cert.subjectaltname ?? '',
  };
}

export class Trust {
  readonly context: SecureContext;
  private readonly pins: PinnedCertificate[];

  constructor(options: TrustOptions = {}) {
    const env = options.env ?? process.env;
    const ca: string[] = [...rootCertificates];
    if (options.systemBundle !== false) {
      for (const path of SYSTEM_BUNDLES) {
        try {
          ca.push(readFileSync(path, 'utf8'));
          break;
        } catch {
          // not on this system
        }
      }
    }
    const extra = env.NODE_EXTRA_CA_CERTS;
    if (extra) ca.push(readPemFile(extra, 'NODE_EXTRA_CA_CERTS file'));
    for (const f of options.caFiles ?? []) ca.push(readPemFile(f, 'CA file'));
    this.context = createSecureContext({ ca });
    this.pins = (options.pins ?? []).map((p) => ({
      ...p,
      host: p.host.toLowerCase(),
      fingerprint: normaliseFingerprint(p.fingerprint),
    }));
  }

  pinFor(host: string, port: number): string | null {
    const h = host.toLowerCase();
    return this.pins.find((p) => p.host === h && p.port === port)?.fingerprint ?? null;
  }

  /** Null when the peer of `socket` (handshake done) is trusted for host:port, else the error. */
  check(socket: TLSSocket, host: string, port: number): SyncError | null {
    const cert = socket.getPeerCertificate(false);
    const where = `${host}:${port}`;
    if (!cert || !cert.raw) {
      return new SyncError(`The server ${where} sent no TLS certificate.`, {
        code: 'tls-handshake',
        kind: 'fatal',
        operation: 'TLS handshake',
        hint: 'Check that this address is the CVAT server and not another service.',
      });
    }
    const info = describeCertificate(cert);
    const pin = this.pinFor(host, port);
    if (pin && pin === info.fingerprint) return null;
    const reason = socket.authorized ? null : String(socket.authorizationError ?? 'unknown');
    if (reason === null) return null; // chain and name check out, pinned or not
    if (pin) return certificateChanged(where, pin, info);
    return untrustedCertificate(where, reason, info);
  }
}

const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

export function untrustedCertificate(
  where: string,
  reason: string,
  info: CertificateInfo,
): SyncError {
  const trustHint = `If your CVAT administrator confirms the fingerprint ${info.fingerprint}, trust it (cvat-sync login --trust-fingerprint ${info.fingerprint}, or "Trust this certificate" in the app), or add your organisation's CA certificate (--ca-file).`;
  if (EXPIRED.has(reason)) {
    return new SyncError(
      `The certificate of ${where} ${reason === 'CERT_NOT_YET_VALID' ? `is not valid before ${info.validFrom}` : `expired on ${info.validTo}`}.`,
      {
        code: 'tls-expired',
        kind: 'fatal',
        operation: 'TLS handshake',
        hint: 'The server administrator must renew the certificate (and check the clocks of both machines).',
        certificate: info,
      },
    );
  }
  if (NAME.has(reason)) {
    return new SyncError(
      `The certificate of ${where} is for ${info.altNames || info.subject}, not for ${where.replace(/:\d+$/, '')}.`,
      {
        code: 'tls-hostname',
        kind: 'fatal',
        operation: 'TLS handshake',
        hint: 'Use the server address the certificate names, or have the administrator add this name to the certificate.',
        certificate: info,
      },
    );
  }
  return new SyncError(
    `The certificate of ${where} is not trusted (${reason}): issued to ${info.subject} by ${info.issuer}, fingerprint ${info.fingerprint}.`,
    {
      code: 'tls-untrusted',
      kind: 'fatal',
      operation: 'TLS handshake',
      hint: trustHint,
      certificate: info,
    },
  );
}

export function certificateChanged(
  where: string,
  trusted: string,
  info: CertificateInfo,
): SyncError {
  return new SyncError(
    `The certificate of ${where} CHANGED: you trusted ${trusted}, the server now presents ${info.fingerprint} (issued to ${info.subject} by ${info.issuer}). Nothing was sent.`,
    {
      code: 'tls-changed',
      kind: 'fatal',
      operation: 'TLS handshake',
      hint: `This is what an interception looks like. Ask your CVAT administrator whether the certificate was replaced; only then trust the new one (cvat-sync login --trust-fingerprint ${info.fingerprint}).`,
      certificate: info,
    },
  );
}
