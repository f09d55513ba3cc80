import type { Clock } from './clock.js';
import type { AbortSignalLike } from './signal.js';

/**
 * Bandwidth limit shared by every transfer: a token bucket refilled at `rate` bytes/s with a
 * burst of one second. A rate of null means unlimited. The rate can change while running.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private rate: number | null,
  ) {
    this.tokens = rate ?? 0;
    this.last = clock.now();
  }

  setRate(rate: number | null): void {
    this.refill();
    this.rate = rate;
    if (rate !== null) this.tokens = Math.min(this.tokens, rate);
  }

  getRate(): number | null {
    return this.rate;
  }

  async take(bytes: number, signal?: AbortSignalLike): Promise<void> {
    // Large requests are taken in burst-sized slices so a rate change applies promptly.
    let remaining = bytes;
    while (remaining > 0) {
      if (this.rate === null) return;
      this.refill();
      const slice = Math.min(remaining, Math.max(1, this.rate));
      if (this.tokens >= slice) {
        this.tokens -= slice;
        remaining -= slice;
        continue;
      }
      const waitMs = Math.ceil(((slice - this.tokens) / this.rate) * 1000);
      await this.clock.sleep(Math.max(1, waitMs), signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    if (this.rate !== null)
      this.tokens = Math.min(this.rate, this.tokens + (elapsed / 1000) * this.rate);
  }
}
