/** Sliding-window limit: at most `limit` events per `windowMs`. Time is passed in (Unix ms). */
export class RateLimiter {
  private stamps: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records and allows the event when under the limit; otherwise refuses it without recording. */
  take(now: number): boolean {
    this.stamps = this.stamps.filter((t) => t > now - this.windowMs && t <= now);
    if (this.stamps.length >= this.limit) return false;
    this.stamps.push(now);
    return true;
  }
}
