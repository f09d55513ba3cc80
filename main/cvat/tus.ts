// TUS 1.0.0 core-protocol uploads to CVAT with tus-js-client 4.3.1: one file at a time, no
// concatenation, as CVAT's web client does (cvat-core's src/server-proxy.ts).
//
// tus-js-client would quietly start a new upload when HEAD on a known Location fails; CVAT
// registers the file name at creation, so that second upload either collides (409) or leaves
// a half file in the task. Every answer therefore passes through onAfterResponse (which tus
// awaits) and anything that must not be retried or papered over stops the upload with a
// SyncError the engine can act on. onAfterResponse is also where the new Location is handed
// to onCreated: tus awaits it before the first PATCH, whereas onUploadUrlAvailable is called
// without being awaited in 4.3.1.
import { DefaultHttpStack, Upload } from 'tus-js-client';
import type { HttpRequest, HttpResponse } from 'tus-js-client';
import { SyncError, toSyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { mimeTypeOf } from '../core/media.js';
import { parseRetryAfter } from '../core/retry.js';
import type { ServerVersion, TusUploadOptions, TusUploadResult } from './api.js';
import { cancelledError, networkCode, safeUrl } from './http-errors.js';
import type { Transport } from './http.js';
import { fileChanged, tusFileReader } from './streams.js';
import { tusChunkLimit, tusGoneAnswers500 } from './version.js';
import {
  RetryHead,
  answerError,
  defaultUploadFilename,
  isNetworkFailure,
  mapTusError,
  uploadFilenameOf,
} from './tus-answers.js';
import { CvatTusStack } from './tus-stack.js';

/** CVAT's web client retries after these delays (cvat-core's src/server-proxy.ts). */
export const CVAT_TUS_RETRY_DELAYS: readonly number[] = [
  2_000, 4_000, 8_000, 16_000, 32_000, 64_000,
];

export interface TusContext {
  transport: Transport;
  logger: Logger;
  retryDelays: readonly number[];
  /** Idle timeout of each TUS request (no byte moved for this long). */
  idleTimeoutMs: number;
  /** The server's version, for the TUS quirks of older releases (see version.ts). */
  serverVersion: ServerVersion | null;
}

const TRANSIENT = (status: number): boolean =>
  status >= 500 || status === 409 || status === 423 || status === 429;

export async function tusUpload(
  ctx: TusContext,
  endpoint: string,
  options: TusUploadOptions,
  operation: string,
): Promise<TusUploadResult> {
  const { file, signal } = options;
  if (signal?.aborted) throw cancelledError(operation);
  if (file.size <= 0) {
    throw new SyncError(`${operation}: ${file.name} is empty`, {
      code: 'empty-file',
      kind: 'item',
      operation,
      hint: 'CVAT does not accept empty files over TUS.',
    });
  }
  const fs = ctx.transport.fs;
  const actual = await fs.stat(file.path).catch((e: unknown) => {
    throw new SyncError(`${operation}: cannot read ${file.path}: ${(e as Error).message}`, {
      code: 'file-unreadable',
      kind: 'item',
      operation,
      cause: e,
    });
  });
  if (actual.size !== file.size) throw fileChanged(operation, file.path, file.size, actual.size);

  const transport = ctx.transport;
  const version = ctx.serverVersion;
  // Before 2.55 CVAT reads each PATCH body into memory and refuses one over 100 MiB (400).
  const limit = version ? tusChunkLimit(version) : null;
  const chunkSize = limit === null ? options.chunkSize : Math.min(options.chunkSize, limit);
  // 2.39-2.54 answer 500 where a finished or unknown upload should get 404.
  const goneAs500 = version !== null && tusGoneAnswers500(version);
  const state: {
    stop: SyncError | null;
    location: string | null;
    uploadFilename: string | null;
    bytesSent: number;
  } = {
    stop: null,
    location: options.resumeUrl ?? null,
    uploadFilename: options.resumeUrl
      ? (options.uploadFilename ?? defaultUploadFilename(options))
      : null,
    bytesSent: 0,
  };
  const stop = (e: SyncError): SyncError => {
    state.stop ??= e;
    return state.stop;
  };
  const statusError = (
    req: HttpRequest,
    res: HttpResponse,
    extra: { code?: string; hint?: string } = {},
  ): SyncError => answerError(req, res, operation, transport.options.clock.now(), extra);

  // tus asks our reader for each PATCH body: a stream of that byte range, through the port. The
  // upload's length is the size we planned with, even if the file grew since.
  const fileReader = tusFileReader(fs, file.path, file.size);

  // tus-js-client's Node stack spreads these options into http(s).request: our agent carries
  // the proxy and the certificate trust, as for every other request.
  await transport.net.prepare(endpoint);
  const stack = new CvatTusStack(
    new DefaultHttpStack({ agent: transport.net.agentFor(endpoint) }),
    {
      throttle: options.throttle,
      signal,
      idleTimeoutMs: ctx.idleTimeoutMs,
      mayAuthorize: (url) => transport.sameOrigin(url),
      onFileChanged: (expected, got) => stop(fileChanged(operation, file.path, expected, got)),
    },
  );

  let chunkStarted = transport.options.clock.now();
  const nextChunk = (event: Parameters<NonNullable<TusUploadOptions['adaptChunk']>>[0]): number =>
    options.adaptChunk ? Math.max(1, Math.min(chunkSize, options.adaptChunk(event))) : chunkSize;
  return new Promise<TusUploadResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      void upload.abort();
      finish(() => reject(cancelledError(operation)));
    };

    // The input is only handed back to `fileReader`, which knows the file already.
    const upload = new Upload(Buffer.alloc(0), {
      endpoint,
      fileReader,
      uploadUrl: options.resumeUrl ?? null,
      metadata: { filename: file.name, filetype: mimeTypeOf(file.name) },
      chunkSize: nextChunk('start'),
      parallelUploads: 1, // CVAT has no concatenation extension
      storeFingerprintForResuming: false, // the journal keeps the Location (onCreated)
      removeFingerprintOnSuccess: false,
      retryDelays: [...ctx.retryDelays], // per upload: Retry-After may lengthen an entry
      headers: transport.headers(endpoint, { Origin: transport.origin }),
      httpStack: stack,
      onAfterResponse: async (req, res) => {
        if (settled) return;
        const method = req.getMethod();
        const status = res.getStatus();
        if (status === 401 || (status === 403 && method !== 'HEAD' && method !== 'PATCH'))
          throw stop(statusError(req, res));
        if (method === 'POST') await afterCreation(req, res);
        else if (method === 'HEAD') afterHead(req, res);
        else if (method === 'PATCH') await afterPatch(req, res);
      },
      onShouldRetry: (err, attempt, opts) => {
        if (state.stop || settled || signal?.aborted) return false;
        if (options.adaptChunk) {
          upload.options.chunkSize = nextChunk('trouble');
          chunkStarted = transport.options.clock.now();
        }
        const cause = err.causingError;
        let status = err.originalResponse?.getStatus() ?? 0;
        let retryAfter = err.originalResponse?.getHeader('Retry-After');
        if (cause instanceof RetryHead) {
          status = cause.status;
          retryAfter = cause.retryAfter;
        } else if (status === 0 && !isNetworkFailure(cause)) {
          return false;
        } else if (status !== 0 && !TRANSIENT(status)) {
          return false;
        }
        const waitMs = parseRetryAfter(retryAfter, transport.options.clock.now());
        const delays = opts.retryDelays;
        if (waitMs !== undefined && delays && attempt < delays.length)
          delays[attempt] = Math.max(delays[attempt] ?? 0, waitMs);
        ctx.logger.warn('tus retry', {
          operation,
          status,
          attempt: attempt + 1,
          code: networkCode(cause),
          delayMs: delays?.[attempt],
        });
        return true;
      },
      onProgress: (sent, total) => options.onProgress?.(sent, total),
      onChunkComplete: (chunk) => {
        state.bytesSent += chunk;
        if (options.adaptChunk) {
          const now = transport.options.clock.now();
          upload.options.chunkSize = nextChunk({ bytes: chunk, ms: now - chunkStarted });
          chunkStarted = now;
        }
      },
      onSuccess: () =>
        finish(() =>
          resolve({
            location: upload.url ?? state.location ?? '',
            uploadFilename: state.uploadFilename ?? defaultUploadFilename(options),
            bytesSent: state.bytesSent,
          }),
        ),
      onError: (err) =>
        finish(() =>
          reject(state.stop ?? mapTusError(err, operation, transport.options.clock.now())),
        ),
    });

    async function afterCreation(req: HttpRequest, res: HttpResponse): Promise<void> {
      const status = res.getStatus();
      if (status === 201) {
        const header = res.getHeader('Location');
        if (!header) return; // tus reports the missing Location itself
        const location = new URL(header, endpoint).toString();
        if (!transport.sameOrigin(location)) {
          throw stop(
            new SyncError(
              `${operation}: the server returned an upload URL on another origin (${safeUrl(location)})`,
              {
                code: 'tus-location-mismatch',
                kind: 'fatal',
                operation,
                url: safeUrl(endpoint),
                status,
                hint: `CVAT builds the upload URL from the request's host: check the proxy's X-Forwarded-Host/X-Forwarded-Proto headers so that it starts with ${transport.origin}.`,
              },
            ),
          );
        }
        state.location = location;
        state.uploadFilename = uploadFilenameOf(res) ?? file.name;
        // From now on a retry resumes this upload (HEAD) instead of creating another one.
        upload.options.uploadUrl = location;
        try {
          await options.onCreated?.(location, state.uploadFilename);
        } catch (e) {
          throw stop(toSyncError(e, `${operation}: record the upload location`));
        }
        return;
      }
      if (status === 409) {
        throw stop(
          statusError(req, res, {
            code: 'tus-name-taken',
            hint: `The task already has a file named ${file.name} (an earlier upload of it was started): the task's media is uncertain.`,
          }),
        );
      }
      if (!TRANSIENT(status)) throw stop(statusError(req, res));
    }

    function afterHead(req: HttpRequest, res: HttpResponse): void {
      const status = res.getStatus();
      if (status >= 200 && status < 300) {
        if (res.getHeader('Upload-Offset') === undefined) {
          throw stop(
            statusError(req, res, {
              code: 'tus-head-rejected',
              hint: 'HEAD came back without Upload-Offset: a proxy in front of CVAT rewrites HEAD requests (e.g. into GET). The upload has to start over.',
            }),
          );
        }
        return;
      }
      if (status === 404 || status === 410 || (status === 500 && goneAs500)) {
        throw stop(
          statusError(req, res, {
            code: 'tus-resume-lost',
            hint:
              status === 500
                ? `CVAT ${version?.raw ?? ''} answers 500 for an upload that finished or is unknown (fixed in 2.55): it is treated as gone. Check the task files before sending it again.`
                : 'The server no longer knows this upload: it finished or expired. Check the task files before sending it again.',
          }),
        );
      }
      if (status === 405) {
        throw stop(
          statusError(req, res, {
            code: 'tus-head-rejected',
            hint: 'HEAD is not allowed on the upload URL: a proxy in front of CVAT rejects or rewrites HEAD. The upload has to start over.',
          }),
        );
      }
      if (status === 403) {
        throw stop(
          statusError(req, res, {
            code: 'tus-resume-forbidden',
            hint: 'The upload belongs to another account (the credentials changed since it started).',
          }),
        );
      }
      if (status === 423) return; // tus retries "locked" itself
      if (TRANSIENT(status)) throw new RetryHead(status, res.getHeader('Retry-After'));
      throw stop(statusError(req, res));
    }

    async function afterPatch(req: HttpRequest, res: HttpResponse): Promise<void> {
      const status = res.getStatus();
      if (status >= 200 && status < 300) {
        // Servers before 2.39 also name the file on the PATCH answer.
        const name = uploadFilenameOf(res);
        if (name) state.uploadFilename = name;
        const offset = Number.parseInt(res.getHeader('Upload-Offset') ?? '', 10);
        if (Number.isFinite(offset) && options.onOffset) {
          try {
            await options.onOffset(offset);
          } catch (e) {
            throw stop(toSyncError(e, `${operation}: record the upload offset`));
          }
        }
        return;
      }
      if (status === 404 || status === 410 || (status === 500 && goneAs500))
        throw stop(statusError(req, res, { code: 'tus-resume-lost' }));
      if (!TRANSIENT(status)) throw stop(statusError(req, res));
    }

    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    upload.start();
  });
}
