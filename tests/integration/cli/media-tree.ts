// A small folder like a user's: nested subfolders of images, two videos and a zip of images.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { makePng, mp4WithTag } from '../../cvat-server/index.js';

export interface MediaTree {
  root: string;
  /** Relative paths of every media file written. */
  files: string[];
}

export function writeMediaTree(root: string, seed = 1): MediaTree {
  const files: string[] = [];
  const put = (rel: string, bytes: Uint8Array): void => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), bytes);
    files.push(rel);
  };
  for (let i = 0; i < 3; i++) put(`day1/img_${i}.png`, makePng(8, 8, seed * 100 + i));
  for (let i = 0; i < 2; i++) put(`day2/cam/img_${i}.png`, makePng(8, 8, seed * 100 + 10 + i));
  put('loose.png', makePng(8, 8, seed * 100 + 20));
  put('clips/a.mp4', mp4WithTag(`a${seed}`, 3000));
  put('clips/b.mp4', mp4WithTag(`b${seed}`, 5000));
  put(
    'frames.zip',
    zipSync(
      { 'f/0.png': makePng(4, 4, seed * 100 + 30), 'f/1.png': makePng(4, 4, seed * 100 + 31) },
      { level: 0 },
    ),
  );
  return { root, files };
}
