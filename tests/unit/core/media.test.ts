import { describe, expect, it } from 'vitest';
import { isSoloKind, mediaKindOf } from '../../../main/core/media.js';

describe('media kinds by extension', () => {
  it('classifies as CVAT does', () => {
    expect(mediaKindOf('a/b/IMG_0001.JPG')).toBe('image');
    expect(mediaKindOf('clip.mp4')).toBe('video');
    expect(mediaKindOf('frames.zip')).toBe('zip');
    expect(mediaKindOf('scan.pcd')).toBe('pointcloud');
    expect(mediaKindOf('manifest.jsonl')).toBe('manifest');
    expect(mediaKindOf('notes.txt')).toBe('unknown');
    expect(mediaKindOf('.hidden')).toBe('unknown');
    expect(mediaKindOf('logo.svg')).toBe('unknown');
  });

  it('knows which kinds must be alone in a task', () => {
    expect(isSoloKind('video')).toBe(true);
    expect(isSoloKind('zip')).toBe(true);
    expect(isSoloKind('image')).toBe(false);
  });
});
