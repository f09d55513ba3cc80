// A loopback reverse proxy with configurable bad habits, for testing `doctor` and the client's
// behaviour behind real-world proxies. Bodies are streamed in both directions.
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MisbehavingProxyOptions {
  target: string;
  /** Forward HEAD requests upstream as GET (some CDNs/proxies do). */
  headToGet?: boolean;
  /** Answer 413 with nginx's HTML page when a request body is larger than this. */
  maxBodyBytes?: number;
  /** Rewrite the scheme of Location response headers. */
  rewriteLocationScheme?: 'http' | 'https';
  /** Header names removed from requests and responses (case-insensitive). */
  stripHeaders?: string[];
}

const NGINX_413 =
  '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.27.0</center>\r\n</body>\r\n</html>\r\n';

function strip<T extends IncomingHttpHeaders | OutgoingHttpHeaders>(
  headers: T,
  names: string[],
): T {
  const out = { ...headers };
  for (const key of Object.keys(out)) if (names.includes(key.toLowerCase())) delete out[key];
  return out;
}

export async function createMisbehavingProxy(
  opts: MisbehavingProxyOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(opts.target);
  const stripped = (opts.stripHeaders ?? []).map((h) => h.toLowerCase());
  const tooLarge = (res: ServerResponse) => {
    // Like nginx's lingering close: answer at once but keep reading (and dropping) the body,
    // so the client is not reset before it has read the answer.
    res.writeHead(413, {
      'Content-Type': 'text/html',
      'Content-Length': Buffer.byteLength(NGINX_413),
    });
    res.end(NGINX_413);
  };

  const server = createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (opts.maxBodyBytes !== undefined && declared > opts.maxBodyBytes) {
      req.resume();
      tooLarge(res);
      return;
    }
    const method = opts.headToGet && req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: req.url,
        headers: strip(req.headers, stripped),
      },
      (up) => {
        const headers = strip(up.headers, stripped);
        const location = headers.location;
        if (opts.rewriteLocationScheme && typeof location === 'string') {
          headers.location = location.replace(/^https?:/, `${opts.rewriteLocationScheme}:`);
        }
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent)
        res
          .writeHead(502, { 'Content-Type': 'text/html' })
          .end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      else res.destroy();
    });
    // Streamed bodies without a Content-Length are cut off like nginx does once over the limit.
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (opts.maxBodyBytes !== undefined && seen > opts.maxBodyBytes) {
        upstream.destroy();
        req.unpipe(upstream);
        if (!res.headersSent) tooLarge(res);
      }
    });
    req.pipe(upstream);
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
