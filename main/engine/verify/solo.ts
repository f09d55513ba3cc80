// Verify for a task made of one file that CVAT turns into many frames. An archive is compared
// member by member with the frame names CVAT lists; a PDF page by page with the frames; a video
// or an audio file (whose frames have no names of their own) is in CVAT while any frame is not
// deleted.
import { posix } from 'node:path';
import type { VerifyEntry } from '../../model/index.js';
import { mediaKindOf } from '../../core/media.js';
import type { DataMeta } from '../../cvat/task-calls.js';
import type { BatchFileRow } from '../../journal/batch-repo.js';
import type { FileSystem } from '../../fs/file-system.js';
import { archiveImageMembers, pdfPageCount } from './archive-members.js';

type Entry = (
  path: string,
  state: VerifyEntry['state'],
  taskId: number | null,
  detail: string | null,
) => VerifyEntry;

export async function verifySolo(
  f: BatchFileRow,
  meta: DataMeta,
  taskId: number,
  entry: Entry,
  fs: FileSystem,
): Promise<VerifyEntry[]> {
  const kind = mediaKindOf(f.relPath);
  const deleted = new Set(meta.deleted_frames);
  const framed = (e: VerifyEntry, i: number): VerifyEntry => ({
    ...e,
    frame: i,
    width: meta.frames[i]?.width ?? null,
    height: meta.frames[i]?.height ?? null,
  });
  const foreign = (claimed: Set<number>, what: string) =>
    meta.frames.flatMap((fr, i) =>
      claimed.has(i)
        ? []
        : [framed(entry(fr.name, 'foreign', taskId, `frame ${i} is not from ${what}`), i)],
    );

  if (kind === 'zip' || kind === 'archive') {
    const members = await archiveImageMembers(fs, f.absPath, f.relPath).catch(() => null);
    if (members) {
      // CVAT names each frame by the member's path under the archive's upload folder.
      const folder = posix.dirname(f.uploadName);
      const prefix = folder === '.' ? '' : `${folder}/`;
      const byName = new Map(meta.frames.map((fr, i) => [fr.name, i]));
      const claimed = new Set<number>();
      const missing: VerifyEntry[] = [];
      for (const member of members) {
        const at = `${f.relPath}!/${member}`;
        const i = byName.get(prefix + member);
        if (i === undefined) {
          missing.push(entry(at, 'missing', taskId, `no frame "${prefix + member}" in the task`));
          continue;
        }
        claimed.add(i);
        if (deleted.has(i))
          missing.push(
            framed(entry(at, 'missing', taskId, `frame ${i} is marked deleted on the server`), i),
          );
      }
      const found = members.length - missing.length;
      const whole = entry(
        f.relPath,
        missing.length ? 'missing' : 'in-cvat',
        taskId,
        `${found} of ${members.length} images of the archive in CVAT`,
      );
      return [whole, ...missing, ...foreign(claimed, 'this archive')];
    }
  } else if (kind === 'pdf') {
    const pages = await pdfPageCount(fs, f.absPath).catch(() => null);
    if (pages !== null) {
      const missing: VerifyEntry[] = [];
      const claimed = new Set<number>();
      for (let p = 0; p < pages; p++) {
        const at = `${f.relPath}#page=${p + 1}`;
        if (p >= meta.frames.length) {
          missing.push(
            entry(at, 'missing', taskId, `the task has ${meta.frames.length} frames, not ${pages}`),
          );
          continue;
        }
        claimed.add(p);
        if (deleted.has(p))
          missing.push(
            framed(entry(at, 'missing', taskId, `frame ${p} is marked deleted on the server`), p),
          );
      }
      const whole = entry(
        f.relPath,
        missing.length ? 'missing' : 'in-cvat',
        taskId,
        `${pages - missing.length} of ${pages} pages in CVAT`,
      );
      return [whole, ...missing, ...foreign(claimed, 'this PDF')];
    }
  }
  return [presence(f, meta, taskId, entry, kind === 'video' || kind === 'audio')];
}

/** In CVAT while any of its frames is not deleted (a video's meta lists the one file). */
function presence(
  f: BatchFileRow,
  meta: DataMeta,
  taskId: number,
  entry: Entry,
  streamed: boolean,
): VerifyEntry {
  const gone = meta.deleted_frames.filter((i) => i >= 0 && i < meta.size).length;
  const unread = streamed
    ? ''
    : '; its contents could not be read here, so only its presence is checked';
  if (meta.size <= gone)
    return entry(f.relPath, 'missing', taskId, 'every frame is deleted on the server');
  const first = meta.frames[0];
  return {
    ...entry(
      f.relPath,
      'in-cvat',
      taskId,
      (gone ? `${gone} of ${meta.size} frames deleted on the server` : `${meta.size} frames`) +
        unread,
    ),
    frame: 0,
    width: first?.width ?? null,
    height: first?.height ?? null,
  };
}
