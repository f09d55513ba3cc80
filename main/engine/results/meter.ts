// Progress of one transfer, rate-limited, with the speed over the last few seconds.
import type { Clock } from '../../core/clock.js';

const PROGRESS_EVERY_MS = 500;
const SPEED_WINDOW_MS = 3_000;

export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number | null;
  speedBps: number;
}

export class Meter {
  private lastEmit = Number.NEGATIVE_INFINITY;
  private windowAt: number;
  private windowBytes: number;
  private speed = 0;

  constructor(
    private readonly clock: Clock,
    start: number,
    private readonly total: number | null,
    private readonly onProgress: ((p: TransferProgress) => void) | undefined,
  ) {
    this.windowAt = clock.now();
    this.windowBytes = start;
  }

  update(bytes: number, final = false): void {
    const now = this.clock.now();
    const span = now - this.windowAt;
    if (span >= SPEED_WINDOW_MS / 3) {
      this.speed = Math.round(((bytes - this.windowBytes) * 1000) / span);
      if (span >= SPEED_WINDOW_MS) {
        this.windowAt = now;
        this.windowBytes = bytes;
      }
    }
    if (!final && now - this.lastEmit < PROGRESS_EVERY_MS) return;
    this.lastEmit = now;
    this.onProgress?.({
      bytesDone: bytes,
      bytesTotal: this.total,
      speedBps: final ? 0 : this.speed,
    });
  }
}
