// Drives one batch through its persisted state machine, from planned to done:
//   planned -> creating -> created(task) -> started -> sending -> finishing -> processing(rq) -> done
// Each step reads the journal, does one remote action and records the outcome, so a step found
// half-done after a crash is the same situation as a step interrupted a moment ago: there is no
// separate recovery code path. Where the server's state cannot be known (a task created but not
// recorded, a bulk request cut mid-body, a TUS upload whose end is uncertain) the step either
// proves the state by asking the server or discards the task and starts the batch again.
// Task creation and adoption, the end states (done, failed, re-plan, fresh start) and cancel are
// here; sending (send-step.ts, tus-send.ts, bulk-send.ts) and processing (batch-processing.ts)
// are modules of their own that call back through RunnerActions.
import { isTerminal } from '../../core/batch-state.js';
import type { BatchState } from '../../core/batch-state.js';
import { abortError } from '../../core/clock.js';
import type { ErrorInfo } from '../../core/errors.js';
import { mediaKindOf } from '../../core/media.js';
import type { CvatTask } from '../../cvat/api.js';
import type { BatchFileRow } from '../../journal/batch-repo.js';
import type { UploadBatch } from './types.js';
import { awaitProcessing, finishUpload } from './batch-processing.js';
import { checkFile } from './plan-checks.js';
import { gaveUpMessage, restartDelay } from './restart-policy.js';
import type { RunnerActions, RunnerDeps, Step } from './runner-types.js';
import { send } from './send-step.js';
import { deleteDiscards, requireTask } from './task-lookup.js';
import {
  createClaimedTask,
  deletedEntry,
  findClaimedTasks,
  renameToDefault,
  resolveLostCreation,
  sweepClaim,
} from './task-claim.js';

export type { RunnerDeps, RunnerHooks, RunnerSettings } from './runner-types.js';
export { deleteDiscards } from './task-lookup.js';

export class BatchRunner {
  private readonly deps: RunnerDeps;
  /** What the step modules may call back. */
  private readonly actions: RunnerActions;

  constructor(
    deps: RunnerDeps,
    private readonly batchId: number,
    private readonly signal: AbortSignal,
  ) {
    this.deps = deps;
    this.actions = {
      deps,
      signal,
      restart: (b, reason) => this.restart(b, reason),
      replan: (b, f, reason) => this.replan(b, f, reason),
      fail: (b, code, message, hint) => this.fail(b, code, message, hint),
      verify: (b, f) => this.verify(b, f),
      done: (b, from, task) => this.done(b, from, task),
      cas: (b, to, patch) => this.cas(b, to, patch),
      sent: (batchId) => this.sent(batchId),
    };
  }

  /** Runs steps until the batch is terminal, parked (replan), or a step throws. */
  async run(): Promise<void> {
    for (;;) {
      if (this.signal.aborted) throw abortError();
      const b = this.deps.batches.get(this.batchId);
      if (!b) return;
      if (b.cancelRequested) {
        await this.cancel(b);
        return;
      }
      if (isTerminal(b.state) || b.replanReason !== null) return;
      const step = await this.step(b);
      this.deps.hooks.changed(b.id);
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
        return send(this.actions, b);
      case 'finishing':
        return finishUpload(this.actions, b);
      case 'processing':
        return awaitProcessing(this.actions, b);
      default:
        return Promise.resolve('stop');
    }
  }

  // ---- planned -> creating -> created

  private async plan(b: UploadBatch): Promise<Step> {
    // Never a second task for a batch: earlier attempts' tasks go first.
    await deleteDiscards(
      this.deps.api,
      this.deps.discards,
      this.deps.discards.list(b.id),
      this.signal,
      (row) => {
        const e = deletedEntry(row);
        this.deps.hooks.activity({ ...b, taskId: row.taskId }, 'info', e.kind, e.message);
      },
    );
    // Fresh starts are spaced (restart-policy.ts): the next creation waits for its time.
    if (b.restartNotBefore !== null && b.restartNotBefore > this.deps.clock.now()) {
      this.deps.batches.update(b.id, 'planned', { nextAttemptAt: b.restartNotBefore });
      return 'stop';
    }
    const files = this.deps.batches.files(b.id);
    for (const f of files) {
      if (f.state !== 'pending') continue;
      const reason =
        f.size === 0
          ? 'empty file'
          : mediaKindOf(f.uploadName) === 'unknown'
            ? 'unsupported file type'
            : null;
      if (reason) {
        this.deps.batches.skipFile(f.id, reason);
        this.deps.hooks.activity(b, 'warn', 'file-skipped', `${f.relPath}: not sent (${reason})`);
      }
    }
    if (!this.deps.batches.files(b.id).some((f) => f.state === 'pending')) {
      const error: ErrorInfo = {
        code: 'no-media',
        kind: 'item',
        message: `${b.name}: no file of this batch can be sent (all empty or unsupported)`,
        retryable: false,
      };
      this.deps.batches.transition(b.id, 'planned', 'failed', {
        lastError: error,
        finishedAt: this.deps.clock.now(),
      });
      this.deps.hooks.activity(b, 'error', 'batch-failed', error.message);
      return 'stop';
    }
    // Under this agent's claim name, recorded before the POST (task-claim.ts).
    await createClaimedTask(this.deps, b, this.signal);
    return 'continue';
  }

  /** 'creating' found at the start of a step: the POST may or may not have landed. */
  private async adoptOrReplan(b: UploadBatch): Promise<Step> {
    await resolveLostCreation(this.deps, b, this.signal);
    return 'continue';
  }

  private async start(b: UploadBatch): Promise<Step> {
    const taskId = requireTask(b);
    // The claim name gives way to the default name before any data is attached.
    await renameToDefault(this.deps, b, taskId, this.signal);
    // Upload-Start is idempotent until media is attached, so repeating it after a crash is fine.
    await this.deps.api.uploadStart(taskId, this.signal);
    return this.cas(b, 'started');
  }

  /** Ends the batch as failed; its task (of no use now) is queued for deletion. */
  private fail(b: UploadBatch, code: string, message: string, hint?: string): Step {
    const current = this.deps.batches.get(b.id);
    if (!current || isTerminal(current.state)) return 'stop';
    const error: ErrorInfo = { code, kind: 'item', message, retryable: false };
    if (hint !== undefined) error.hint = hint;
    if (current.taskId !== null)
      this.deps.discards.add(current.taskId, b.id, `batch failed: ${code}`, b.server);
    if (
      this.deps.batches.transition(b.id, current.state, 'failed', {
        lastError: error,
        taskId: null,
        rqId: null,
        finishedAt: this.deps.clock.now(),
      })
    ) {
      this.deps.hooks.activity(b, 'error', 'batch-failed', message, hint);
    }
    return 'stop';
  }

  /** A file that changed since planning is never sent in its changed state: the batch is re-planned. */
  private async verify(b: UploadBatch, f: BatchFileRow): Promise<Step> {
    const reason = await checkFile(this.deps.fs, f);
    return reason === null ? 'continue' : this.replan(b, f, reason);
  }

  private replan(b: UploadBatch, f: BatchFileRow, reason: string): Step {
    const current = this.deps.batches.get(b.id);
    if (!current || current.state !== 'sending') return 'stop';
    if (current.restarts >= this.deps.settings.restart.maxRestarts)
      return this.fail(
        b,
        'restart-bound',
        gaveUpMessage(b.name, current.restarts, `${f.relPath}: ${reason}`),
        'A file of this batch keeps changing; retry once it is stable.',
      );
    if (
      this.deps.batches.restart(b.id, 'sending', {
        reason: `${f.relPath} changed`,
        countRestart: true,
        replanReason: `${f.relPath}: ${reason}`,
        notBefore:
          this.deps.clock.now() + restartDelay(current.restarts + 1, this.deps.settings.restart),
      })
    ) {
      this.deps.hooks.activity(
        b,
        'warn',
        'batch-replan',
        `${f.relPath}: ${reason}; the batch waits to be planned again`,
      );
      this.deps.hooks.replanNeeded(b, f, reason);
    }
    return 'stop';
  }

  // ---- done

  private async done(b: UploadBatch, from: BatchState, task: CvatTask): Promise<Step> {
    const ok = this.deps.journal.completeBatch(
      b.id,
      { id: task.id, size: task.size, jobCount: task.jobs.count },
      from,
    );
    if (ok) {
      this.deps.hooks.activity(
        b,
        'info',
        'batch-done',
        `Task ${task.id} "${b.name}" is ready: ${task.size} frames, ${task.jobs.count} jobs`,
      );
      await sweepClaim(this.deps, { ...b, taskId: task.id }, this.signal);
    }
    return 'stop';
  }

  // ---- cancel

  private async cancel(b: UploadBatch): Promise<void> {
    if (b.state === 'processing' || b.state === 'done') {
      this.deps.batches.update(b.id, b.state, { cancelRequested: false });
      this.deps.hooks.activity(
        b,
        'warn',
        'cancel-refused',
        `"${b.name}" can no longer be cancelled (${b.state})`,
      );
      return;
    }
    if (b.state === 'cancelled') {
      this.deps.batches.update(b.id, 'cancelled', { cancelRequested: false });
      return;
    }
    // A creation whose outcome we never learned may have left a task: find it to delete it.
    const claim = b.state === 'creating' ? this.deps.claims.get(b.id) : null;
    const extra =
      claim === null
        ? []
        : (await findClaimedTasks(this.deps, b, claim.claim, this.signal)).map((t) => t.id);
    if (this.deps.journal.cancelBatch(b.id, b.state, extra)) {
      this.deps.hooks.activity(b, 'info', 'batch-cancelled', `"${b.name}" cancelled`);
    }
    this.deps.hooks.changed(b.id);
  }

  // ---- helpers

  private cas(b: UploadBatch, to: BatchState, patch: { rqId?: string | null } = {}): Step {
    this.deps.batches.transition(b.id, b.state, to, patch);
    return 'continue';
  }

  /**
   * Discards the task and goes back to 'planned', only where the task's state cannot be known.
   * Every such fresh start counts against the bound and waits a growing delay before the next
   * task is created (restart-policy.ts); both live in the journal. At the bound the batch fails.
   */
  private restart(b: UploadBatch, reason: string): Step {
    const current = this.deps.batches.get(b.id);
    if (!current || current.state === 'planned' || isTerminal(current.state)) return 'restarted';
    const policy = this.deps.settings.restart;
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
    this.deps.batches.countRecovery(b.id, { ambiguous: 1 });
    if (
      !this.deps.batches.restart(b.id, current.state, {
        reason,
        countRestart: true,
        notBefore: this.deps.clock.now() + delay,
      })
    )
      return 'restarted';
    this.deps.hooks.activity(
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
    const sent = this.deps.batches.files(batchId).filter((f) => f.state === 'sent');
    return { files: sent.length, bytes: sent.reduce((s, f) => s + f.size, 0) };
  }
}
