// TUS chunk size that follows the link. Against CVAT a PATCH cut mid-body keeps nothing, so a
// kill costs up to the chunk in flight: chunks start small and grow while the link stays
// healthy, so that the bytes at risk stay near `targetMs` of transfer time while a fast link
// still reaches the maximum (few PATCHes, one fsync each on the server). Trouble halves it.
export interface ChunkSizerOptions {
  minBytes: number;
  maxBytes: number;
  /** A chunk should take about this long on the current link. */
  targetMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_CHUNK_SIZER: ChunkSizerOptions = {
  minBytes: 8 * MiB,
  maxBytes: 64 * MiB,
  targetMs: 2_000,
};

export class ChunkSizer {
  private size: number;

  constructor(private readonly options: ChunkSizerOptions) {
    this.size = Math.min(options.minBytes, options.maxBytes);
  }

  /** The size of the next chunk. */
  get current(): number {
    return this.size;
  }

  /** A chunk of `bytes` was acknowledged after `ms`: grow (at most doubling) toward the target. */
  acknowledged(bytes: number, ms: number): number {
    const rate = bytes / Math.max(1, ms);
    const wanted = rate * this.options.targetMs;
    const next = Math.min(this.size * 2, Math.max(this.size / 2, wanted));
    this.size = this.clamp(next);
    return this.size;
  }

  /** A chunk failed (reset, timeout, 5xx): halve. */
  trouble(): number {
    this.size = this.clamp(this.size / 2);
    return this.size;
  }

  private clamp(n: number): number {
    const lo = Math.min(this.options.minBytes, this.options.maxBytes);
    return Math.max(lo, Math.min(this.options.maxBytes, Math.floor(n / MiB) * MiB || lo));
  }
}
