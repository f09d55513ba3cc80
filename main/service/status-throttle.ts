// The status snapshot (header totals, connection, pause, folder health) changes with every chunk
// sent; the UI needs it a couple of times per second. The first request after a quiet interval
// goes out at once, later ones coalesce into one trailing emit at the end of the interval, so
// the last change is always delivered.
import type { Clock } from '../core/clock.js';

export class StatusThrottle {
  private lastAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly emit: () => void,
    private readonly intervalMs = 500,
  ) {}

  request(): void {
    if (this.closed || this.timer) return;
    const wait = this.lastAt + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.send();
      return;
    }
    this.timer = setTimeout(() => this.send(), wait);
    this.timer.unref?.();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastAt = this.clock.now();
    this.emit();
  }
}
