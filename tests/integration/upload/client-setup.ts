// The CVAT client as the upload tests (and the crash test's child process) build it: short
// retry delays, a seeded random. No vitest import here: the crash runner is a plain script.
import type { CvatAuth } from '../../../main/cvat/api.js';
import { CvatClient } from '../../../main/cvat/client.js';
import type { CvatClientOptions } from '../../../main/cvat/client.js';
import { systemClock } from '../../../main/service/system-clock.js';
import type { CvatTestServer } from '../../cvat-server/index.js';

export const FAST_BACKOFF = { baseMs: 50, maxMs: 400, jitter: 0.5, maxAttempts: 8 };

export function seeded(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

export function makeClient(
  url: string,
  auth: CvatAuth,
  over: Partial<CvatClientOptions> = {},
): CvatClient {
  return new CvatClient({
    server: url,
    auth,
    clock: systemClock,
    random: seeded(7),
    timeoutMs: 15_000,
    retry: FAST_BACKOFF,
    tusRetryDelays: [50, 100, 200, 400, 800],
    ...over,
  });
}

export function tokenAuth(s: CvatTestServer): CvatAuth {
  return { kind: 'token', token: s.users.alice.token };
}
