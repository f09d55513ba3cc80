// A loopback proxy that records what the client sends (method, URL, headers, the first bytes of
// the body) and can add request headers on the way (e.g. X-Forwarded-Host, as a proxy that
// rewrites the host does). Bodies are streamed through unchanged.
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** At most the first 64 KiB. */
  body: Buffer;
}

const KEEP = 64 * 1024;

export async function recordingProxy(
  target: string,
  addHeaders: Record<string, string> = {},
): Promise<{ url: string; seen: Recorded[]; close(): Promise<void> }> {
  const to = new URL(target);
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    const rec: Recorded = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.alloc(0),
    };
    seen.push(rec);
    const up = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, ...addHeaders },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => {
      if (rec.body.length < KEEP) rec.body = Buffer.concat([rec.body, c]).subarray(0, KEEP);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
