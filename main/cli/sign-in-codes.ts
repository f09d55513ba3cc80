// Single-use sign-in codes for the daemon's web GUI. The link handed to the browser (through
// xdg-open/open/start, whose command line every local user can read, and perhaps printed to a
// journal) carries one of these instead of the session token: the page trades it once, within
// about a minute, for the token, so a copied link is worth nothing afterwards.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGN_IN_CODE_LIFETIME_MS = 60_000;
/** Unused codes kept at most; older ones are dropped first (a runaway minting loop stays bounded). */
const MAX_LIVE_CODES = 32;

export class SignInCodes {
  private readonly live = new Map<string, number>();

  constructor(
    private readonly lifetimeMs = SIGN_IN_CODE_LIFETIME_MS,
    private readonly now: () => number = Date.now,
  ) {}

  mint(): string {
    this.prune();
    while (this.live.size >= MAX_LIVE_CODES) {
      const oldest = this.live.keys().next().value as string;
      this.live.delete(oldest);
    }
    const code = randomBytes(24).toString('base64url');
    this.live.set(code, this.now() + this.lifetimeMs);
    return code;
  }

  /** True once per code, while it is fresh; the code is spent either way. */
  redeem(presented: string): boolean {
    this.prune();
    const given = Buffer.from(presented);
    for (const [code, expires] of this.live) {
      const known = Buffer.from(code);
      if (known.length === given.length && timingSafeEqual(known, given)) {
        this.live.delete(code);
        return expires > this.now();
      }
    }
    return false;
  }

  private prune(): void {
    const t = this.now();
    for (const [code, expires] of this.live) if (expires <= t) this.live.delete(code);
  }
}
