// The one connection maker behind every request (API calls, bulk and TUS uploads, downloads,
// previews, the doctor): an http.Agent that goes through the chosen proxy and checks the
// server's certificate against our trust before the request is written.
//   https: CONNECT host:port through the proxy (or a direct TCP connection), then TLS over it.
//   http:  straight to the proxy with the request in absolute form (as curl does), else direct.
// Node's http.Agent accepts a socket handed over later through createConnection's callback,
// so the tunnel and the certificate check complete before the request writes a byte.
import { Agent } from 'node:http';
import type { ClientRequest, ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect as tcpConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import {
  proxyAuthFailed,
  proxyBrokeTunnel,
  proxyRefusedTunnel,
  proxyUnreachable,
  tlsHandshakeFailed,
} from './net-errors.js';
import type { ProxyEndpoint } from './proxy-rules.js';
import type { Trust } from './tls-trust.js';

export interface Route {
  /** Which proxy (null: direct) serves a URL. */
  proxyFor(url: URL): ProxyEndpoint | null;
  trust: Trust;
  /** How long connecting (TCP + CONNECT + TLS) may take. */
  connectTimeoutMs: number;
}

interface ConnectOptions {
  host?: string;
  hostname?: string;
  port?: number | string;
  [PROXY]?: ProxyEndpoint | null;
}

const PROXY = Symbol('proxy');

export function basicProxyAuth(p: ProxyEndpoint): string | null {
  if (!p.username) return null;
  return `Basic ${Buffer.from(`${p.username}:${p.password ?? ''}`, 'utf8').toString('base64')}`;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export class NetAgent extends Agent {
  readonly secure: boolean;

  constructor(
    private readonly route: Route,
    secure: boolean,
  ) {
    super({ keepAlive: true, keepAliveMsecs: 1_000 });
    this.secure = secure;
    // http.request / https.request check the agent's protocol against the URL's.
    (this as unknown as { protocol: string; defaultPort: number }).protocol = secure
      ? 'https:'
      : 'http:';
    (this as unknown as { defaultPort: number }).defaultPort = secure ? 443 : 80;
  }

  /** Plain http through a proxy: the request line carries the whole URL. */
  addRequest(req: ClientRequest, options: ConnectOptions): void {
    const host = String(options.hostname ?? options.host ?? 'localhost');
    const port = Number(options.port ?? (this.secure ? 443 : 80));
    const url = new URL(`${this.secure ? 'https' : 'http'}://${hostPort(host, port)}/`);
    const proxy = this.route.proxyFor(url);
    const opts: ConnectOptions = { ...options, [PROXY]: proxy };
    if (proxy && !this.secure) {
      req.path = `http://${hostPort(host, port)}${req.path}`;
      const auth = basicProxyAuth(proxy);
      if (auth) req.setHeader('Proxy-Authorization', auth);
      // Proxies often close the client side after each answer without saying so (tinyproxy
      // does): a reused socket then fails the next request. One connection per request.
      req.setHeader('Connection', 'close');
      (req as unknown as { shouldKeepAlive: boolean }).shouldKeepAlive = false;
    }
    (
      Agent.prototype as unknown as { addRequest(r: ClientRequest, o: unknown): void }
    ).addRequest.call(this, req, opts);
  }

  // Sockets to a proxy are pooled apart from direct ones of the same target.
  override getName(options?: ConnectOptions): string {
    const base = super.getName(options as never);
    const p = options?.[PROXY];
    return p ? `${base}|via ${hostPort(p.host, p.port)}` : base;
  }

  override createConnection(
    options: ClientRequestArgs,
    done?: (err: Error | null, s: Duplex) => void,
  ): Duplex | null | undefined {
    const o = options as ConnectOptions;
    const host = String(o.hostname ?? o.host ?? 'localhost');
    const port = Number(o.port ?? (this.secure ? 443 : 80));
    openSocket(this.route, host, port, this.secure, o[PROXY] ?? null).then(
      (s) => done?.(null, s),
      (e: Error) => done?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

function withTimeout<T>(
  ms: number,
  start: (settle: (err: Error | null, v?: T) => void) => () => void,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup: () => void = () => undefined;
    const timer = setTimeout(() => settle(onTimeout()), ms);
    function settle(err: Error | null, v?: T): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      if (err) reject(err);
      else resolve(v as T);
    }
    cleanup = start(settle);
  });
}

function connectTcp(
  host: string,
  port: number,
  ms: number,
  proxy: ProxyEndpoint | null,
): Promise<Socket> {
  return withTimeout<Socket>(
    ms,
    (settle) => {
      const s = tcpConnect({ host, port });
      const onError = (e: Error) => {
        s.destroy();
        settle(proxy ? proxyUnreachable(proxy, e) : e);
      };
      s.once('error', onError);
      s.once('connect', () => {
        s.off('error', onError);
        settle(null, s);
      });
      return () => undefined;
    },
    () => {
      const e = Object.assign(new Error(`connect ETIMEDOUT ${hostPort(host, port)}`), {
        code: 'ETIMEDOUT',
      });
      return proxy ? proxyUnreachable(proxy, e) : e;
    },
  );
}

/** CONNECT host:port over `socket`; resolves once the proxy answered 200. */
function tunnel(
  socket: Socket,
  proxy: ProxyEndpoint,
  host: string,
  port: number,
  ms: number,
): Promise<void> {
  const target = hostPort(host, port);
  return withTimeout<void>(
    ms,
    (settle) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 16 * 1024) settle(proxyBrokeTunnel(proxy, target, 'answer too long'));
          return;
        }
        socket.off('data', onData);
        const m = /^HTTP\/1\.[01] (\d{3}) ?([^\r\n]*)/.exec(
          head.subarray(0, end).toString('latin1'),
        );
        const status = m ? Number(m[1]) : 0;
        if (status >= 200 && status < 300) {
          const rest = head.subarray(end + 4);
          if (rest.length > 0) socket.unshift(rest);
          return settle(null);
        }
        socket.destroy();
        // 407 is the standard answer; tinyproxy answers a CONNECT with wrong credentials 401.
        // Either way the server was not reached: it is the proxy's authentication.
        if (status === 407 || status === 401) return settle(proxyAuthFailed(proxy));
        if (status === 0) return settle(proxyBrokeTunnel(proxy, target, 'not an HTTP answer'));
        settle(proxyRefusedTunnel(proxy, target, status, m?.[2] ?? ''));
      };
      const onEnd = () => settle(proxyBrokeTunnel(proxy, target, 'closed before answering'));
      const onError = (e: Error) => settle(proxyUnreachable(proxy, e));
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.once('error', onError);
      const auth = basicProxyAuth(proxy);
      socket.write(
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`,
      );
      return () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.off('error', onError);
      };
    },
    () => {
      socket.destroy();
      return proxyBrokeTunnel(proxy, target, 'no answer to CONNECT');
    },
  );
}

function handshake(
  route: Route,
  host: string,
  port: number,
  socket: Socket | null,
): Promise<TLSSocket> {
  const target = hostPort(host, port);
  return withTimeout<TLSSocket>(
    route.connectTimeoutMs,
    (settle) => {
      const tls = tlsConnect({
        ...(socket ? { socket } : { host, port }),
        ...(isIP(host) ? {} : { servername: host }),
        secureContext: route.trust.context,
        // Judged by route.trust.check below, before any request byte is written.
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      });
      // Direct connections: a TCP failure is a plain network error, not a TLS one.
      let tcpUp = socket !== null;
      tls.once('connect', () => (tcpUp = true));
      const onError = (e: Error) => {
        tls.destroy();
        settle(tcpUp ? tlsHandshakeFailed(target, e) : e);
      };
      tls.once('error', onError);
      tls.once('secureConnect', () => {
        tls.off('error', onError);
        const refused = route.trust.check(tls, host, port);
        if (refused) {
          tls.destroy();
          return settle(refused);
        }
        settle(null, tls);
      });
      return () => undefined;
    },
    () => tlsHandshakeFailed(target, Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
  );
}

export async function openSocket(
  route: Route,
  host: string,
  port: number,
  secure: boolean,
  proxy: ProxyEndpoint | null,
): Promise<Socket> {
  const ms = route.connectTimeoutMs;
  if (!proxy) {
    if (!secure) return connectTcp(host, port, ms, null);
    return handshake(route, host, port, null);
  }
  const raw = await connectTcp(proxy.host, proxy.port, ms, proxy);
  if (!secure) return raw;
  try {
    await tunnel(raw, proxy, host, port, ms);
    return await handshake(route, host, port, raw);
  } catch (e) {
    raw.destroy();
    throw e;
  }
}
