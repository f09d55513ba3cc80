// A file sent by TUS into the batch's task, and what an interrupted upload leaves behind: a
// name the server already holds, a resume address gone after the last chunk, or no way to know.
import { SyncError, toSyncError } from '../../core/errors.js';
import type { BatchFileRow } from '../../journal/batch-repo.js';
import {
  isCancelled,
  isTusNameTaken,
  isTusResumeLost,
  refusedBeforeProcessing,
} from './outcomes.js';
import type { RunnerActions, Step } from './runner-types.js';
import { requireTask } from './task-lookup.js';
import type { UploadBatch } from './types.js';

export async function sendTus(r: RunnerActions, b: UploadBatch, f: BatchFileRow): Promise<Step> {
  const taskId = requireTask(b);
  const row = r.d.uploads.tus(f.id);
  if (row?.state === 'done') return 'continue';
  if ((await r.verify(b, f)) !== 'continue') return 'stop';
  if (!row) r.d.uploads.tusBegin(f.id, taskId, f.size);
  let created = row?.location != null;
  let renamed: string | null = null;
  const before = r.sent(b.id);
  try {
    await r.d.api.tusUpload({
      target: { kind: 'task-data', taskId },
      file: { path: f.absPath, name: f.uploadName, size: f.size },
      chunkSize: r.d.settings.chunkSize,
      adaptChunk: (e) =>
        e === 'start'
          ? r.d.chunkSizer.current
          : e === 'trouble'
            ? r.d.chunkSizer.trouble()
            : r.d.chunkSizer.acknowledged(e.bytes, e.ms),
      resumeUrl: row?.location ?? null,
      signal: r.signal,
      throttle: r.d.throttle,
      onCreated: (location, uploadFilename) => {
        if (uploadFilename !== f.uploadName) {
          // The server renamed it: our name is taken in this task, so a copy is already there.
          renamed = uploadFilename;
          r.d.uploads.tusUnknown(f.id);
          throw new SyncError(`${f.uploadName} already exists in task ${taskId}`, {
            code: 'tus-name-taken',
            kind: 'transient',
            operation: 'create TUS upload',
          });
        }
        r.d.uploads.tusCreated(f.id, location, uploadFilename);
        created = true;
      },
      onOffset: (offset) => r.d.uploads.tusOffset(f.id, offset),
      onProgress: (done) => r.d.hooks.progress(b, before.bytes + done, before.files),
    });
  } catch (e) {
    const err = toSyncError(e, 'TUS upload');
    if (renamed !== null || isTusNameTaken(err) || (!created && err.status === 409)) {
      return r.restart(
        b,
        `${f.uploadName} was already in the task (an earlier attempt reached the server)`,
      );
    }
    if (!created) {
      if (isCancelled(e)) throw e; // stays 'creating': the next run cannot tell, and restarts
      if (refusedBeforeProcessing(e)) {
        r.d.uploads.tusForget(f.id);
        if (err.status === 413) throw tusTooLarge(f, err);
        throw e;
      }
      r.d.uploads.tusUnknown(f.id);
      throw e;
    }
    if (!isCancelled(e) && isTusResumeLost(err)) {
      const cur = r.d.uploads.tus(f.id);
      if (cur && cur.offset >= cur.length) {
        // The last chunk was acknowledged and recorded: the server finished the file.
        r.d.uploads.tusDone(f.id);
        return 'continue';
      }
      if (cur && err.status === 404 && cur.offset + r.d.settings.chunkSize >= cur.length) {
        // The chunk in flight was the last one. CVAT keeps a task-data upload (its .meta
        // file) until the last byte arrives and only then removes it (TusFile.clean in
        // append_tus_chunk, cvat/apps/engine/mixins.py): 404 here means it finished.
        r.d.uploads.tusDone(f.id);
        r.d.hooks.activity(
          b,
          'info',
          'tus-finished-unrecorded',
          `${f.uploadName}: its last chunk had landed before the answer was recorded`,
        );
        return 'continue';
      }
      // 404 means finished *or* unknown; without a recorded final offset we cannot prove which.
      return r.restart(b, `the TUS upload of ${f.uploadName} is gone from the server`);
    }
    throw e;
  }
  if ((await r.verify(b, f)) !== 'continue') return 'stop';
  r.d.uploads.tusDone(f.id);
  r.d.hooks.progress(b, before.bytes + f.size, before.files + 1);
  return 'continue';
}

function tusTooLarge(f: BatchFileRow, err: SyncError): SyncError {
  return new SyncError(`${f.relPath} (${f.size} bytes) is larger than the server accepts`, {
    code: 'too-large',
    kind: 'item',
    operation: 'create TUS upload',
    status: 413,
    ...(err.url === undefined ? {} : { url: err.url }),
    hint: 'CVAT limits TUS uploads with TUS_MAX_FILE_SIZE (25 GiB by default); a proxy in front of it may limit request sizes too (client_max_body_size in nginx).',
    cause: err,
  });
}
