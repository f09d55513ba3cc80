// Streamed request bodies go through node:http rather than fetch: undici's fetch keeps every
// chunk of a streamed body alive until the request ends (measured: a 300 MiB multipart upload
// held 300 MiB of ArrayBuffers), node:http keeps memory flat with normal backpressure.
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Sends `body` and resolves with the answer as a fetch Response (its body still streaming). */
export function sendStreamed(
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: AsyncIterable<Uint8Array>;
    signal: AbortSignal;
    /** The last byte of the body was written to the socket ('finish'). */
    onBodySent?: () => void;
  },
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method, headers: init.headers, signal: init.signal });
    let settled = false;
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(e);
    };
    // A proxy may answer early (413) and close while the body is still going out: the write
    // then fails, often before the answer has been parsed. Give the answer a moment to arrive;
    // when it does, it wins over the broken upload.
    let failing = false;
    const failSoon = (e: unknown): void => {
      if (settled || failing) return;
      if (init.signal.aborted) return fail(e);
      failing = true;
      setTimeout(() => fail(e), EARLY_ANSWER_GRACE_MS);
    };
    req.on('error', failSoon);
    if (init.onBodySent) req.once('finish', init.onBodySent);
    req.once('response', (res) => {
      settled = true;
      resolve(toResponse(res));
    });
    pipeline(Readable.from(init.body, { objectMode: false, highWaterMark: 64 * 1024 }), req).catch(
      (e: unknown) => {
        if (!req.writableFinished) failSoon(e);
      },
    );
  });
}

const EARLY_ANSWER_GRACE_MS = 500;

const NULL_BODY = new Set([101, 204, 205, 304]);

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const status = res.statusCode ?? 0;
  const body = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  if (body === null) res.resume();
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}
