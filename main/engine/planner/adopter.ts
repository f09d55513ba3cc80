// Rebuild after the data folder was lost: a folder added again with "adopt existing" plans its
// batches as usual, but each new batch is held (paused) until the server was asked whether a
// task with the same name already holds exactly the planned files. A full match (name, frame
// names and count) is recorded as done with that task; no task of that name lets the batch
// upload; anything in between fails the batch with what matched and what did not, for the user
// to decide (Retry uploads it as a new task). Nothing is guessed.
//
// This is the user's explicit choice, and the one place a task is taken by its default name
// (README.md § Several agents, one CVAT): a task another agent of the same account is still
// filling has no media or not all of it, so it is refused as a partial match; a task this
// journal already recorded for another batch is never a candidate.

import { isSyncError } from '../../core/errors.js';
import type { ErrorInfo } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isSoloKind, mediaKindOf } from '../../core/media.js';
import type { Clock } from '../../core/clock.js';
import type { CvatApi, CvatTask, DataRequest } from '../../cvat/api.js';
import type { DataMeta } from '../../cvat/task-calls.js';
import type { BatchFileRow, BatchRow } from '../../journal/batch-repo.js';
import type { EngineJournal } from '../engine-journal.js';

const FLAG = (folderId: number) => `folder:${folderId}:adopt-existing`;
const PENDING = (folderId: number) => `folder:${folderId}:adopt-pending`;
const ADOPTED = (folderId: number) => `folder:${folderId}:adopted`;

export type AdoptDecision =
  | { kind: 'adopt'; task: CvatTask; meta: DataMeta }
  | { kind: 'upload' }
  | { kind: 'partial'; message: string };

export interface Candidate {
  task: CvatTask;
  /** null when the task has no readable media (data/meta failed). */
  meta: DataMeta | null;
}

/** How many frames CVAT keeps of `n` files with the upload's range and step. */
function expectedFrames(n: number, data: DataRequest): number {
  const start = data.start_frame ?? 0;
  const stop = Math.min(typeof data.stop_frame === 'number' ? data.stop_frame : n - 1, n - 1);
  const step = Number(/step\s*=\s*(\d+)/.exec(data.frame_filter ?? '')?.[1] ?? 1) || 1;
  if (stop < start) return 0;
  return Math.floor((stop - start) / step) + 1;
}

const list = (names: string[], max = 5) =>
  names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

/** Pure: the decision for one planned batch, given the tasks of the same name on the server. */
export function decide(
  batch: Pick<BatchRow, 'name' | 'data'>,
  files: Pick<BatchFileRow, 'uploadName' | 'relPath'>[],
  candidates: Candidate[],
): AdoptDecision {
  if (candidates.length === 0) return { kind: 'upload' };
  const data = batch.data as DataRequest;
  const planned = files.map((f) => f.uploadName);
  const solo = files.length === 1 && files[0] && isSoloKind(mediaKindOf(files[0].relPath));
  const reasons: string[] = [];
  const matches: Candidate[] = [];
  for (const c of candidates) {
    const id = `task #${c.task.id}`;
    if (!c.meta || c.meta.size === 0) {
      reasons.push(`${id} has no media`);
      continue;
    }
    const names = c.meta.frames.map((f) => f.name);
    if (solo) {
      const kind = mediaKindOf(files[0]?.relPath ?? '');
      if (kind !== 'video' && kind !== 'audio') {
        reasons.push(
          `${id}: the frames of an archive or PDF cannot be compared with the file without unpacking it`,
        );
        continue;
      }
      if (names.length === 1 && names[0] === planned[0]) matches.push(c);
      else reasons.push(`${id} holds ${list(names)}, not ${planned[0] ?? ''}`);
      continue;
    }
    const want = new Set(planned);
    const have = new Set(names);
    const lacking = planned.filter((n) => !have.has(n));
    const extra = names.filter((n) => !want.has(n));
    const ranged =
      data.start_frame !== undefined || data.stop_frame !== undefined || !!data.frame_filter;
    const count = ranged ? expectedFrames(planned.length, data) : planned.length;
    const fits = ranged ? extra.length === 0 : lacking.length === 0 && extra.length === 0;
    if (fits && names.length === count) {
      matches.push(c);
      continue;
    }
    const parts = [
      `${id} has ${names.length} frames for ${planned.length} planned files`,
      `${planned.length - lacking.length} match`,
    ];
    if (!ranged && lacking.length) parts.push(`not in the task: ${list(lacking)}`);
    if (extra.length) parts.push(`not in the folder: ${list(extra)}`);
    reasons.push(parts.join('; '));
  }
  const only = matches.length === 1 ? matches[0] : undefined;
  if (only?.meta) return { kind: 'adopt', task: only.task, meta: only.meta };
  if (matches.length > 1)
    return {
      kind: 'partial',
      message: `Tasks ${matches.map((m) => `#${m.task.id}`).join(', ')} on the server are all named “${batch.name}” and match the plan: which one is this folder's is not guessed.`,
    };
  return {
    kind: 'partial',
    message: `A task named “${batch.name}” is on the server but does not match the plan: ${reasons.join('. ')}.`,
  };
}

export interface AdopterOptions {
  journal: EngineJournal;
  clock: Clock;
  logger: Logger;
  api: () => CvatApi | null;
  /** A decision was recorded: wake the engine, update the folder's counts, tell the user. */
  onDecided: (folderId: number, batch: BatchRow, decision: AdoptDecision) => void;
}

export class Adopter {
  private running = new Map<number, Promise<void>>();

  private readonly batches: EngineJournal['batches'];
  private readonly settings: EngineJournal['settings'];

  constructor(private readonly options: AdopterOptions) {
    this.batches = options.journal.batches;
    this.settings = options.journal.settings;
  }

  isEnabled(folderId: number): boolean {
    return this.settings.get<boolean>(FLAG(folderId)) === true;
  }

  setEnabled(folderId: number, on: boolean): void {
    if (on) this.settings.set(FLAG(folderId), true);
    else this.settings.delete(FLAG(folderId));
  }

  /**
   * The planner made a new batch (inside its planning transaction): in an adopting folder it is
   * held until it was checked, so that it can never start before.
   */
  hold(batchId: number, folderId: number): void {
    if (!this.isEnabled(folderId)) return;
    const row = this.batches.get(batchId);
    if (row?.state === 'planned' && !row.paused && row.taskId === null) {
      this.batches.setPaused(batchId, true);
      const pending = this.pending(folderId);
      if (!pending.includes(batchId)) this.settings.set(PENDING(folderId), [...pending, batchId]);
    }
  }

  /** Batches of the folder recorded as done with a task already on the server. */
  adopted(folderId: number): number[] {
    return this.settings.get<number[]>(ADOPTED(folderId)) ?? [];
  }

  pending(folderId: number): number[] {
    return this.settings.get<number[]>(PENDING(folderId)) ?? [];
  }

  /** Checks every held batch of the folder (one pass at a time per folder). */
  run(folderId: number): Promise<void> {
    const prev = this.running.get(folderId) ?? Promise.resolve();
    const next = prev
      .then(() => this.pass(folderId))
      .catch((e: unknown) => {
        this.options.logger.warn('adopting existing tasks failed', { folderId, error: String(e) });
      });
    this.running.set(folderId, next);
    return next;
  }

  private async pass(folderId: number): Promise<void> {
    const api = this.options.api();
    if (!api) return; // signed out: the batches stay held until the next pass
    for (const id of this.pending(folderId)) {
      const batch = this.batches.get(id);
      if (!batch || batch.state !== 'planned') {
        this.forget(folderId, id);
        continue;
      }
      let decision: AdoptDecision;
      try {
        const found = await candidatesOf(api, batch.name);
        // A task recorded for another batch of this journal (a folder of the same name) is taken.
        const server = batch.server || api.server;
        const free = found.filter(
          (c) => !this.batches.claimedBy(c.task.id, server).some((other) => other !== id),
        );
        decision = decide(batch, this.batches.files(id), free);
      } catch (e) {
        // Unreachable or refused: keep holding, the next pass asks again.
        this.options.logger.warn('cannot check the server for an existing task', {
          batchId: id,
          error: String(e),
        });
        return;
      }
      this.record(batch, decision);
      this.forget(folderId, id);
      this.options.onDecided(folderId, this.batches.get(id) ?? batch, decision);
    }
  }

  private record(batch: BatchRow, d: AdoptDecision): void {
    if (d.kind === 'adopt' && batch.folderId !== null) {
      const folderId = batch.folderId;
      // Done with that task, its files uploaded, its content on the ledger: one transaction.
      this.options.journal.transaction(() => {
        this.settings.set(ADOPTED(folderId), [...this.adopted(folderId), batch.id]);
        this.options.journal.completeBatch(
          batch.id,
          { id: d.task.id, size: d.meta.size, jobCount: d.task.jobs.count },
          'planned',
          { filesDone: batch.filesTotal, bytesDone: batch.bytesTotal },
        );
      });
    } else if (d.kind === 'partial') {
      const error: ErrorInfo = {
        code: 'adopt-mismatch',
        kind: 'item',
        message: d.message,
        retryable: false,
        hint: 'Retry to upload these files as a new task, or fix the task in CVAT (or rename this folder’s task) and add the folder again.',
      };
      this.batches.transition(batch.id, 'planned', 'failed', { lastError: error });
    }
    this.batches.setPaused(batch.id, false);
  }

  private forget(folderId: number, id: number): void {
    this.settings.set(
      PENDING(folderId),
      this.pending(folderId).filter((x) => x !== id),
    );
  }
}

async function candidatesOf(api: CvatApi, name: string): Promise<Candidate[]> {
  const tasks = await api.findTasksByName(name);
  const calls = api.taskApi?.();
  const out: Candidate[] = [];
  for (const task of tasks) {
    let meta: DataMeta | null = null;
    if (calls && task.data !== null) {
      try {
        meta = await calls.dataMeta(task.id);
      } catch (e) {
        if (!isSyncError(e) || e.status === undefined || e.status < 400 || e.status >= 500) throw e;
      }
    }
    out.push({ task, meta });
  }
  return out;
}
