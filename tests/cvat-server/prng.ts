// Seedable randomness so fault injection and generated ids can be replayed in a failing test.
import { randomBytes } from 'node:crypto';

export interface Rng {
  next(): number; // [0, 1)
  int(maxExclusive: number): number;
  hex(bytes: number): string;
  uuid4(): string;
}

// mulberry32: tiny, fast and good enough for test determinism (not for secrets).
export function createRng(seed?: number): Rng {
  let state = seed === undefined ? randomBytes(4).readUInt32LE(0) : seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (bytes: number): string => {
    let out = '';
    for (let i = 0; i < bytes; i++)
      out += Math.floor(next() * 256)
        .toString(16)
        .padStart(2, '0');
    return out;
  };
  return {
    next,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    hex,
    uuid4: () => {
      const h = hex(16).split('');
      h[12] = '4';
      h[16] = '89ab'[parseInt(h[16] ?? '0', 16) & 3] ?? '8';
      const s = h.join('');
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    },
  };
}
