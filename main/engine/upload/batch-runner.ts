// Drives one batch through its persisted state machine (ARCHITECTURE.md § Data flow, step 4):
//   planned -> creating -> created(task) -> started -> sending -> finishing -> processing(rq) -> done
// Each step reads the journal, does one remote action and records the outcome, so a step found
// half-done after a crash is the same situation as a step interrupted a moment ago: there is no
// separate recovery code path. Where the server's state cannot be known (a task created but not
// recorded, a bulk request cut mid-body, a TUS upload whose end is uncertain) the step either
// proves the state by asking the server or discards the task and starts the batch again.
import { isTerminal } from '../../core/batch-state.js';
import type { BatchState } from '../../core/batch-state.js';
import { abortError } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { SyncError, errorInfo, toSyncError } from '../../core/errors.js';
import type { ErrorInfo } from '../../core/errors.js';
import { mediaKindOf } from '../../core/media.js';
import type { ChunkSizer } from '../../core/chunk-sizer.js';
import type { CvatApi, CvatTask, DataRequest, Throttle } from '../../cvat/api.js';
import type { ActivityRepo } from '../../journal/activity-repo.js';
import type { BatchFileRow } from '../../journal/batch-repo.js';
import type { UploadBatch, UploadBatchRepo } from './types.js';
import type { DiscardRepo, DiscardRow } from '../../journal/discard-repo.js';
import type { RequestRepo } from '../../journal/request-repo.js';
import type { UploadRepo } from '../../journal/upload-repo.js';
import { nextBulkGroup } from './bulk-groups.js';
import { settleOpenPart } from './open-bulk-part.js';
import { gaveUpMessage, restartDelay } from './restart-policy.js';
import type { RestartPolicy } from './restart-policy.js';
import type { FileSystem } from '../../fs/file-system.js';
import { changedSincePlan, probeFile } from './file-probe.js';
import {
  isCancelled,
  isTusNameTaken,
  isTusResumeLost,
  refusedBeforeProcessing,
} from './outcomes.js';

export interface RunnerSettings {
  chunkSize: number;
  /** Files larger than this go by TUS, the rest in Upload-Multiple requests. */
  bulkThreshold: number;
  bulkBatchBytes: number;
  bulkBatchFiles: number;
  /**
   * Compare each small file's bytes, hashed as they stream into the request, with the hash the
   * plan recorded (when it recorded one).
   */
  verifyHash: boolean;
  /** A task found by name must have been created at most this long before we decided to create it. */
  clockSkewMs: number;
  /** Pause between two looks at a task whose creation request vanished. */
  recheckDelayMs: number;
  /** Bound and spacing of fresh starts (a new task each). */
  restart: RestartPolicy;
}

export interface RunnerHooks {
  progress(batch: UploadBatch, bytesDone: number, filesDone: number): void;
  changed(batchId: number): void;
  activity(
    batch: UploadBatch,
    level: 'info' | 'warn' | 'error',
    kind: string,
    message: string,
    hint?: string,
  ): void;
  replanNeeded(batch: UploadBatch, file: BatchFileRow, reason: string): void;
}

export interface RunnerDeps {
  api: CvatApi;
  batches: UploadBatchRepo;
  uploads: UploadRepo;
  requests: RequestRepo;
  discards: DiscardRepo;
  activity: ActivityRepo;
  clock: Clock;
  /** Where the batch's files are re-checked before and after sending. */
  fs: FileSystem;
  /** Absent: not limited. */
  throttle: Throttle | undefined;
  settings: RunnerSettings;
  hooks: RunnerHooks;
  /** Our user id on the server (cached per API), or null when unknown. */
  selfId(): Promise<number | null>;
  /** The TUS chunk size in force, shared by all uploads of the engine (one link). */
  chunkSizer: ChunkSizer;
}

/** continue: go on (next file / next step); stop: leave the batch as it is; restarted: it went back to planned. */
type Step = 'continue' | 'stop' | 'restarted';

/** The plan check of one bulk group (identified by its file ids), possibly started ahead. */
interface GroupCheck {
  ids: string;
  result: Promise<{ file: BatchFileRow; reason: string } | null>;
}

const CREATE_OPERATION = 'create:task';

export class BatchRunner {
  private readonly d: RunnerDeps;

  constructor(
    deps: RunnerDeps,
    private readonly batchId: number,
    private readonly signal: AbortSignal,
  ) {
    this.d = deps;
  }

  /** Runs steps until the batch is terminal, parked (replan), or a step throws. */
  async run(): Promise<void> {
    for (;;) {
      if (this.signal.aborted) throw abortError();
      const b = this.d.batches.get(this.batchId);
      if (!b) return;
      if (b.cancelRequested) {
        await this.cancel(b);
        return;
      }
      if (isTerminal(b.state) || b.replanReason !== null) return;
      const step = await this.step(b);
      this.d.hooks.changed(b.id);
      if (step === 'stop') return;
    }
  }

  private step(b: UploadBatch): Promise<Step> {
    switch (b.state) {
      case 'planned':
        return this.plan(b);
      case 'creating':
        return this.adoptOrReplan(b);
      case 'created':
        return this.start(b);
      case 'started':
        return Promise.resolve(this.cas(b, 'sending'));
      case 'sending':
        return this.send(b);
      case 'finishing':
        return this.finish(b);
      case 'processing':
        return this.process(b);
      default:
        return Promise.resolve('stop');
    }
  }

  // ---- planned -> creating -> created

  private async plan(b: UploadBatch): Promise<Step> {
    // Never a second task for a batch: earlier attempts' tasks go first.
    await deleteDiscards(this.d.api, this.d.discards, this.d.discards.list(b.id), this.signal);
    // Fresh starts are spaced (restart-policy.ts): the next creation waits for its time.
    if (b.restartNotBefore !== null && b.restartNotBefore > this.d.clock.now()) {
      this.d.batches.update(b.id, 'planned', { nextAttemptAt: b.restartNotBefore });
      return 'stop';
    }
    const files = this.d.batches.files(b.id);
    for (const f of files) {
      if (f.state !== 'pending') continue;
      const reason =
        f.size === 0
          ? 'empty file'
          : mediaKindOf(f.uploadName) === 'unknown'
            ? 'unsupported file type'
            : null;
      if (reason) {
        this.d.batches.skipFile(f.id, reason);
        this.d.hooks.activity(b, 'warn', 'file-skipped', `${f.relPath}: not sent (${reason})`);
      }
    }
    if (!this.d.batches.files(b.id).some((f) => f.state === 'pending')) {
      const error: ErrorInfo = {
        code: 'no-media',
        kind: 'item',
        message: `${b.name}: no file of this batch can be sent (all empty or unsupported)`,
        retryable: false,
      };
      this.d.batches.transition(b.id, 'planned', 'failed', {
        lastError: error,
        finishedAt: this.d.clock.now(),
      });
      this.d.hooks.activity(b, 'error', 'batch-failed', error.message);
      return 'stop';
    }
    // The intent is on disk before the POST: after a crash we look for the task by name.
    if (
      !this.d.batches.transition(b.id, 'planned', 'creating', {
        createStartedAt: this.d.clock.now(),
        taskId: null,
      })
    ) {
      return 'continue';
    }
    const task = await this.d.api.createTask({ ...b.task, name: b.name }, this.signal);
    if (!this.d.batches.transition(b.id, 'creating', 'created', { taskId: task.id })) {
      this.d.discards.add(task.id, b.id, 'created for a batch that moved on', b.server);
      return 'continue';
    }
    this.d.hooks.activity(
      { ...b, taskId: task.id },
      'info',
      'task-created',
      `Task ${task.id} "${b.name}" created`,
    );
    return 'continue';
  }

  /** 'creating' found at the start of a step: the POST may or may not have landed. */
  private async adoptOrReplan(b: UploadBatch): Promise<Step> {
    const ours = await findOurTasks(this.d, b, this.signal);
    const adopt = ours.reduce<CvatTask | null>(
      (best, t) => (best === null || t.id > best.id ? t : best),
      null,
    );
    if (adopt === null) return this.cas(b, 'planned');
    for (const t of ours)
      if (t.id !== adopt.id)
        this.d.discards.add(t.id, b.id, 'duplicate creation of a batch task', b.server);
    if (!this.d.batches.transition(b.id, 'creating', 'created', { taskId: adopt.id }))
      return 'continue';
    this.d.hooks.activity(
      { ...b, taskId: adopt.id },
      'info',
      'task-adopted',
      `Task ${adopt.id} "${b.name}" found and resumed`,
    );
    return 'continue';
  }

  private async start(b: UploadBatch): Promise<Step> {
    // Upload-Start is idempotent until media is attached, so repeating it after a crash is fine.
    await this.d.api.uploadStart(requireTask(b), this.signal);
    return this.cas(b, 'started');
  }

  // ---- sending

  private async send(b: UploadBatch): Promise<Step> {
    const parts = this.d.uploads.bulkParts(b.id);
    const openPart = parts.find((p) => p.state !== 'done');
    if (openPart) {
      // Sent again into the same task, or settled by sending it again (open-bulk-part.ts).
      await settleOpenPart(this.d, b, openPart, this.signal);
      return 'continue';
    }
    const tus = this.d.uploads.tusForBatch(b.id);
    const openCreation = tus.find((t) => t.state === 'creating' || t.state === 'unknown');
    if (openCreation) {
      // The server may have registered the name without us recording the Location.
      const file = this.d.batches.files(b.id).find((f) => f.id === openCreation.batchFileId);
      return this.restart(
        b,
        `the TUS upload of ${file?.uploadName ?? 'a file'} was created but its address was never recorded`,
      );
    }
    const pending = this.d.batches.files(b.id).filter((f) => f.state === 'pending');
    const viaTus = (f: BatchFileRow): boolean =>
      f.via === 'tus' || (f.via === null && f.size > this.d.settings.bulkThreshold);
    for (const f of pending.filter(viaTus)) {
      const r = await this.sendTus(b, f);
      if (r !== 'continue') return r;
    }
    let small = pending.filter((f) => !viaTus(f));
    let maxBytes = this.d.settings.bulkBatchBytes;
    let maxFiles = this.d.settings.bulkBatchFiles;
    let ahead: GroupCheck | null = null;
    while (small.length > 0) {
      const group = nextBulkGroup(small, maxBytes, maxFiles);
      const checked: GroupCheck =
        ahead?.ids === group.map((f) => f.id).join(',') ? ahead : this.checkGroup(group);
      // Hashing the next group overlaps with sending this one.
      const next = nextBulkGroup(small.slice(group.length), maxBytes, maxFiles);
      ahead = next.length > 0 ? this.checkGroup(next) : null;
      const outcome = await this.sendBulk(b, group, checked);
      if (outcome === 'stop' || outcome === 'restarted') return outcome;
      if (outcome === 'too-large') {
        if (group.length === 1 && group[0]) {
          // Even alone it is too big for one request: TUS sends it in chunks.
          this.d.batches.forceTus(group[0].id);
          const forced = this.d.batches.files(b.id).find((f) => f.id === group[0]?.id);
          const r = forced ? await this.sendTus(b, forced) : 'continue';
          if (r !== 'continue') return r;
          small = small.slice(1);
        } else {
          maxBytes = Math.max(1, Math.floor(group.reduce((s, f) => s + f.size, 0) / 2));
          maxFiles = Math.max(1, Math.floor(group.length / 2));
        }
        continue;
      }
      small = small.slice(group.length);
    }
    if (this.d.batches.files(b.id).some((f) => f.state === 'pending')) return 'continue';
    return this.cas(b, 'finishing');
  }

  private async sendTus(b: UploadBatch, f: BatchFileRow): Promise<Step> {
    const taskId = requireTask(b);
    const row = this.d.uploads.tus(f.id);
    if (row?.state === 'done') return 'continue';
    if ((await this.verify(b, f)) !== 'continue') return 'stop';
    if (!row) this.d.uploads.tusBegin(f.id, taskId, f.size);
    let created = row?.location != null;
    let renamed: string | null = null;
    const before = this.sent(b.id);
    try {
      await this.d.api.tusUpload({
        target: { kind: 'task-data', taskId },
        file: { path: f.absPath, name: f.uploadName, size: f.size },
        chunkSize: this.d.settings.chunkSize,
        adaptChunk: (e) =>
          e === 'start'
            ? this.d.chunkSizer.current
            : e === 'trouble'
              ? this.d.chunkSizer.trouble()
              : this.d.chunkSizer.acknowledged(e.bytes, e.ms),
        resumeUrl: row?.location ?? null,
        signal: this.signal,
        throttle: this.d.throttle,
        onCreated: (location, uploadFilename) => {
          if (uploadFilename !== f.uploadName) {
            // The server renamed it: our name is taken in this task, so a copy is already there.
            renamed = uploadFilename;
            this.d.uploads.tusUnknown(f.id);
            throw new SyncError(`${f.uploadName} already exists in task ${taskId}`, {
              code: 'tus-name-taken',
              kind: 'transient',
              operation: 'create TUS upload',
            });
          }
          this.d.uploads.tusCreated(f.id, location, uploadFilename);
          created = true;
        },
        onOffset: (offset) => this.d.uploads.tusOffset(f.id, offset),
        onProgress: (done) => this.d.hooks.progress(b, before.bytes + done, before.files),
      });
    } catch (e) {
      const err = toSyncError(e, 'TUS upload');
      if (renamed !== null || isTusNameTaken(err) || (!created && err.status === 409)) {
        return this.restart(
          b,
          `${f.uploadName} was already in the task (an earlier attempt reached the server)`,
        );
      }
      if (!created) {
        if (isCancelled(e)) throw e; // stays 'creating': the next run cannot tell, and restarts
        if (refusedBeforeProcessing(e)) {
          this.d.uploads.tusForget(f.id);
          if (err.status === 413) throw tusTooLarge(f, err);
          throw e;
        }
        this.d.uploads.tusUnknown(f.id);
        throw e;
      }
      if (!isCancelled(e) && isTusResumeLost(err)) {
        const cur = this.d.uploads.tus(f.id);
        if (cur && cur.offset >= cur.length) {
          // The last chunk was acknowledged and recorded: the server finished the file.
          this.d.uploads.tusDone(f.id);
          return 'continue';
        }
        if (cur && err.status === 404 && cur.offset + this.d.settings.chunkSize >= cur.length) {
          // The chunk in flight was the last one. CVAT keeps a task-data upload (its .meta
          // file) until the last byte arrives and only then removes it (TusFile.clean in
          // append_tus_chunk, cvat/apps/engine/mixins.py): 404 here means it finished.
          this.d.uploads.tusDone(f.id);
          this.d.hooks.activity(
            b,
            'info',
            'tus-finished-unrecorded',
            `${f.uploadName}: its last chunk had landed before the answer was recorded`,
          );
          return 'continue';
        }
        // 404 means finished *or* unknown; without a recorded final offset we cannot prove which.
        return this.restart(b, `the TUS upload of ${f.uploadName} is gone from the server`);
      }
      throw e;
    }
    if ((await this.verify(b, f)) !== 'continue') return 'stop';
    this.d.uploads.tusDone(f.id);
    this.d.hooks.progress(b, before.bytes + f.size, before.files + 1);
    return 'continue';
  }

  private async sendBulk(
    b: UploadBatch,
    group: BatchFileRow[],
    checked: GroupCheck,
  ): Promise<Step | 'too-large'> {
    const taskId = requireTask(b);
    const changed = await checked.result;
    if (changed !== null) return this.replan(b, changed.file, changed.reason);
    const bytes = group.reduce((s, f) => s + f.size, 0);
    const partId = this.d.uploads.bulkBegin(
      b.id,
      taskId,
      group.map((f) => f.id),
      bytes,
    );
    const before = this.sent(b.id);
    let sent: { sha256: string[] };
    let sentWhole = false;
    try {
      sent = await this.d.api.uploadMultiple(
        taskId,
        group.map((f) => ({ path: f.absPath, name: f.uploadName, size: f.size })),
        {
          signal: this.signal,
          throttle: this.d.throttle,
          imageQuality: b.data.image_quality ?? 70,
          onProgress: (done) => this.d.hooks.progress(b, before.bytes + done, before.files),
          onBodySent: () => {
            sentWhole = true;
            this.d.uploads.bulkBodySent(partId);
          },
        },
      );
    } catch (e) {
      // Aborted: the part stays open; its body_sent_at tells the next run what CVAT can have.
      if (isCancelled(e)) throw e;
      return this.bulkFailed(b, partId, sentWhole, toSyncError(e, 'Upload-Multiple'));
    }
    // The bytes are read once, as they stream out, so a file changed in place (same size and
    // mtime) shows only now, with its changed bytes already stored in the task. The part stays
    // open and re-planning discards the task: Upload-Finish is never called on those bytes, and
    // a crash before the re-plan is recorded finds the open part and discards the task as well.
    const altered = this.d.settings.verifyHash ? contentChanged(group, sent.sha256) : null;
    if (altered !== null)
      return this.replan(
        b,
        altered,
        'its content changed after it was planned (seen while sending)',
      );
    const after = await this.firstChanged(group);
    if (after !== null) return this.replan(b, after.file, after.reason);
    this.d.uploads.bulkDone(partId);
    this.d.hooks.progress(b, before.bytes + bytes, before.files + group.length);
    return 'continue';
  }

  /** What a failed Upload-Multiple request leaves behind, and what to do about it. */
  private bulkFailed(
    b: UploadBatch,
    partId: number,
    sentWhole: boolean,
    err: SyncError,
  ): Step | 'too-large' {
    if (refusedBeforeProcessing(err)) {
      this.d.uploads.bulkForget(partId);
      if (err.status === 413) return 'too-large';
      throw err;
    }
    if (err.status !== undefined && err.status >= 400 && err.status < 500) {
      // Refused by validation (DataSerializer) before anything was stored: the same request
      // would be refused again, and so would a new task's. The batch stops and says why.
      this.d.uploads.bulkForget(partId);
      return this.fail(
        b,
        'bulk-refused',
        `CVAT refused the Upload-Multiple request of "${b.name}" (${err.message}); sending it again would fail the same way`,
        err.hint,
      );
    }
    // A file that changed while it was read: the body never went out whole, so nothing is on
    // the server; the next step forgets the part and the plan check sees the change.
    if (err.code === 'file-changed' && !sentWhole) return 'continue';
    // Cut before the body went out whole (nothing on the server), or a lost answer after a whole
    // body (ambiguous): the open part is settled on the next attempt, after a backoff.
    throw err;
  }

  /** Ends the batch as failed; its task (of no use now) is queued for deletion. */
  private fail(b: UploadBatch, code: string, message: string, hint?: string): Step {
    const current = this.d.batches.get(b.id);
    if (!current || isTerminal(current.state)) return 'stop';
    const error: ErrorInfo = { code, kind: 'item', message, retryable: false };
    if (hint !== undefined) error.hint = hint;
    if (current.taskId !== null)
      this.d.discards.add(current.taskId, b.id, `batch failed: ${code}`, b.server);
    if (
      this.d.batches.transition(b.id, current.state, 'failed', {
        lastError: error,
        taskId: null,
        rqId: null,
        finishedAt: this.d.clock.now(),
      })
    ) {
      this.d.hooks.activity(b, 'error', 'batch-failed', message, hint);
    }
    return 'stop';
  }

  /** A file that changed since planning is never sent in its changed state: the batch is re-planned. */
  private async verify(b: UploadBatch, f: BatchFileRow): Promise<Step> {
    const reason = await this.check(f);
    return reason === null ? 'continue' : this.replan(b, f, reason);
  }

  /** Why `f` no longer matches its planned size and mtime, or null. No side effects: it may run ahead. */
  private async check(f: BatchFileRow): Promise<string | null> {
    return changedSincePlan(
      { size: f.size, mtimeMs: f.mtimeMs },
      await probeFile(this.d.fs, f.absPath),
    );
  }

  /**
   * The first file of `group` (in order) that no longer matches its plan, and why. The stats run
   * side by side: one after the other, a thousand of them cost a noticeable pause per request.
   */
  private async firstChanged(
    group: BatchFileRow[],
  ): Promise<{ file: BatchFileRow; reason: string } | null> {
    const reasons = await Promise.all(group.map((f) => this.check(f)));
    const i = reasons.findIndex((r) => r !== null);
    const file = group[i];
    return file ? { file, reason: reasons[i] as string } : null;
  }

  /** Checks a bulk group's files ahead of sending; the first changed file and why. */
  private checkGroup(group: BatchFileRow[]): GroupCheck {
    const ids = group.map((f) => f.id).join(',');
    const result = this.firstChanged(group);
    // A check run ahead may be dropped (413 regrouping, abort): never an unhandled rejection.
    result.catch(() => undefined);
    return { ids, result };
  }

  private replan(b: UploadBatch, f: BatchFileRow, reason: string): Step {
    const current = this.d.batches.get(b.id);
    if (!current || current.state !== 'sending') return 'stop';
    if (current.restarts >= this.d.settings.restart.maxRestarts)
      return this.fail(
        b,
        'restart-bound',
        gaveUpMessage(b.name, current.restarts, `${f.relPath}: ${reason}`),
        'A file of this batch keeps changing; retry once it is stable.',
      );
    if (
      this.d.batches.restart(b.id, 'sending', {
        reason: `${f.relPath} changed`,
        countRestart: true,
        replanReason: `${f.relPath}: ${reason}`,
        notBefore: this.d.clock.now() + restartDelay(current.restarts + 1, this.d.settings.restart),
      })
    ) {
      this.d.hooks.activity(
        b,
        'warn',
        'batch-replan',
        `${f.relPath}: ${reason}; the batch waits to be planned again`,
      );
      this.d.hooks.replanNeeded(b, f, reason);
    }
    return 'stop';
  }

  // ---- finishing -> processing -> done

  private async finish(b: UploadBatch): Promise<Step> {
    const taskId = requireTask(b);
    let rqId: string | null;
    try {
      rqId = await this.d.api.uploadFinish(taskId, this.dataRequest(b), this.signal);
    } catch (e) {
      const err = toSyncError(e, 'Upload-Finish');
      // 409: a creation job already runs (an earlier Upload-Finish landed); 400: media attached.
      if (err.status !== 409 && err.status !== 400) throw e;
      const found = await findCreateRequest(this.d.api, taskId, this.signal);
      if (found === null) {
        const task = await this.d.api.findTask(taskId, this.signal);
        if (task && task.size > 0) return this.done(b, 'finishing', task);
        throw e;
      }
      rqId = found;
    }
    if (rqId !== null)
      this.d.requests.record({ rqId, batchId: b.id, taskId, operation: CREATE_OPERATION });
    return this.cas(b, 'processing', { rqId });
  }

  private async process(b: UploadBatch): Promise<Step> {
    const taskId = requireTask(b);
    if (b.rqId === null) return this.processLegacy(b, taskId);
    const rqId = b.rqId;
    const r = await this.d.api.waitForRequest(rqId, {
      signal: this.signal,
      onUpdate: (u) => this.d.requests.update(rqId, u.status, u.message || null, u.progress),
    });
    if (r === null) {
      this.d.requests.update(rqId, 'gone', null, null);
      return this.afterRequestGone(b, taskId);
    }
    this.d.requests.update(rqId, r.status, r.message || null, r.progress);
    if (r.status === 'finished')
      return this.done(b, 'processing', await this.d.api.getTask(taskId, this.signal));
    return this.processingFailed(b, r.message);
  }

  /** Servers older than 2.16 (Upload-Finish gave no rq_id): the task's creation status tells. */
  private async processLegacy(b: UploadBatch, taskId: number): Promise<Step> {
    if (this.d.api.waitForTaskCreation) {
      const s = await this.d.api.waitForTaskCreation(taskId, { signal: this.signal });
      if (s.state === 'Failed') return this.processingFailed(b, s.message);
    }
    for (let look = 0; look < 2; look++) {
      const task = await this.d.api.findTask(taskId, this.signal);
      if (task === null) return this.restart(b, `task ${taskId} disappeared from the server`);
      if (task.size > 0) return this.done(b, 'processing', task);
      if (!this.d.api.waitForTaskCreation) {
        // Nothing to poll but the task itself.
        await this.d.clock.sleep(this.d.settings.recheckDelayMs, this.signal);
        return 'continue';
      }
      // "Finished" without media: the server no longer knows the job (e.g. it restarted).
      if (look === 0) await this.d.clock.sleep(this.d.settings.recheckDelayMs, this.signal);
    }
    return this.restart(b, `task ${taskId} has no media and its creation job is gone`);
  }

  private processingFailed(b: UploadBatch, message: string): Step {
    const error: ErrorInfo = {
      code: 'processing-failed',
      kind: 'item',
      message: message
        ? `CVAT could not process the media of "${b.name}": ${message}`
        : `CVAT could not process the media of "${b.name}"`,
      retryable: false,
    };
    this.d.batches.transition(b.id, 'processing', 'failed', {
      lastError: error,
      attempts: b.attempts + 1,
      finishedAt: this.d.clock.now(),
    });
    this.d.hooks.activity(b, 'error', 'batch-failed', error.message);
    return 'stop';
  }

  /** The request is unknown (expired after finishing, or lost): the task itself must tell. */
  private async afterRequestGone(b: UploadBatch, taskId: number): Promise<Step> {
    for (let look = 0; look < 2; look++) {
      const task = await this.d.api.findTask(taskId, this.signal);
      if (task === null) return this.restart(b, `task ${taskId} disappeared from the server`);
      if (task.size > 0) return this.done(b, 'processing', task);
      const again = await findCreateRequest(this.d.api, taskId, this.signal);
      if (again !== null && again !== b.rqId) {
        this.d.requests.record({ rqId: again, batchId: b.id, taskId, operation: CREATE_OPERATION });
        this.d.batches.update(b.id, 'processing', { rqId: again });
        return 'continue';
      }
      if (look === 0) await this.d.clock.sleep(this.d.settings.recheckDelayMs, this.signal);
    }
    return this.restart(b, `task ${taskId} has no media and its creation request is gone`);
  }

  private done(b: UploadBatch, from: BatchState, task: CvatTask): Step {
    const ok = this.d.batches.transition(b.id, from, 'done', {
      taskSize: task.size,
      jobCount: task.jobs.count,
      finishedAt: this.d.clock.now(),
      lastError: null,
      nextAttemptAt: null,
    });
    if (ok) {
      this.d.hooks.activity(
        b,
        'info',
        'batch-done',
        `Task ${task.id} "${b.name}" is ready: ${task.size} frames, ${task.jobs.count} jobs`,
      );
    }
    return 'stop';
  }

  private dataRequest(b: UploadBatch): DataRequest {
    const data: DataRequest = { ...b.data, image_quality: b.data.image_quality ?? 70 };
    if (data.sorting_method === 'predefined') {
      // The order names what was actually sent, under the names it has in the task.
      data.upload_file_order = this.d.batches
        .files(b.id)
        .filter((f) => f.state === 'sent')
        .map((f) => f.uploadName);
    }
    return data;
  }

  // ---- cancel

  private async cancel(b: UploadBatch): Promise<void> {
    if (b.state === 'processing' || b.state === 'done') {
      this.d.batches.update(b.id, b.state, { cancelRequested: false });
      this.d.hooks.activity(
        b,
        'warn',
        'cancel-refused',
        `"${b.name}" can no longer be cancelled (${b.state})`,
      );
      return;
    }
    if (b.state === 'cancelled') {
      this.d.batches.update(b.id, 'cancelled', { cancelRequested: false });
      return;
    }
    // A creation whose outcome we never learned may have left a task: find it to delete it.
    const extra =
      b.state === 'creating' ? (await findOurTasks(this.d, b, this.signal)).map((t) => t.id) : [];
    if (this.d.batches.finishCancel(b.id, b.state, extra)) {
      this.d.hooks.activity(b, 'info', 'batch-cancelled', `"${b.name}" cancelled`);
    }
    this.d.hooks.changed(b.id);
  }

  // ---- helpers

  private cas(b: UploadBatch, to: BatchState, patch: { rqId?: string | null } = {}): Step {
    this.d.batches.transition(b.id, b.state, to, patch);
    return 'continue';
  }

  /**
   * Discards the task and goes back to 'planned', only where the task's state cannot be known.
   * Every such fresh start counts against the bound and waits a growing delay before the next
   * task is created (restart-policy.ts); both live in the journal. At the bound the batch fails.
   */
  private restart(b: UploadBatch, reason: string): Step {
    const current = this.d.batches.get(b.id);
    if (!current || current.state === 'planned' || isTerminal(current.state)) return 'restarted';
    const policy = this.d.settings.restart;
    if (current.restarts >= policy.maxRestarts) {
      this.fail(
        b,
        'restart-bound',
        gaveUpMessage(b.name, current.restarts, reason),
        'Look at the activity log for what happened each time; retry the batch once it is fixed.',
      );
      return 'stop';
    }
    const n = current.restarts + 1;
    const delay = restartDelay(n, policy);
    // The task's state could not be known: an ambiguous event, and the task it may cost.
    this.d.batches.countRecovery(b.id, { ambiguous: 1 });
    if (
      !this.d.batches.restart(b.id, current.state, {
        reason,
        countRestart: true,
        notBefore: this.d.clock.now() + delay,
      })
    )
      return 'restarted';
    this.d.hooks.activity(
      b,
      'warn',
      'batch-restart',
      `"${b.name}": ${reason}; task ${current.taskId ?? '?'} is discarded and the batch starts ` +
        `again in ${Math.ceil(delay / 1000)} s (fresh start ${n} of at most ${policy.maxRestarts})`,
    );
    return 'restarted';
  }

  /** Files and bytes of the batch already on the server (read once per transfer, not per callback). */
  private sent(batchId: number): { files: number; bytes: number } {
    const sent = this.d.batches.files(batchId).filter((f) => f.state === 'sent');
    return { files: sent.length, bytes: sent.reduce((s, f) => s + f.size, 0) };
  }
}

/** The first file whose sent bytes do not hash to its planned SHA-256 (files planned without one pass). */
function contentChanged(group: BatchFileRow[], sent: string[]): BatchFileRow | null {
  for (let i = 0; i < group.length; i++) {
    const f = group[i]!;
    if (f.sha256 !== null && sent[i] !== f.sha256) return f;
  }
  return null;
}

function requireTask(b: UploadBatch): number {
  if (b.taskId === null) throw new Error(`Batch ${b.id} is ${b.state} without a task id`);
  return b.taskId;
}

/** Tasks that can only be this batch's lost creation: its exact name, our user, no media, unclaimed, recent. */
async function findOurTasks(
  d: RunnerDeps,
  b: UploadBatch,
  signal: AbortSignal,
): Promise<CvatTask[]> {
  const candidates = await d.api.findTasksByName(b.name, signal);
  const self = await d.selfId();
  const since = (b.createStartedAt ?? b.createdAt) - d.settings.clockSkewMs;
  return candidates.filter((t) => {
    if (t.name !== b.name || t.size > 0) return false;
    if (self !== null && t.owner !== null && t.owner.id !== self) return false;
    if (d.batches.claimedBy(t.id, b.server).some((id) => id !== b.id)) return false;
    if (d.discards.has(t.id, b.server)) return false;
    const created = Date.parse(t.created_date);
    return Number.isNaN(created) || created >= since;
  });
}

async function findCreateRequest(
  api: CvatApi,
  taskId: number,
  signal: AbortSignal,
): Promise<string | null> {
  const page = await api.listRequests({ task_id: taskId, action: 'create', page_size: 10 }, signal);
  const r = page.results.find(
    (x) => x.operation.task_id === taskId && x.operation.type === CREATE_OPERATION,
  );
  return r?.id ?? null;
}

/** Deletes tasks queued for deletion; a task already gone counts as deleted. */
export async function deleteDiscards(
  api: CvatApi,
  discards: DiscardRepo,
  rows: DiscardRow[],
  signal: AbortSignal,
): Promise<void> {
  for (const row of rows) {
    if (signal.aborted) throw abortError();
    try {
      await api.deleteTask(row.taskId, signal);
    } catch (e) {
      const err = toSyncError(e, `delete task ${row.taskId}`);
      if (err.status !== 404 && err.code !== 'not-found') {
        if (!isCancelled(e)) discards.failed(row.taskId, row.server, errorInfo(err));
        throw e;
      }
    }
    discards.deleted(row.taskId, row.server);
  }
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
