// Can CVAT open this file? CVAT fails a whole task when one image cannot be identified (PIL's
// UnidentifiedImageError) or one video cannot be read, so a file whose bytes are not what its
// name says is kept out before planning. The sniffer is fed the file's bytes in order (the same
// pass that hashes it) and keeps only a head, a tail and the ISO-BMFF box walk.
import { extensionOf, mediaKindOf } from './media.js';

export type SniffReason = 'unreadable' | 'wrong-type';

export interface SniffVerdict {
  reason: SniffReason;
  detail: string;
  /** 'signature': the bytes name a format and it is wrong or broken; 'none': no format known. */
  evidence: 'signature' | 'none';
}

export interface MediaSniffer {
  push(chunk: Uint8Array): void;
  /** null when the file looks openable (or is of a type not checked). */
  finish(): SniffVerdict | null;
}

/** Enough for a JPEG's APPn segments (EXIF thumbnails) before its frame header. */
export const SNIFF_HEAD_BYTES = 256 * 1024;
const TAIL_BYTES = 1024;

type Format =
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'bmp'
  | 'webp'
  | 'tiff'
  | 'bmff'
  | 'pdf'
  | 'zip'
  | 'riff-avi'
  | 'ebml'
  | 'gzip'
  | '7z'
  | 'rar';

const IMAGE_FORMATS = new Set<Format>(['jpeg', 'png', 'gif', 'bmp', 'webp', 'tiff']);
const VIDEO_FORMATS = new Set<Format>(['bmff', 'riff-avi', 'ebml']);
const FORMAT_NAMES: Record<Format, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  gif: 'GIF',
  bmp: 'BMP',
  webp: 'WebP',
  tiff: 'TIFF',
  bmff: 'MP4/MOV video',
  pdf: 'PDF',
  zip: 'ZIP archive',
  'riff-avi': 'AVI video',
  ebml: 'Matroska/WebM video',
  gzip: 'gzip archive',
  '7z': '7-Zip archive',
  rar: 'RAR archive',
};
/** Extensions whose content this module checks, by the format their name promises. */
const CHECKED: Record<string, Format> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  jfif: 'jpeg',
  png: 'png',
  gif: 'gif',
  bmp: 'bmp',
  webp: 'webp',
  tif: 'tiff',
  tiff: 'tiff',
  mp4: 'bmff',
  m4v: 'bmff',
  mov: 'bmff',
  '3gp': 'bmff',
  '3g2': 'bmff',
};
/** Top-level box types a QuickTime file may start with when it has no `ftyp` (pre-2001 MOV). */
const MOV_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, b.length); i++) s += String.fromCharCode(b[i] ?? 0);
  return s;
}
function u16be(b: Uint8Array, i: number): number {
  return ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
}
function u32be(b: Uint8Array, i: number): number {
  return (
    (((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)) >>> 0
  );
}
function u16le(b: Uint8Array, i: number): number {
  return (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
}
function u32le(b: Uint8Array, i: number): number {
  return u32be(
    [b[i + 3] ?? 0, b[i + 2] ?? 0, b[i + 1] ?? 0, b[i] ?? 0] as unknown as Uint8Array,
    0,
  );
}
function hexStart(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** The format the first bytes announce, or null when none we know. */
export function formatOf(head: Uint8Array): Format | null {
  const b = head;
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a) return 'png';
  if (ascii(b, 0, 4) === 'GIF8') return 'gif';
  if (ascii(b, 0, 2) === 'BM') return 'bmp';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'AVI ') return 'riff-avi';
  if (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*') return 'tiff';
  if (b.length >= 8 && MOV_FIRST_BOXES.has(ascii(b, 4, 8))) return 'bmff';
  if (ascii(b, 0, 5) === '%PDF-') return 'pdf';
  if (ascii(b, 0, 4) === 'PK\x03\x04' || ascii(b, 0, 4) === 'PK\x05\x06') return 'zip';
  if (u32be(b, 0) === 0x1a45dfa3) return 'ebml';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (ascii(b, 0, 6) === "7z\xbc\xaf'\x1c") return '7z';
  if (ascii(b, 0, 4) === 'Rar!') return 'rar';
  return null;
}

/** PNG's CRC-32 (ISO 3309), for the IHDR chunk. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = (CRC_TABLE[(c ^ x) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function jpegProblem(h: Uint8Array, size: number): string | null {
  let i = 2;
  while (i + 4 <= h.length) {
    if (h[i] !== 0xff) return `no JPEG marker at byte ${i}`;
    const marker = h[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) return 'ends (EOI) before any frame header';
    if (marker === 0xda) return 'image data (SOS) before any frame header';
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) {
      if (i + 9 > h.length) return 'cut inside the frame header';
      if (u16be(h, i + 5) === 0 || u16be(h, i + 7) === 0) return 'frame header of size 0';
      return null;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    i += 2 + u16be(h, i + 2);
  }
  // Ran past the head: a frame header further on than we look is rare but legal.
  return i >= size ? 'cut before the frame header' : null;
}

function pngProblem(h: Uint8Array, tail: Uint8Array): string | null {
  if (h.length < 33) return 'cut inside the IHDR header';
  if (u32be(h, 8) !== 13 || ascii(h, 12, 16) !== 'IHDR') return 'no IHDR chunk first';
  if (crc32(h.subarray(12, 29)) !== u32be(h, 29)) return 'IHDR checksum does not match';
  if (u32be(h, 16) === 0 || u32be(h, 20) === 0) return 'image of size 0';
  // PIL reads chunks up to IEND when it decodes: a file cut short fails there ("truncated").
  if (!ascii(tail, 0, tail.length).includes('IEND')) return 'truncated (no IEND chunk at the end)';
  return null;
}

function imageProblem(f: Format, h: Uint8Array, tail: Uint8Array, size: number): string | null {
  switch (f) {
    case 'jpeg':
      return jpegProblem(h, size);
    case 'png':
      return pngProblem(h, tail);
    case 'gif':
      if (h.length < 13 || !['GIF87a', 'GIF89a'].includes(ascii(h, 0, 6)))
        return 'not a GIF87a/GIF89a header';
      return u16le(h, 6) === 0 || u16le(h, 8) === 0 ? 'image of size 0' : null;
    case 'bmp': {
      const dib = u32le(h, 14);
      if (h.length < 26 || ![12, 40, 52, 56, 64, 108, 124].includes(dib))
        return 'no valid BMP info header';
      const w = dib === 12 ? u16le(h, 18) : u32le(h, 18);
      return w === 0 ? 'image of size 0' : null;
    }
    case 'webp':
      return ['VP8 ', 'VP8L', 'VP8X'].includes(ascii(h, 12, 16)) ? null : 'no VP8 chunk';
    case 'tiff': {
      const le = h[0] === 0x49;
      const ifd = le ? u32le(h, 4) : u32be(h, 4);
      return ifd < 8 || ifd >= size ? 'first IFD offset points outside the file' : null;
    }
    default:
      return null;
  }
}

/** Walks top-level ISO-BMFF boxes as bytes stream by: each size must fit, and `moov` must exist. */
class BoxWalk {
  private next = 0;
  private pos = 0;
  private header: number[] = [];
  problem: string | null = null;
  readonly seen: string[] = [];

  constructor(private readonly size: number) {}

  push(chunk: Uint8Array): void {
    let i = 0;
    while (this.problem === null && i < chunk.length) {
      const abs = this.pos + i;
      if (abs < this.next) {
        i += Math.min(chunk.length - i, this.next - abs);
        continue;
      }
      this.header.push(chunk[i] as number);
      i += 1;
      this.readHeader();
    }
    this.pos += chunk.length;
  }

  private readHeader(): void {
    const h = this.header;
    if (h.length < 8) return;
    const small = u32be(h as unknown as Uint8Array, 0);
    if (small === 1 && h.length < 16) return;
    const type = ascii(h as unknown as Uint8Array, 4, 8);
    const start = this.next;
    let boxSize =
      small === 1
        ? u32be(h as unknown as Uint8Array, 8) * 2 ** 32 + u32be(h as unknown as Uint8Array, 12)
        : small === 0
          ? this.size - start
          : small;
    this.header = [];
    if (!/^[\x20-\x7e]{4}$/.test(type)) {
      this.problem = `no valid box at byte ${start}`;
      return;
    }
    if (boxSize < (small === 1 ? 16 : 8)) {
      this.problem = `box '${type}' at byte ${start} has an impossible size ${boxSize}`;
      return;
    }
    if (start + boxSize > this.size) {
      this.problem = `truncated: box '${type}' at byte ${start} needs ${boxSize} bytes, the file ends after ${this.size - start}`;
      return;
    }
    this.seen.push(type);
    boxSize = Math.max(boxSize, 8);
    this.next = start + boxSize;
  }

  finish(): string | null {
    if (this.problem) return this.problem;
    if (this.header.length > 0) return `truncated inside a box header at byte ${this.next}`;
    if (!this.seen.includes('moov'))
      return "no 'moov' box (the index a player needs): the recording was not finished";
    return null;
  }
}

/** A sniffer for one file, by its name and size (0-byte files are the scanner's 'empty'). */
export function mediaSniffer(name: string, size: number): MediaSniffer {
  const ext = extensionOf(name);
  const promised = CHECKED[ext] ?? null;
  const head = new Uint8Array(Math.min(size, SNIFF_HEAD_BYTES));
  let headLen = 0;
  let tail = new Uint8Array(0);
  const walk = promised === 'bmff' ? new BoxWalk(size) : null;
  return {
    push(chunk) {
      if (headLen < head.length) {
        const n = Math.min(head.length - headLen, chunk.length);
        head.set(chunk.subarray(0, n), headLen);
        headLen += n;
      }
      const keep = Math.min(TAIL_BYTES, tail.length + chunk.length);
      const next = new Uint8Array(keep);
      const fromChunk = Math.min(chunk.length, keep);
      next.set(tail.subarray(tail.length - (keep - fromChunk)), 0);
      next.set(chunk.subarray(chunk.length - fromChunk), keep - fromChunk);
      tail = next;
      walk?.push(chunk);
    },
    finish() {
      return sniffVerdict(name, size, head.subarray(0, headLen), tail, walk);
    },
  };
}

function sniffVerdict(
  name: string,
  size: number,
  head: Uint8Array,
  tail: Uint8Array,
  walk: BoxWalk | null,
): SniffVerdict | null {
  const ext = extensionOf(name);
  const promised = CHECKED[ext] ?? null;
  if (promised === null || size === 0) return null;
  const kind = mediaKindOf(name);
  const actual = formatOf(head);
  if (actual !== null && actual !== promised) {
    // PIL identifies images by content (a PNG named .jpg opens fine), FFmpeg does so for videos.
    const sameFamily =
      (kind === 'image' && IMAGE_FORMATS.has(actual)) ||
      (kind === 'video' && VIDEO_FORMATS.has(actual));
    if (!sameFamily)
      return {
        reason: 'wrong-type',
        detail: `the content is ${FORMAT_NAMES[actual]}, not what .${ext} promises`,
        evidence: 'signature',
      };
  }
  if (actual === null)
    return {
      reason: 'unreadable',
      detail: `not a ${FORMAT_NAMES[promised]} file (it starts with ${hexStart(head) || 'nothing'})`,
      evidence: 'none',
    };
  if (actual === 'bmff') {
    const problem = walk?.finish() ?? null;
    return problem
      ? { reason: 'unreadable', detail: `${FORMAT_NAMES.bmff}: ${problem}`, evidence: 'signature' }
      : null;
  }
  const problem = imageProblem(actual, head, tail, size);
  return problem
    ? { reason: 'unreadable', detail: `${FORMAT_NAMES[actual]}: ${problem}`, evidence: 'signature' }
    : null;
}

/** Sniffs bytes held in memory (tests, previews of a head). */
export function sniffBytes(
  name: string,
  bytes: Uint8Array,
  size = bytes.length,
): SniffVerdict | null {
  const s = mediaSniffer(name, size);
  s.push(bytes);
  return s.finish();
}
