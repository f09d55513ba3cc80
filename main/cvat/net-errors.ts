// Errors of the way to the server (proxy, TLS), each one message with its fix.
import { SyncError } from '../core/errors.js';
import type { ProxyEndpoint } from './proxy-rules.js';
import { proxyLabel } from './proxy-rules.js';

const PROXY_SETTING =
  'the proxy setting (cvat-sync settings set proxy HOST:PORT, or Settings → Proxy in the app) or HTTPS_PROXY / http_proxy';

export function proxyUnreachable(proxy: ProxyEndpoint, cause: unknown): SyncError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ECONNREFUSED'
      ? 'nothing listens there'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code === 'ETIMEDOUT'
          ? 'no answer'
          : ((cause as Error | undefined)?.message ?? 'unknown');
  return new SyncError(
    `Cannot reach the proxy ${proxyLabel(proxy)}: ${why}${code ? ` (${code})` : ''}.`,
    {
      code: 'proxy-unreachable',
      // A proxy that is down now may be up later; the transfers wait and resume.
      kind: 'transient',
      operation: 'connect to proxy',
      status: 0,
      hint: `Check the proxy address in ${PROXY_SETTING}; to go around the proxy for this server, add it to NO_PROXY.`,
      cause,
    },
  );
}

export function proxyAuthFailed(proxy: ProxyEndpoint): SyncError {
  return new SyncError(
    proxy.username
      ? `The proxy ${proxyLabel(proxy)} rejected the user name or password of "${proxy.username}" (407).`
      : `The proxy ${proxyLabel(proxy)} asks for a user name and password (407).`,
    {
      code: 'proxy-auth',
      kind: 'fatal',
      operation: 'connect to proxy',
      status: 407,
      hint: 'Set the proxy user and password (cvat-sync settings set proxy-user NAME and proxy-password, or Settings → Proxy), as your IT department gave them.',
    },
  );
}

export function proxyRefusedTunnel(
  proxy: ProxyEndpoint,
  target: string,
  status: number,
  statusText: string,
): SyncError {
  return new SyncError(
    `The proxy ${proxyLabel(proxy)} refused to open a tunnel (CONNECT) to ${target}: ${status} ${statusText}.`.trim(),
    {
      code: 'proxy-refused',
      kind: 'fatal',
      operation: 'connect to proxy',
      status,
      hint: `The proxy must allow CONNECT to port ${target.replace(/^.*:/, '')} (tinyproxy: ConnectPort, squid: SSL_ports); ask its administrator, or add this server to NO_PROXY if it is reachable directly.`,
    },
  );
}

export function proxyBrokeTunnel(proxy: ProxyEndpoint, target: string, why: string): SyncError {
  return new SyncError(
    `The proxy ${proxyLabel(proxy)} closed the connection while opening a tunnel to ${target} (${why}).`,
    {
      code: 'proxy-refused',
      kind: 'transient',
      operation: 'connect to proxy',
      status: 0,
      hint: `Check that ${proxyLabel(proxy)} is an HTTP proxy (not SOCKS) and allows CONNECT.`,
    },
  );
}

/** The TLS handshake itself failed: no certificate to judge. */
export function tlsHandshakeFailed(target: string, cause: unknown): SyncError {
  const e = cause as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  const text = e?.message ?? String(cause);
  const plainHttp = /wrong version number|packet length too long|http request/i.test(text);
  const reset = code === 'ECONNRESET' || code === 'EPIPE';
  return new SyncError(
    plainHttp
      ? `The TLS handshake with ${target} failed: the server does not speak https on this port.`
      : reset
        ? `The TLS handshake with ${target} failed: the connection was reset (${code}).`
        : `The TLS handshake with ${target} failed (${code ?? text}).`,
    {
      code: 'tls-handshake',
      // A reset during the handshake is often a flaky network; a protocol error is not.
      kind: reset ? 'transient' : 'fatal',
      operation: 'TLS handshake',
      status: 0,
      hint: plainHttp
        ? 'Use http:// for this server, or the port its https listens on.'
        : reset
          ? 'Either the server does not speak https on this port (try http://) or a firewall or proxy cut the connection; it is retried in case the network was at fault.'
          : 'Check that the server supports TLS 1.2 or later and that no firewall or proxy intercepts https; it is retried if the network was at fault.',
      cause,
    },
  );
}
