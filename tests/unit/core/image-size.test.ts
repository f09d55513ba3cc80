// Image sizes from file headers (verify compares them with what CVAT reports).
import { describe, expect, it } from 'vitest';
import { imageDimensions } from '../../../main/core/image-size.js';
import { makePng } from '../../cvat-server/index.js';

describe('imageDimensions', () => {
  it('reads PNG, JPEG, GIF and BMP headers', () => {
    expect(imageDimensions(makePng(37, 21, 1))).toEqual({ width: 37, height: 21 });
    const jpeg = Uint8Array.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c,
      0x02, 0x58, 0x03, 0, 0, 0, 0, 0, 0,
    ]);
    expect(imageDimensions(jpeg)).toEqual({ width: 600, height: 300 });
    const gif = Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x0a, 0x00, 0x05, 0x00]);
    expect(imageDimensions(gif)).toEqual({ width: 10, height: 5 });
    const bmp = new Uint8Array(26);
    bmp.set([0x42, 0x4d]);
    bmp.set([7, 0, 0, 0], 18);
    bmp.set([3, 0, 0, 0], 22);
    expect(imageDimensions(bmp)).toEqual({ width: 7, height: 3 });
  });

  it('answers null for what it cannot read', () => {
    expect(imageDimensions(new Uint8Array([1, 2, 3]))).toBeNull();
    expect(imageDimensions(makePng(8, 8, 1).subarray(0, 10))).toBeNull();
  });
});
