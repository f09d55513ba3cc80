// tus-js-client's HTTP stack as CVAT uploads need it (tus.ts runs the upload).
import type { ClientRequest } from 'node:http';
import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import type { SyncError } from '../core/errors.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { Throttle } from './api.js';
import { ThrottleTransform } from './streams.js';

export interface StackHooks {
  throttle: Throttle | undefined;
  signal: AbortSignalLike | undefined;
  idleTimeoutMs: number;
  mayAuthorize: (url: string) => boolean;
  onFileChanged: (expected: number, got: number) => SyncError;
}

/**
 * tus-js-client's Node stack with our additions: request bodies pass the bandwidth throttle and
 * are counted (a file that shrank fails the request instead of hanging it), an idle timeout per
 * request, and no Authorization for any origin but the server's.
 */
export class CvatTusStack implements HttpStack {
  constructor(
    private readonly inner: HttpStack,
    private readonly hooks: StackHooks,
  ) {}

  createRequest(method: string, url: string): HttpRequest {
    return new CvatTusRequest(this.inner.createRequest(method, url), this.hooks);
  }

  getName(): string {
    return 'CvatTusStack';
  }
}

class CvatTusRequest implements HttpRequest {
  constructor(
    private readonly inner: HttpRequest,
    private readonly hooks: StackHooks,
  ) {}

  getMethod(): string {
    return this.inner.getMethod();
  }
  getURL(): string {
    return this.inner.getURL();
  }
  setHeader(header: string, value: string): void {
    if (header.toLowerCase() === 'authorization' && !this.hooks.mayAuthorize(this.inner.getURL()))
      return;
    this.inner.setHeader(header, value);
  }
  getHeader(header: string): string | undefined {
    return this.inner.getHeader(header);
  }
  setProgressHandler(handler: (bytesSent: number) => void): void {
    this.inner.setProgressHandler(handler);
  }
  abort(): Promise<void> {
    return this.inner.abort();
  }
  getUnderlyingObject(): unknown {
    return this.inner.getUnderlyingObject();
  }

  send(body: unknown): Promise<HttpResponse> {
    let sent: unknown = body;
    let counter: CountingThrottle | null = null;
    if (body instanceof Readable) {
      const expected = (body as Readable & { size?: number }).size ?? 0;
      counter = new CountingThrottle(this.hooks, expected);
      body.on('error', (e) => counter?.destroy(e));
      sent = Object.assign(body.pipe(counter), { size: expected });
    }
    const pending = this.inner.send(sent);
    const req = this.inner.getUnderlyingObject() as ClientRequest | null;
    if (req) {
      req.setTimeout(this.hooks.idleTimeoutMs, () =>
        req.destroy(
          Object.assign(new Error('no progress within the idle timeout'), { code: 'ETIMEDOUT' }),
        ),
      );
      if (counter) {
        counter.on('error', (e) => req.destroy(e));
        req.once('close', () => {
          (body as Readable).destroy();
          counter?.destroy();
        });
      }
    }
    return pending;
  }
}

/** Throttles and counts a chunk body; ending short of its declared size is an error. */
class CountingThrottle extends ThrottleTransform {
  private count = 0;

  constructor(
    private readonly hooks: StackHooks,
    private readonly expected: number,
  ) {
    super(hooks.throttle ?? { take: () => Promise.resolve() }, hooks.signal);
  }

  override _transform(
    chunk: Buffer,
    encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ): void {
    this.count += chunk.length;
    super._transform(chunk, encoding, callback);
  }

  override _flush(callback: (error?: Error | null) => void): void {
    callback(
      this.count === this.expected ? null : this.hooks.onFileChanged(this.expected, this.count),
    );
  }
}
