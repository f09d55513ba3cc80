// Media files for benchmarks: valid PNGs of an exact size and big random files.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { crc32 } from 'node:zlib';
import { makePng } from '../../cvat-server/index.js';

const MiB = 1024 * 1024;

/** A valid PNG of exactly `size` bytes: a small image plus an ancillary chunk of random bytes. */
export function paddedPng(seed: number, size: number): Buffer {
  const png = makePng(16, 16, seed);
  const iend = png.subarray(png.length - 12);
  const pad = Math.max(0, size - png.length - 12);
  const type = Buffer.from('raNd');
  const body = randomBytes(pad);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(pad);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, body])) >>> 0);
  return Buffer.concat([png.subarray(0, png.length - 12), head, type, body, crc, iend]);
}

/**
 * `bytes` bytes written to `path`: `head` first, then random bytes (fresh first bytes per 16 MiB
 * block: nothing repeats).
 */
export async function writeRandom(path: string, bytes: number, head?: Buffer): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(16 * MiB);
  for (let done = 0; done < bytes; done += block.length) {
    randomBytes(64).copy(block);
    if (done === 0 && head) head.copy(block);
    const part = block.subarray(0, Math.min(block.length, bytes - done));
    if (!out.write(Buffer.from(part))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
}
