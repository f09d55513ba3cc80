// Small real media files for test fixtures. CVAT (and the app's local media check) refuses
// files whose bytes are not what their name says, so a fixture named .jpg must be a JPEG. Each
// file carries a tag in a comment/metadata part: the same tag gives the same bytes (same
// SHA-256), another tag other bytes, and a longer tag a bigger file.
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { makePng } from './media.js';

interface JpegEncoder {
  jpegjs: {
    encode(
      img: { width: number; height: number; data: Uint8Array },
      quality: number,
    ): { data: Buffer };
  };
}

let baseJpeg: Buffer | null = null;

/** A 2x2 baseline JPEG (encoded once with the JPEG codec bundled in playwright-core). */
function tinyJpeg(): Buffer {
  if (!baseJpeg) {
    const codecs = createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as JpegEncoder;
    const data = new Uint8Array(2 * 2 * 4).fill(200);
    baseJpeg = Buffer.from(codecs.jpegjs.encode({ width: 2, height: 2, data }, 50).data);
  }
  return baseJpeg;
}

/** A JPEG with `tag` in a COM segment right after SOI (segments may come in any order there). */
export function jpegWithTag(tag: string): Buffer {
  const jpeg = tinyJpeg();
  const text = Buffer.from(tag, 'utf8');
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), com, text, jpeg.subarray(2)]);
}

let basePng: Buffer | null = null;

/** A 1x1 PNG with `tag` in a tEXt chunk before IEND. */
export function pngWithTag(tag: string): Buffer {
  basePng ??= makePng(1, 1, 0);
  const body = Buffer.concat([
    Buffer.from('tEXt'),
    Buffer.from('tag\0', 'latin1'),
    Buffer.from(tag),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  const iend = basePng.length - 12;
  return Buffer.concat([basePng.subarray(0, iend), len, body, crc, basePng.subarray(iend)]);
}

function box(type: string, ...children: Buffer[]): Buffer {
  const head = Buffer.alloc(8);
  const body = Buffer.concat(children);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

/**
 * An MP4 with the top-level boxes a player needs: `ftyp`, a `moov` holding one video track
 * (`trak` > `mdia` > `hdlr` 'vide') and an `mdat` that carries the tag, padded to `minBytes`.
 */
export function mp4WithTag(tag: string, minBytes = 0): Buffer {
  const payload = Buffer.from(tag, 'utf8');
  const pad = Math.max(0, minBytes - MP4_HEAD_BYTES - payload.length);
  return mp4Around(Buffer.concat([payload, Buffer.alloc(pad)]));
}

const MP4_HEAD = ((): Buffer => {
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1'));
  const hdlr = box('hdlr', Buffer.alloc(8), Buffer.from('vide', 'latin1'), Buffer.alloc(13));
  return Buffer.concat([ftyp, box('moov', box('trak', box('mdia', hdlr)))]);
})();
/** Bytes an MP4 from mp4Around() has besides its payload. */
export const MP4_HEAD_BYTES = MP4_HEAD.length + 8;

/** An MP4 (ftyp, moov with one video track) whose `mdat` holds `payload`. */
export function mp4Around(payload: Uint8Array): Buffer {
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(8 + payload.length, 0);
  mdat.write('mdat', 4, 'latin1');
  return Buffer.concat([MP4_HEAD, mdat, payload]);
}

/** The start of an MP4 whose `mdat` box runs to the end of the file (box size 0), for big files. */
export function mp4HeadToEnd(): Buffer {
  const mdat = Buffer.from('\0\0\0\0mdat', 'latin1');
  return Buffer.concat([MP4_HEAD, mdat]);
}

/** An MP4 of exactly `size` bytes whose mdat is random (distinct files, real container). */
export function randomMp4(size: number, random: (n: number) => Buffer): Buffer {
  return mp4Around(random(Math.max(0, size - MP4_HEAD_BYTES)));
}

/**
 * Real media of the type `name`'s extension names, tagged with `tag`; null for a name that is
 * not an image or video this module makes (the caller writes its bytes as they are).
 */
export function mediaFixture(name: string, tag: string): Buffer | null {
  const ext = /\.([^./]+)$/.exec(name.toLowerCase())?.[1] ?? '';
  if (['jpg', 'jpeg', 'jpe', 'jfif'].includes(ext)) return jpegWithTag(tag);
  if (ext === 'png') return pngWithTag(tag);
  if (['mp4', 'm4v', 'mov'].includes(ext)) return mp4WithTag(tag);
  return null;
}
