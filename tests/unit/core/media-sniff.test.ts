import { describe, expect, it } from 'vitest';
import { crc32, mediaSniffer, sniffBytes } from '../../../main/core/media-sniff.js';
import { describeIgnore, isScanReason } from '../../../main/core/ignore-reason.js';
import { makePng } from '../../cvat-server/media.js';

function box(type: string, body: Buffer | number): Buffer {
  const data = typeof body === 'number' ? Buffer.alloc(body) : body;
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + data.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, data]);
}
const ftyp = box('ftyp', Buffer.from('isom\0\0\0\0isomiso2mp41', 'latin1'));
const mp4 = Buffer.concat([ftyp, box('moov', 200), box('mdat', 5000)]);

function jpeg(frame = true): Buffer {
  const app0 = Buffer.from([
    0xff,
    0xe0,
    0x00,
    0x10,
    ...Buffer.from('JFIF\0'),
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
  ]);
  const sof = Buffer.from([
    0xff, 0xc0, 0x00, 0x11, 8, 0x00, 0x20, 0x00, 0x30, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1,
  ]);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0, 0x12, 0x34, 0xff, 0xd9]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, ...(frame ? [sof] : []), sos]);
}

/** Deterministic "random" bytes (a corrupt file), never starting with a known signature. */
function noise(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = 0x3f;
  return b;
}

describe('media sniffer', () => {
  it('accepts well-formed images of every checked format', () => {
    expect(sniffBytes('a.png', makePng(4, 3, 1))).toBeNull();
    expect(sniffBytes('a.jpg', jpeg())).toBeNull();
    const gif = Buffer.concat([
      Buffer.from('GIF89a', 'latin1'),
      Buffer.from([4, 0, 3, 0, 0, 0, 0]),
    ]);
    expect(sniffBytes('a.gif', gif)).toBeNull();
    const bmp = Buffer.alloc(60);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(4, 18);
    bmp.writeInt32LE(3, 22);
    expect(sniffBytes('a.bmp', bmp)).toBeNull();
    const webp = Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8L', 'latin1'), Buffer.alloc(20)]);
    expect(sniffBytes('a.webp', webp)).toBeNull();
    const tiff = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), Buffer.alloc(20)]);
    expect(sniffBytes('a.tif', tiff)).toBeNull();
  });

  it('accepts an image named with another image extension (PIL reads the content)', () => {
    expect(sniffBytes('photo.jpg', makePng(2, 2))).toBeNull();
  });

  it('rejects random bytes named .jpg', () => {
    const v = sniffBytes('bad.jpg', noise(5000));
    expect(v?.reason).toBe('unreadable');
    expect(v?.detail).toMatch(/^not a JPEG file \(it starts with 3f /);
    expect(v?.evidence).toBe('none');
    const cut = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), noise(100)]);
    expect(sniffBytes('cut.jpg', cut)).toMatchObject({
      reason: 'unreadable',
      evidence: 'signature',
    });
  });

  it('rejects a JPEG without a frame header before EOI/SOS', () => {
    expect(sniffBytes('a.jpg', jpeg(false))).toEqual({
      reason: 'unreadable',
      detail: 'JPEG: image data (SOS) before any frame header',
      evidence: 'signature',
    });
  });

  it('rejects a truncated PNG, a broken IHDR checksum and a PDF named .png', () => {
    const png = makePng(30, 30, 2);
    expect(sniffBytes('cut.png', png.subarray(0, 20))?.detail).toBe(
      'PNG: cut inside the IHDR header',
    );
    expect(sniffBytes('cut.png', png.subarray(0, Math.floor(png.length / 2)))?.detail).toBe(
      'PNG: truncated (no IEND chunk at the end)',
    );
    const bent = Buffer.from(png);
    bent[18] = (bent[18] ?? 0) ^ 1;
    expect(sniffBytes('crc.png', bent)?.detail).toBe('PNG: IHDR checksum does not match');
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n', 'latin1');
    expect(sniffBytes('doc.png', pdf)).toEqual({
      reason: 'wrong-type',
      detail: 'the content is PDF, not what .png promises',
      evidence: 'signature',
    });
  });

  it('checks the PNG IHDR CRC with the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789', 'latin1'))).toBe(0xcbf43926);
  });

  it('walks MP4 boxes: complete file ok, truncated or moov-less file rejected', () => {
    expect(sniffBytes('v.mp4', mp4)).toBeNull();
    const cut = sniffBytes('v.mp4', mp4.subarray(0, mp4.length - 100));
    expect(cut?.reason).toBe('unreadable');
    expect(cut?.detail).toMatch(
      /^MP4\/MOV video: truncated: box 'mdat' at byte \d+ needs 5008 bytes/,
    );
    const noMoov = Buffer.concat([ftyp, box('mdat', 100)]);
    expect(sniffBytes('v.mov', noMoov)?.detail).toMatch(/no 'moov' box/);
    expect(sniffBytes('v.mp4', noise(3000))?.reason).toBe('unreadable');
  });

  it('gives the same verdict whatever the chunking of the stream', () => {
    const cut = mp4.subarray(0, mp4.length - 1);
    for (const step of [1, 3, 7, 64]) {
      for (const bytes of [mp4, cut]) {
        const s = mediaSniffer('v.mp4', bytes.length);
        for (let i = 0; i < bytes.length; i += step) s.push(bytes.subarray(i, i + step));
        expect(s.finish()).toEqual(sniffBytes('v.mp4', bytes));
      }
    }
    const png = makePng(40, 40, 3);
    const s = mediaSniffer('p.png', png.length);
    for (let i = 0; i < png.length; i += 5) s.push(png.subarray(i, i + 5));
    expect(s.finish()).toBeNull();
  });

  it('leaves types it does not check alone', () => {
    expect(sniffBytes('a.heic', noise(100))).toBeNull();
    expect(sniffBytes('a.mkv', noise(100))).toBeNull();
  });

  it('keeps a sniff verdict until the file changes (a rescan does not reset it)', () => {
    expect(isScanReason('unreadable')).toBe(false);
    expect(isScanReason('wrong-type')).toBe(false);
    expect(isScanReason('empty')).toBe(true);
    expect(describeIgnore('wrong-type', 'the content is PDF, not what .png promises')).toBe(
      'content does not match the name: the content is PDF, not what .png promises',
    );
  });
});
