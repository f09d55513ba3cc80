// Speed and time left of one transfer, computed one way for uploads and downloads: bytes per
// second over a window of the last few seconds (long enough to smooth over chunk boundaries,
// short enough to follow a change of link or throttle), and the seconds the rest takes at it.

/** The window the speed is measured over; a new one starts once a window is this old. */
export const SPEED_WINDOW_MS = 3_000;
/** A window shorter than this says too little: the last speed stands until then. */
const MIN_SPAN_MS = SPEED_WINDOW_MS / 3;

export class TransferSpeed {
  private windowAt: number;
  private windowBytes: number;
  private lastBytes: number;
  private speed = 0;

  constructor(
    private readonly now: () => number,
    startBytes: number,
  ) {
    this.windowAt = now();
    this.windowBytes = startBytes;
    this.lastBytes = startBytes;
  }

  /** Bytes per second (whole), as of the last sample. */
  get bps(): number {
    return this.speed;
  }

  /** Records that `bytes` are done now; returns the speed. Fewer bytes than before: it restarted. */
  sample(bytes: number): number {
    const at = this.now();
    const wentBack = bytes < this.lastBytes;
    this.lastBytes = bytes;
    if (wentBack) {
      this.windowAt = at;
      this.windowBytes = bytes;
      this.speed = 0;
      return 0;
    }
    const span = at - this.windowAt;
    if (span >= MIN_SPAN_MS) {
      this.speed = Math.round(((bytes - this.windowBytes) * 1000) / span);
      if (span >= SPEED_WINDOW_MS) {
        this.windowAt = at;
        this.windowBytes = bytes;
      }
    }
    return this.speed;
  }
}

/** Whole seconds until `bytesTotal` at `speedBps`; null when unknown (no speed, nothing left). */
export function etaSeconds(bytesTotal: number, bytesDone: number, speedBps: number): number | null {
  const left = bytesTotal - bytesDone;
  return speedBps > 0 && left > 0 ? Math.ceil(left / speedBps) : null;
}
