// The daemon's web GUI transport: the renderer over HTTP on 127.0.0.1 only. The contract travels
// as POST {RPC_PATH}/<method> (JSON in, Result JSON out) and Server-Sent Events at EVENTS_PATH.
// Every request must name this listener in Host (DNS rebinding: a hostile page whose name
// resolves to 127.0.0.1 sends its own Host) and, when it sends Origin, our own origin; RPC and
// events need the random session token. The browser is never given that token on its command line:
// it opens a single-use sign-in code (sign-in-codes.ts) that the page trades at SESSION_PATH.
// The RPC endpoint itself is daemon-rpc.ts; headers, bodies and static files are daemon-http.ts.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { EVENTS_PATH, RPC_PATH, SESSION_PATH } from '../../preload/contract.js';
import type { EventName, SyncEvents } from '../../preload/contract.js';
import { toContractError } from '../service/contract-schemas.js';
import type { CredentialStore, SyncService } from '../service/host.js';
import { createSyncService } from '../service/index.js';
import { FileCredentialStore } from '../service/credential-stores.js';
import { removeDaemonFile, writeDaemonFile } from './daemon-file.js';
import { readBody, sendJson, sendText, serveStatic, setSecurityHeaders } from './daemon-http.js';
import { serveRpc } from './daemon-rpc.js';
import { packageRoot } from './paths.js';
import { SignInCodes } from './sign-in-codes.js';

export interface DaemonOptions {
  dataDir: string;
  /** 0 or undefined = a free port chosen by the OS. */
  port?: number;
  /** The built renderer; default dist/renderer of this package. */
  rendererDir?: string;
  credentials?: CredentialStore;
  /** A service built by the caller (then the caller closes it); otherwise the daemon builds one. */
  service?: SyncService;
  /** The command line recorded in the data folder's lock, for a refusal message elsewhere. */
  command?: string;
  /** How long a sign-in link works (default 60 s); tests shorten it. */
  signInCodeLifetimeMs?: number;
}

export interface Daemon {
  /** The web UI's address, without any secret: http://127.0.0.1:PORT/ */
  url: string;
  /** A fresh link that signs a browser in once, within the code lifetime: …/?code=… */
  signInLink(): string;
  port: number;
  token: string;
  service: SyncService;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;

export { DAEMON_CSP, resolveStatic } from './daemon-http.js';
export { MAX_RPC_BODY_BYTES } from './daemon-rpc.js';

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const ownsService = options.service === undefined;
  const service =
    options.service ??
    (await createSyncService({
      dataDir: options.dataDir,
      host: 'daemon',
      credentials: options.credentials ?? new FileCredentialStore(options.dataDir),
      command: options.command ?? 'cvat-sync daemon',
    }));
  const token = randomBytes(32).toString('base64url');
  const codes = new SignInCodes(options.signInCodeLifetimeMs);
  const rendererDir = options.rendererDir ?? join(packageRoot(), 'dist', 'renderer');
  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let port = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { ok: false, error: toContractError(e, 'daemon request') });
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return sendText(res, 403, 'Forbidden: unexpected Host header.');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      return sendText(res, 403, 'Forbidden: cross-origin request.');
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname.startsWith(`${RPC_PATH}/`))
      return rpc(req, res, url.pathname.slice(RPC_PATH.length + 1));
    if (url.pathname === EVENTS_PATH) return events(req, res, url);
    if (url.pathname === SESSION_PATH) return session(req, res);
    if (url.pathname === `${SESSION_PATH}/link`) return newLink(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'Method not allowed.');
    return serveStatic(rendererDir, req, res, url.pathname);
  }

  function authorized(presented: string | null): boolean {
    if (presented === null) return false;
    const a = Buffer.from(presented);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Trades a sign-in code for the session token, once. */
  async function session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'POST') return sendText(res, 405, 'Use POST.');
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return sendText(res, 415, 'Send {"code": …} as application/json.');
    const body = await readBody(req, 4096);
    let code: unknown;
    try {
      code = (JSON.parse(body?.toString('utf8') ?? '') as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    if (typeof code !== 'string' || !codes.redeem(code)) {
      return sendJson(res, 401, {
        ok: false,
        error: {
          code: 'auth',
          kind: 'fatal',
          message: 'This sign-in link was already used or has expired.',
          retryable: false,
          hint: 'Run `cvat-sync open` for a fresh link (or restart `cvat-sync daemon --open`).',
        },
      });
    }
    sendJson(res, 200, { ok: true, value: { token } });
  }

  /** A fresh sign-in link for a caller that holds the token (`cvat-sync open`, via daemon.json). */
  function newLink(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'POST') return sendText(res, 405, 'Use POST.');
    const auth = req.headers.authorization ?? '';
    if (!authorized(auth.startsWith('Bearer ') ? auth.slice(7) : null))
      return sendText(res, 401, 'Unauthorized.');
    sendJson(res, 200, { ok: true, value: { url: signInLink() } });
  }

  function signInLink(): string {
    return `http://127.0.0.1:${port}/?code=${codes.mint()}`;
  }

  async function rpc(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'POST') return sendText(res, 405, 'Use POST.');
    const auth = req.headers.authorization ?? '';
    if (!authorized(auth.startsWith('Bearer ') ? auth.slice(7) : null)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendText(
        res,
        401,
        'Unauthorized: open the web UI with `cvat-sync open` (a single-use sign-in link).',
      );
    }
    return serveRpc(req, res, method, service);
  }

  function events(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET') return sendText(res, 405, 'Use GET.');
    // EventSource cannot set headers: the token rides in the query string.
    if (!authorized(url.searchParams.get('token'))) return sendText(res, 401, 'Unauthorized.');
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    streams.add(res);
    const unsubscribe = service.subscribe(
      <E extends EventName>(name: E, payload: SyncEvents[E]) => {
        res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
      },
    );
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (e: unknown) => {
    if (ownsService) await service.close();
    throw e;
  });
  port = (server.address() as AddressInfo).port;
  // CLI commands on this data folder find the RPC here and act on this engine.
  try {
    writeDaemonFile(options.dataDir, { port, token });
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (ownsService) await service.close();
    throw e;
  }

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/`,
    signInLink,
    port,
    token,
    service,
    close() {
      closing ??= (async () => {
        removeDaemonFile(options.dataDir, token);
        for (const s of streams) s.end();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
        if (ownsService) await service.close();
      })();
      return closing;
    },
  };
}
