// Shared set-up of the CVAT client integration tests: a test server, temp dirs, fixture media.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { CvatAuth, Throttle, UploadFile } from '../../../main/cvat/api.js';
import { CvatClient } from '../../../main/cvat/client.js';
import type { CvatClientOptions } from '../../../main/cvat/client.js';
import { systemClock } from '../../../main/service/system-clock.js';

export const FAST_RETRY = { baseMs: 20, maxMs: 200, jitter: 0.5, maxAttempts: 4 };

export function makeClient(
  url: string,
  auth: CvatAuth | null,
  extra: Partial<CvatClientOptions> = {},
): CvatClient {
  return new CvatClient({
    server: url,
    auth,
    clock: systemClock,
    timeoutMs: 10_000,
    retry: FAST_RETRY,
    tusRetryDelays: [20, 40, 80, 160, 320],
    ...extra,
  });
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cvat-client-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A real PNG of `width`×`height`, padded with a private chunk of random bytes to `size` bytes. */
export function pngBytes(size: number, width = 8, height = 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  const head = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
  ]);
  const end = chunk('IEND', Buffer.alloc(0));
  const pad = size - head.length - end.length - 12;
  const parts: Buffer[] = [head];
  if (pad >= 0) parts.push(chunk('prVt', randomBytes(pad)));
  parts.push(end);
  return Buffer.concat(parts);
}

export async function writePng(
  dir: string,
  name: string,
  size: number,
): Promise<UploadFile & { sha256: string }> {
  const bytes = pngBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, name, size: bytes.length, sha256: sha256(bytes) };
}

export function sha256(bytes: Buffer | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A throttle that lets everything through and remembers what was asked of it. */
export class RecordingThrottle implements Throttle {
  taken = 0;
  calls = 0;
  async take(bytes: number): Promise<void> {
    this.taken += bytes;
    this.calls++;
  }
}

export const LABELS = [{ name: 'car' }, { name: 'person' }];
