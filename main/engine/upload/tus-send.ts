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

export async function sendTus(
  runner: RunnerActions,
  b: UploadBatch,
  f: BatchFileRow,
): Promise<Step> {
  const taskId = requireTask(b);
  const row = runner.deps.uploads.tus(f.id);
  if (row?.state === 'done') return 'continue';
  if ((await runner.verify(b, f)) !== 'continue') return 'stop';
  if (!row) runner.deps.uploads.tusBegin(f.id, taskId, f.size);
  let created = row?.location != null;
  let renamed: string | null = null;
  const before = runner.sent(b.id);
  try {
    await runner.deps.api.tusUpload({
      target: { kind: 'task-data', taskId },
      file: { path: f.absPath, name: f.uploadName, size: f.size },
      chunkSize: runner.deps.settings.chunkSize,
      adaptChunk: (e) =>
        e === 'start'
          ? runner.deps.chunkSizer.current
          : e === 'trouble'
            ? runner.deps.chunkSizer.trouble()
            : runner.deps.chunkSizer.acknowledged(e.bytes, e.ms),
      resumeUrl: row?.location ?? null,
      signal: runner.signal,
      throttle: runner.deps.throttle,
      onCreated: (location, uploadFilename) => {
        if (uploadFilename !== f.uploadName) {
          // The server renamed it: our name is taken in this task, so a copy is already there.
          renamed = uploadFilename;
          runner.deps.uploads.tusUnknown(f.id);
          throw new SyncError(`${f.uploadName} already exists in task ${taskId}`, {
            code: 'tus-name-taken',
            kind: 'transient',
            operation: 'create TUS upload',
          });
        }
        runner.deps.uploads.tusCreated(f.id, location, uploadFilename);
        created = true;
      },
      onOffset: (offset) => runner.deps.uploads.tusOffset(f.id, offset),
      onProgress: (done) => runner.deps.hooks.progress(b, before.bytes + done, before.files),
    });
  } catch (e) {
    const err = toSyncError(e, 'TUS upload');
    if (renamed !== null || isTusNameTaken(err) || (!created && err.status === 409)) {
      return runner.restart(
        b,
        `${f.uploadName} was already in the task (an earlier attempt reached the server)`,
      );
    }
    if (!created) {
      if (isCancelled(e)) throw e; // stays 'creating': the next run cannot tell, and restarts
      if (refusedBeforeProcessing(e)) {
        runner.deps.uploads.tusForget(f.id);
        if (err.status === 413) throw tusTooLarge(f, err);
        throw e;
      }
      runner.deps.uploads.tusUnknown(f.id);
      throw e;
    }
    if (!isCancelled(e) && isTusResumeLost(err)) {
      const cur = runner.deps.uploads.tus(f.id);
      if (cur && cur.offset >= cur.length) {
        // The last chunk was acknowledged and recorded: the server finished the file.
        runner.deps.uploads.tusDone(f.id);
        return 'continue';
      }
      if (cur && err.status === 404 && cur.offset + runner.deps.settings.chunkSize >= cur.length) {
        // The chunk in flight was the last one. CVAT keeps a task-data upload (its .meta
        // file) until the last byte arrives and only then removes it (TusFile.clean in
        // append_tus_chunk, cvat/apps/engine/mixins.py): 404 here means it finished.
        runner.deps.uploads.tusDone(f.id);
        runner.deps.hooks.activity(
          b,
          'info',
          'tus-finished-unrecorded',
          `${f.uploadName}: its last chunk had landed before the answer was recorded`,
        );
        return 'continue';
      }
      // 404 means finished *or* unknown; without a recorded final offset we cannot prove which.
      return runner.restart(b, `the TUS upload of ${f.uploadName} is gone from the server`);
    }
    throw e;
  }
  if ((await runner.verify(b, f)) !== 'continue') return 'stop';
  runner.deps.uploads.tusDone(f.id);
  runner.deps.hooks.progress(b, before.bytes + f.size, before.files + 1);
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
