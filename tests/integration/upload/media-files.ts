// Media files on disk and batch plans for the upload tests, without vitest, so that the crash
// runner's scenario can also run as a plain benchmark script.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NewUploadBatch } from '../../../main/engine/upload/types.js';
import { randomMp4 } from '../../cvat-server/fixture-media.js';
import type { NewBatchFile } from '../../../main/journal/batch-repo.js';

/** An MP4 of `size` bytes with random media data: the server counts frames by size. */
export function writeVideo(ws: { media: string }, rel: string, size: number): NewBatchFile {
  return writeMedia(ws.media, rel, randomMp4(size, randomBytes));
}

export function writeMedia(root: string, rel: string, bytes: Buffer): NewBatchFile {
  const abs = join(root, rel);
  mkdirSync(join(abs, '..'), { recursive: true });
  writeFileSync(abs, bytes);
  return {
    fileId: null,
    absPath: abs,
    relPath: rel,
    name: rel.slice(rel.lastIndexOf('/') + 1),
    size: bytes.length,
    mtimeMs: statSync(abs).mtimeMs,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

export function plan(
  name: string,
  files: NewBatchFile[],
  folderId: number | null = 1,
): NewUploadBatch {
  return {
    folderId,
    key: `it:${name}`,
    name,
    task: { labels: [{ name: 'car' }] },
    data: { image_quality: 70 },
    files,
  };
}
