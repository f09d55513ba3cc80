// A log of what clients sent (test-only, in memory): method, path, query, the protocol headers,
// and the parsed JSON or multipart fields of each body the server read. Tests compare clients
// with it (e.g. our Upload-Finish against cvat-sdk's); GET /_test/recorded serves it.
import type { Ctx } from './http-kit.js';

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string[]>;
  /** Lower-cased protocol headers (never credentials). */
  headers: Record<string, string>;
  status: number;
  bytesIn: number;
  /** The parsed JSON body, when the handler read one. */
  json?: unknown;
  /** Multipart bodies: the plain fields, and the file parts' field and file names. */
  form?: { fields: Record<string, string[]>; files: Array<{ field: string; filename: string }> };
}

const KEPT_HEADERS =
  /^(content-type|content-length|upload-.*|tus-resumable|x-organization|x-http-method-override|prefer)$/;
const LIMIT = 5000;

export class Recorder {
  private entries: RecordedRequest[] = [];
  private seq = 0;

  begin(ctx: Ctx): void {
    const query: Record<string, string[]> = {};
    for (const [k, v] of ctx.query) (query[k] ??= []).push(v);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.req.headers))
      if (KEPT_HEADERS.test(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const entry: RecordedRequest = {
      seq: ++this.seq,
      method: ctx.method,
      path: ctx.path,
      query,
      headers,
      status: 0,
      bytesIn: 0,
    };
    ctx.recorded = entry;
    ctx.res.once('close', () => {
      entry.status = ctx.status;
      entry.bytesIn = ctx.bytesIn;
    });
    this.entries.push(entry);
    if (this.entries.length > LIMIT) this.entries.splice(0, this.entries.length - LIMIT);
  }

  list(): RecordedRequest[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}
