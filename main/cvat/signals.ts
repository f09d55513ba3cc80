// Abort plumbing for Node I/O: fetch and streams need a real AbortSignal, callers give AbortSignalLike.
import type { AbortSignalLike } from '../core/signal.js';

/**
 * A controller aborted by the caller's signal or by a timer that can be re-armed (idle timeouts
 * for transfers) or armed once (whole-call timeouts). `timedOut` tells the two causes apart.
 */
export class CallGuard {
  readonly controller = new AbortController();
  timedOut = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onCallerAbort = (): void =>
    this.controller.abort(new DOMException('Aborted', 'AbortError'));

  constructor(
    private readonly caller: AbortSignalLike | undefined,
    private readonly timeoutMs: number,
  ) {
    if (caller?.aborted) this.onCallerAbort();
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get callerAborted(): boolean {
    return this.caller?.aborted === true;
  }

  /** Restarts the timeout: call on every sign of progress for idle timeouts. */
  touch(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.controller.signal.aborted || !(this.timeoutMs > 0) || !Number.isFinite(this.timeoutMs))
      return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException('Timed out', 'TimeoutError'));
    }, this.timeoutMs);
    // A pending timeout alone must not keep a CLI process alive.
    this.timer.unref?.();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}
