// Single-use sign-in codes of the daemon's web UI: once, within the lifetime, bounded in number.
import { describe, expect, it } from 'vitest';
import { SIGN_IN_CODE_LIFETIME_MS, SignInCodes } from '../../../main/cli/sign-in-codes.js';

describe('SignInCodes', () => {
  it('redeems a code once, within 60 s', () => {
    let now = 1_000;
    const codes = new SignInCodes(SIGN_IN_CODE_LIFETIME_MS, () => now);
    expect(SIGN_IN_CODE_LIFETIME_MS).toBe(60_000);
    const a = codes.mint();
    const b = codes.mint();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\w-]{32}$/);
    expect(codes.redeem(a)).toBe(true);
    expect(codes.redeem(a)).toBe(false);
    now += 59_999;
    expect(codes.redeem(b)).toBe(true);
    const c = codes.mint();
    now += 60_000;
    expect(codes.redeem(c)).toBe(false);
    expect(codes.redeem('')).toBe(false);
  });

  it('keeps at most 32 unused codes, dropping the oldest', () => {
    const codes = new SignInCodes();
    const first = codes.mint();
    const rest = Array.from({ length: 32 }, () => codes.mint());
    expect(codes.redeem(first)).toBe(false);
    expect(rest.every((c) => codes.redeem(c))).toBe(true);
  });
});
