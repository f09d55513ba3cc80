// Deletes the discarded tasks of batches that are not running (a running batch deletes its
// own), one pass at a time, with the queue's retry delay between failed passes.
import type { Clock } from '../../core/clock.js';
import { toSyncError } from '../../core/errors.js';
import type { SyncError } from '../../core/errors.js';
import type { CvatApi } from '../../cvat/api.js';
import type { DiscardRepo, DiscardRow } from '../../journal/discard-repo.js';
import { deleteDiscards } from './task-lookup.js';

export interface JanitorDeps {
  discards: DiscardRepo;
  clock: Clock;
  retryDelay(attempt: number, retryAfterMs?: number): number;
  /** A fatal error: the queue holds. */
  hold(error: SyncError): void;
  /** A pass ended: the loop looks again. */
  wake(): void;
}

export class DiscardJanitor {
  private pass: { controller: AbortController; done: Promise<void> } | null = null;
  private nextAt = 0;
  private attempts = 0;

  constructor(private readonly deps: JanitorDeps) {}

  get busy(): boolean {
    return this.pass !== null;
  }

  /** When the next pass may run after a failed one (0: any time). */
  get notBefore(): number {
    return this.nextAt;
  }

  /** Tasks to delete on the api's server ('' = recorded before servers were: any). */
  discardsHere(api: CvatApi): DiscardRow[] {
    return this.deps.discards.list().filter((d) => d.server === '' || d.server === api.server);
  }

  /** Starts a pass unless one runs, its retry is not due, or nothing waits outside `running`. */
  maybeRun(api: CvatApi, now: number, running: (batchId: number) => boolean): void {
    if (this.pass !== null || now < this.nextAt) return;
    const pending = this.discardsHere(api).filter((d) => d.batchId === null || !running(d.batchId));
    if (pending.length === 0) return;
    const controller = new AbortController();
    const done = (async () => {
      await deleteDiscards(api, this.deps.discards, pending, controller.signal);
      this.attempts = 0;
    })()
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        const err = toSyncError(e, 'delete task');
        if (err.kind === 'fatal') {
          this.deps.hold(err);
          return;
        }
        this.attempts += 1;
        this.nextAt = this.deps.clock.now() + this.deps.retryDelay(this.attempts, err.retryAfterMs);
      })
      .finally(() => {
        this.pass = null;
        this.deps.wake();
      });
    this.pass = { controller, done };
  }

  /** Interrupts a running pass and waits until it has let go. */
  async stop(): Promise<void> {
    this.pass?.controller.abort();
    await this.pass?.done;
  }

  abort(): void {
    this.pass?.controller.abort();
  }
}
