// Quitting waits for the service to leave the journal consistent; when that takes more than a
// moment the user is told why the app has not gone yet.
import type { Clock } from '../core/clock.js';

export interface CloseOptions {
  clock: Clock;
  /** How long closing may take before `onSlow` runs. */
  noticeAfterMs: number;
  onSlow: () => void;
}

export async function closeWithNotice(
  close: () => Promise<void>,
  options: CloseOptions,
): Promise<void> {
  const timer = new AbortController();
  const slow = options.clock.sleep(options.noticeAfterMs, timer.signal).then(
    () => options.onSlow(),
    () => undefined,
  );
  try {
    await close();
  } finally {
    timer.abort();
    await slow;
  }
}
