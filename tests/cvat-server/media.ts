// Media knowledge: type by extension (a MIME guess from the name, as CVAT makes it), image
// headers for sizes, archive listings, a deterministic frame count for videos/audio, and tiny PNG
// generation for previews and fixtures.
import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { deflateSync, crc32 } from 'node:zlib';
import type { Readable } from 'node:stream';
import { listZip } from './zip.js';

export type MediaKind =
  'image' | 'video' | 'audio' | 'zip' | 'archive' | 'pdf' | 'pointcloud' | 'manifest' | 'unknown';

const EXT: Record<string, MediaKind> = {};
const add = (kind: MediaKind, exts: string) => exts.split(' ').forEach((e) => (EXT[e] = kind));
add(
  'image',
  'jpg jpeg jpe jfif png bmp dib gif tif tiff webp ppm pgm pbm pnm jp2 j2k jpx ico ras xbm xwd rgb sgi heic heif avif',
);
add(
  'video',
  'mp4 m4v mov avi mkv webm mpg mpeg mpe m2v ts m2ts mts flv wmv asf 3gp 3g2 ogv qt vob divx',
);
add('audio', 'mp3 wav flac ogg oga m4a aac wma opus aif aiff');
add('zip', 'zip');
add('archive', 'tar gz tgz bz2 tbz2 xz txz 7z rar cpio iso');
add('pdf', 'pdf');
add('pointcloud', 'pcd bin');
add('manifest', 'jsonl');

export function kindOf(name: string): MediaKind {
  const m = /\.([^./\\]+)$/.exec(name.toLowerCase());
  return (m && EXT[m[1] ?? '']) || 'unknown';
}

/** Videos/audio cannot be decoded here: one frame per started 64 KiB (documented in README). */
export const BYTES_PER_VIDEO_FRAME = 65536;
export function videoFrameCount(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / BYTES_PER_VIDEO_FRAME));
}

export interface ImageSize {
  width: number;
  height: number;
}

/** Reads width/height from an image header; null when the bytes are not a recognisable image. */
export function imageSize(head: Buffer, name: string): ImageSize | null {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47) return pngOpen(head);
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) return jpegOpen(head);
  if (head.length >= 10 && head.toString('ascii', 0, 3) === 'GIF')
    return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
  if (head.length >= 26 && head.toString('ascii', 0, 2) === 'BM')
    return { width: head.readInt32LE(18), height: Math.abs(head.readInt32LE(22)) };
  if (
    head.length >= 30 &&
    head.toString('ascii', 0, 4) === 'RIFF' &&
    head.toString('ascii', 8, 12) === 'WEBP'
  ) {
    const chunk = head.toString('ascii', 12, 16);
    if (chunk === 'VP8X')
      return { width: 1 + head.readUIntLE(24, 3), height: 1 + head.readUIntLE(27, 3) };
    if (chunk === 'VP8 ')
      return { width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const b = head.readUInt32LE(21);
      return { width: (b & 0x3fff) + 1, height: ((b >> 14) & 0x3fff) + 1 };
    }
    return null;
  }
  const pnm = /^P[1-6]\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)/.exec(head.toString('latin1', 0, 256));
  if (pnm) return { width: Number(pnm[1]), height: Number(pnm[2]) };
  // Formats whose headers we do not parse are accepted as long as they are not empty.
  if (
    [
      'png',
      'jpg',
      'jpeg',
      'jpe',
      'jfif',
      'gif',
      'bmp',
      'dib',
      'webp',
      'ppm',
      'pgm',
      'pbm',
      'pnm',
    ].includes(ext)
  )
    return null;
  return head.length > 0 ? { width: 1, height: 1 } : null;
}

/**
 * PIL's PngImageFile._open: chunks are read from the signature up to the first IDAT (the image
 * data is decoded lazily, later). A chunk header missing (the file cut after IHDR), an IHDR with
 * a wrong checksum or no IHDR first make Image.open fail: UnidentifiedImageError. A file cut
 * inside IDAT opens, and CVAT decodes it anyway: its cvat/apps/engine/media_extractors.py sets
 * ImageFile.LOAD_TRUNCATED_IMAGES = True. Chunks beyond the head read are taken on trust.
 */
function pngOpen(head: Buffer): ImageSize | null {
  if (head.length < 33 || head.readUInt32BE(4) !== 0x0d0a1a0a) return null;
  if (head.readUInt32BE(8) !== 13 || head.toString('ascii', 12, 16) !== 'IHDR') return null;
  if (crc32(head.subarray(12, 29)) >>> 0 !== head.readUInt32BE(29)) return null;
  const size = { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
  let i = 33;
  for (;;) {
    if (i >= head.length && head.length === HEAD_BYTES) return size;
    if (i + 8 > head.length) return null;
    if (head.toString('ascii', i + 4, i + 8) === 'IDAT') return size;
    i += 12 + head.readUInt32BE(i);
  }
}

/** JPEG frame markers (SOF0..SOF15 without DHT, JPG and DAC). */
function isFrameMarker(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/**
 * PIL's JpegImageFile._open: markers are read from SOI to the start of scan (SOS). Bytes other
 * than 0xFF between segments are skipped; 0xFF followed by a byte that is no marker ("no marker
 * found"), the end of the file before SOS, or SOS before a frame header make Image.open fail:
 * UnidentifiedImageError. Segments beyond the head read are taken on trust.
 */
function jpegOpen(head: Buffer): ImageSize | null {
  let size: ImageSize | null = null;
  let i = 2;
  for (;;) {
    if (i + 2 > head.length) return head.length === HEAD_BYTES ? size : null;
    if (head[i] !== 0xff) {
      i += 1;
      continue;
    }
    const marker = head[i + 1] ?? 0;
    if (marker === 0xff || marker === 0x00) {
      i += 1;
      continue;
    }
    if (marker < 0xc0) return null;
    if (marker === 0xda) return size;
    if (marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (i + 4 > head.length) return head.length === HEAD_BYTES ? size : null;
    if (isFrameMarker(marker) && i + 9 <= head.length)
      size = { height: head.readUInt16BE(i + 5), width: head.readUInt16BE(i + 7) };
    i += 2 + head.readUInt16BE(i + 2);
  }
}

const HEAD_BYTES = 64 * 1024;

/** Top-level box types FFmpeg's mov demuxer recognises a QuickTime/MP4 file by. */
const BMFF_BOXES = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot', 'uuid']);

/**
 * Whether PyAV (FFmpeg) can open the file as a video: CVAT's VideoReader (media_extractors.py)
 * opens it with av.open, which fails with InvalidDataError when no demuxer recognises the bytes,
 * and for an MP4/MOV when no `moov` box (the index) is found among the top-level boxes.
 * Streams are not decoded here (frames are counted by size).
 */
export async function videoOpens(path: string, size: number): Promise<boolean> {
  const head = await readHead(path, 4096);
  const at = (i: number, text: string): boolean =>
    head.toString('latin1', i, i + text.length) === text;
  if (head.length >= 8 && BMFF_BOXES.has(head.toString('latin1', 4, 8))) return hasMoov(path, size);
  if (at(0, 'RIFF') && at(8, 'AVI ')) return true;
  if (head.readUInt32BE(0) === 0x1a45dfa3) return true; // EBML: Matroska, WebM
  if (at(0, 'OggS') || at(0, 'FLV')) return true;
  if (head.length >= 4 && head.readUInt32BE(0) === 0x000001ba) return true; // MPEG program stream
  if (head.length >= 4 && head.readUInt32BE(0) === 0x3026b275) return true; // ASF (WMV)
  if (head[0] === 0x47 && (head.length <= 188 || head[188] === 0x47)) return true; // MPEG-TS
  return false;
}

async function hasMoov(path: string, size: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const header = Buffer.alloc(16);
    for (let pos = 0; pos + 8 <= size;) {
      await fh.read(header, 0, 16, pos);
      const type = header.toString('latin1', 4, 8);
      if (type === 'moov') return true;
      const small = header.readUInt32BE(0);
      const boxSize =
        small === 1 ? Number(header.readBigUInt64BE(8)) : small === 0 ? size - pos : small;
      if (boxSize < 8) return false;
      pos += boxSize;
    }
    return false;
  } finally {
    await fh.close();
  }
}

export async function readHead(path: string, bytes = HEAD_BYTES): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function streamHead(stream: Readable, bytes = 64 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    parts.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= bytes) break;
  }
  stream.destroy();
  return Buffer.concat(parts).subarray(0, bytes);
}

export interface ArchiveEntry {
  name: string;
  size: number;
}

/** Members of a zip (central directory) or tar/tar.gz archive. */
export async function listArchive(path: string, name: string): Promise<ArchiveEntry[]> {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return (await listZip(path)).filter((e) => !e.name.endsWith('/'));
  if (lower.endsWith('.tar')) return listTar(createReadStream(path));
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz'))
    return listTar(createReadStream(path).pipe(createGunzip()));
  throw new Error(
    `NotImplementedError: the test server cannot unpack '${name}' (only zip, tar and tar.gz)`,
  );
}

async function listTar(stream: Readable): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  let buf = Buffer.alloc(0);
  let skip = 0;
  for await (const chunk of stream) {
    buf = Buffer.concat([buf, chunk as Buffer]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip > 0) break;
      }
      if (buf.length < 512) break;
      const header = buf.subarray(0, 512);
      buf = buf.subarray(512);
      if (header.every((b) => b === 0)) return entries;
      const entryName = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const prefix = header.toString('utf8', 345, 500).replace(/\0.*$/s, '');
      const size = parseInt(
        header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0',
        8,
      );
      const type = String.fromCharCode(header[156] ?? 48);
      if (type === '0' || type === '\0')
        entries.push({ name: prefix ? `${prefix}/${entryName}` : entryName, size });
      skip = Math.ceil(size / 512) * 512;
    }
  }
  return entries;
}

/** Page count of a PDF: number of /Type /Page objects (at least one). */
export async function pdfPages(path: string): Promise<number> {
  let count = 0;
  let tail = '';
  for await (const chunk of createReadStream(path, { encoding: 'latin1' })) {
    const text = tail + (chunk as string);
    count += (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
    tail = text.slice(-32);
    count -= (tail.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
  }
  count += (tail.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
  return Math.max(1, count);
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid RGB PNG of the given size. The pixels depend on `seed`, so distinct seeds give distinct
 * files (useful as test fixtures with different hashes).
 */
export function makePng(width: number, height: number, seed = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = 1 + width * 3;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * row + 1 + x * 3;
      raw[o] = (x * 7 + seed * 31) & 0xff;
      raw[o + 1] = (y * 5 + seed * 17) & 0xff;
      raw[o + 2] = (x + y + seed * 101) & 0xff;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Preview dimensions: the frame's aspect ratio scaled to fit 256x256. */
export function previewSize(w: number, h: number): ImageSize {
  if (w <= 0 || h <= 0) return { width: 256, height: 256 };
  const k = Math.min(256 / w, 256 / h, 1);
  return { width: Math.max(1, Math.round(w * k)), height: Math.max(1, Math.round(h * k)) };
}
