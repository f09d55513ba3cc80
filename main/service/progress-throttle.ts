// Progress events arrive per chunk; the UI needs a few per second. Changes of state, stage or
// error pass at once; byte counts are coalesced to one event per interval per transfer, and the
// last one is always delivered.
import type { Transfer } from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';

export class ProgressThrottle {
  private readonly last = new Map<string, { at: number; sent: Transfer }>();
  private readonly pending = new Map<string, Transfer>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly clock: Clock,
    private readonly emit: (t: Transfer) => void,
    private readonly intervalMs = 250,
  ) {}

  push(t: Transfer): void {
    const prev = this.last.get(t.id);
    const now = this.clock.now();
    const significant =
      !prev ||
      prev.sent.state !== t.state ||
      prev.sent.stage !== t.stage ||
      (prev.sent.error === null) !== (t.error === null);
    if (significant || now - prev.at >= this.intervalMs) {
      this.send(t, now);
      return;
    }
    this.pending.set(t.id, t);
    if (!this.timers.has(t.id)) {
      const timer = setTimeout(() => this.flush(t.id), this.intervalMs - (now - prev.at));
      timer.unref?.();
      this.timers.set(t.id, timer);
    }
  }

  forget(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
    this.pending.delete(id);
    this.last.delete(id);
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.flush(id);
  }

  private flush(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
    const t = this.pending.get(id);
    if (t) this.send(t, this.clock.now());
  }

  private send(t: Transfer, now: number): void {
    const timer = this.timers.get(t.id);
    if (timer) clearTimeout(timer);
    this.timers.delete(t.id);
    this.pending.delete(t.id);
    this.last.set(t.id, { at: now, sent: t });
    this.emit(t);
  }
}
