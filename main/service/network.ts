// The service's network: the proxy and CA settings, the proxy password (kept like the token)
// and the certificates trusted for the signed-in server become one NetStack per combination,
// shared by every client the connection builds so that sockets are reused.
import type { Settings } from '../../preload/contract.js';
import { SyncError } from '../core/errors.js';
import { NetStack } from '../cvat/net-stack.js';
import type { NetOptions, ProxyResolver } from '../cvat/net-stack.js';
import { splitNoProxy } from '../cvat/proxy-rules.js';
import type { PinnedCertificate } from '../cvat/tls-trust.js';
import { normaliseFingerprint } from '../cvat/tls-trust.js';

export type NetworkSettings = Pick<
  Settings,
  'proxyMode' | 'proxyHost' | 'proxyPort' | 'proxyUser' | 'noProxy' | 'caFile'
>;

export function netOptions(
  s: NetworkSettings,
  proxyPassword: string | null,
  pins: readonly PinnedCertificate[],
  resolveProxy: ProxyResolver | undefined,
  extraCaFiles: readonly string[] = [],
): NetOptions {
  const trust = { caFiles: [...(s.caFile ? [s.caFile] : []), ...extraCaFiles], pins };
  if (s.proxyMode === 'none') return { proxy: { kind: 'none' }, trust };
  if (s.proxyMode === 'system')
    return {
      proxy: resolveProxy ? { kind: 'resolver', resolve: resolveProxy } : { kind: 'env' },
      trust,
    };
  if (!s.proxyHost || !s.proxyPort) {
    throw new SyncError('The manual proxy needs a host and a port.', {
      code: 'invalid-argument',
      kind: 'fatal',
      operation: 'configure proxy',
      hint: 'Set both (cvat-sync settings set proxy HOST:PORT), or choose the system proxy or none.',
    });
  }
  return {
    proxy: {
      kind: 'manual',
      proxy: {
        host: s.proxyHost,
        port: s.proxyPort,
        ...(s.proxyUser ? { username: s.proxyUser, password: proxyPassword ?? '' } : {}),
      },
      noProxy: splitNoProxy(s.noProxy),
    },
    trust,
  };
}

/** host and port of a server URL, as pins are keyed. */
export function hostPortOf(server: string): { host: string; port: number } {
  const u = new URL(server);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(),
    port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80,
  };
}

/** The pins for `server` after the user trusted `fingerprint` (replacing any older one). */
export function withPin(
  pins: readonly PinnedCertificate[] | undefined,
  server: string,
  fingerprint: string,
): PinnedCertificate[] {
  const { host, port } = hostPortOf(server);
  const fp = normaliseFingerprint(fingerprint);
  return [
    ...(pins ?? []).filter((p) => !(p.host === host && p.port === port)),
    { host, port, fingerprint: fp },
  ];
}

export class Network {
  private cache = new Map<string, NetStack>();

  constructor(
    private settings: NetworkSettings,
    private proxyPassword: string | null,
    private readonly resolveProxy: ProxyResolver | undefined,
    private readonly extraCaFiles: readonly string[] = [],
  ) {}

  /** New settings or password: clients built from now on get a new stack. Running transfers
   * keep theirs until the connection rebuilds its client (idle sockets time out). */
  update(settings: NetworkSettings, proxyPassword: string | null): void {
    this.settings = settings;
    this.proxyPassword = proxyPassword;
    this.cache.clear();
  }

  stackFor(pins: readonly PinnedCertificate[]): NetStack {
    const key = JSON.stringify(pins);
    let stack = this.cache.get(key);
    if (!stack) {
      stack = new NetStack(
        netOptions(this.settings, this.proxyPassword, pins, this.resolveProxy, this.extraCaFiles),
      );
      this.cache.set(key, stack);
    }
    return stack;
  }

  close(): void {
    for (const s of this.cache.values()) s.close();
    this.cache.clear();
  }
}
