// Progress of one transfer, rate-limited, with its speed (engine/transfer-speed.ts).
import type { Clock } from '../../core/clock.js';
import { TransferSpeed } from '../transfer-speed.js';

const PROGRESS_EVERY_MS = 500;

export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number | null;
  speedBps: number;
}

export class Meter {
  private lastEmit = Number.NEGATIVE_INFINITY;
  private readonly speed: TransferSpeed;

  constructor(
    private readonly clock: Clock,
    start: number,
    private readonly total: number | null,
    private readonly onProgress: ((p: TransferProgress) => void) | undefined,
  ) {
    this.speed = new TransferSpeed(() => clock.now(), start);
  }

  update(bytes: number, final = false): void {
    const speedBps = this.speed.sample(bytes);
    const now = this.clock.now();
    if (!final && now - this.lastEmit < PROGRESS_EVERY_MS) return;
    this.lastEmit = now;
    this.onProgress?.({ bytesDone: bytes, bytesTotal: this.total, speedBps: final ? 0 : speedBps });
  }
}
