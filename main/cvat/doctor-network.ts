// The doctor's findings about the way to the server: the proxy (none, refusing CONNECT, asking
// for credentials, stripping Authorization, limiting bodies) and TLS (untrusted issuer with the
// fingerprint to trust, expired, another host name, changed, failed handshake, http→https).
import type { SyncError } from '../core/errors.js';
import { isSyncError } from '../core/errors.js';
import type { DoctorFinding } from './doctor.js';
import type { NetStack } from './net-stack.js';

/** Through which proxy requests leave this machine; null when they go direct. */
export function routeFinding(net: NetStack, server: string): DoctorFinding | null {
  if (net.describeRoute(server) === 'direct') return null;
  return {
    id: 'proxy',
    title: 'Way to the server',
    status: 'ok',
    detail: `Requests to ${new URL(server).origin} go ${net.describeRoute(server)}.`,
  };
}

const TLS_FIX: Record<string, string> = {
  'tls-expired':
    'The server administrator must renew the certificate (and check both machines’ clocks).',
  'tls-hostname':
    'Use the host name the certificate is for as the server URL, or have the administrator add this name to the certificate.',
  'tls-handshake':
    'Check that the server speaks https on this port (or use http://), supports TLS 1.2+, and that no firewall intercepts it.',
};

/** A failure before any HTTP answer, as findings; null when it is not about proxy or TLS. */
export function connectFailure(e: unknown): DoctorFinding | null {
  if (!isSyncError(e)) return null;
  const err: SyncError = e;
  if (err.code.startsWith('proxy-')) {
    return {
      id: 'proxy',
      title: 'Way to the server',
      status: 'fail',
      detail: err.message,
      fix: err.hint ?? 'Check the proxy setting.',
    };
  }
  if (!err.code.startsWith('tls-')) return null;
  const c = err.certificate;
  const cert = c
    ? ` Subject ${c.subject}; issuer ${c.issuer}; valid ${c.validFrom} to ${c.validTo}; fingerprint ${c.fingerprint}.`
    : '';
  return {
    id: 'tls',
    title: 'Server certificate',
    status: 'fail',
    detail: `${err.message}${err.code === 'tls-untrusted' || err.code === 'tls-changed' ? '' : cert}`,
    fix:
      err.code === 'tls-untrusted' || err.code === 'tls-changed'
        ? (err.hint ?? '')
        : (TLS_FIX[err.code] ?? err.hint ?? ''),
  };
}

/** https answered: the certificate is trusted (by the system, a CA file, or a pin). */
export function tlsOk(server: string): DoctorFinding | null {
  if (!server.startsWith('https:')) return null;
  return {
    id: 'tls',
    title: 'Server certificate',
    status: 'ok',
    detail: `The certificate of ${new URL(server).host} is trusted and matches its name.`,
  };
}

/** http:// that redirects to https:// on the same host: the classic wrong server URL. */
export function httpsRedirect(server: string, location: string | undefined): DoctorFinding | null {
  if (!location || !server.startsWith('http:')) return null;
  let to: URL;
  try {
    to = new URL(location, server);
  } catch {
    return null;
  }
  if (to.protocol !== 'https:' || to.hostname !== new URL(server).hostname) return null;
  return {
    id: 'tls-redirect',
    title: 'Server address uses http',
    status: 'fail',
    detail: `${server} redirects to ${to.origin}: the server wants https, and credentials must not be sent over http first.`,
    fix: `Use ${to.origin} as the server URL (cvat-sync login --server ${to.origin}).`,
  };
}

/**
 * The token was sent but CVAT says none arrived (Django REST framework's NotAuthenticated,
 * "Authentication credentials were not provided."): something between us removed the header.
 */
export function strippedAuthorization(
  net: NetStack,
  server: string,
  status: number,
  body: string,
): DoctorFinding | null {
  if (status !== 401 || !/credentials were not provided/i.test(body)) return null;
  const route = net.describeRoute(server);
  return {
    id: 'proxy-authorization',
    title: 'Authorization header reaches CVAT',
    status: 'fail',
    detail: `The credentials were sent, but CVAT answered that none arrived: ${route === 'direct' ? 'a reverse proxy in front of CVAT' : `the proxy (${route.replace(/^via proxy /, '')})`} removes the Authorization header.`,
    fix:
      route === 'direct'
        ? 'Make the reverse proxy pass the Authorization header through to CVAT (Apache: CGIPassAuth On / RequestHeader; nginx passes it by default).'
        : 'Use an https:// server URL so the header travels inside the tunnel, or have the proxy pass Authorization through (tinyproxy: add it to the Anonymous list).',
  };
}

/** The body-limit fix when the requests go through a forward proxy too. */
export function bodyLimitFix(net: NetStack, server: string, probeMiB: string): string | null {
  const route = net.describeRoute(server);
  if (route === 'direct') return null;
  return `Raise the body limit above ${probeMiB} on the proxy (${route.replace(/^via proxy /, '')}; squid: request_body_max_size) or on the reverse proxy in front of CVAT (nginx: client_max_body_size), or lower the chunk size in Settings.`;
}
