// Proof that a folder is in CVAT, with the normal API only (no admin rights): for each task the
// folder produced, GET …/data/meta gives the frame names, the deleted frames and the image sizes
// CVAT reports; they are compared with the journal's batch files and with the folder on disk
// (an archive's members and a PDF's pages in solo.ts).
import type { FolderRule, VerifyEntry, VerifyReport, VerifyTaskResult } from '../../model/index.js';
import type { Clock } from '../../core/clock.js';
import { errorInfo, isSyncError } from '../../core/errors.js';
import { isSoloKind, mediaKindOf } from '../../core/media.js';
import type { DataMeta, CvatTaskApi } from '../../cvat/task-calls.js';
import type { BatchFileRow, BatchRow } from '../../journal/batch-repo.js';
import type { FileSystem } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import { imageDimensions } from '../../core/image-size.js';
import type { Dimensions } from '../../core/image-size.js';
import { walkRule } from '../planner/preview.js';
import { verifySolo } from './solo.js';

export interface VerifySource {
  folderId: number | null;
  /** null for a one-task check: the disk is not walked. */
  rule: FolderRule | null;
  batches: Array<{ batch: BatchRow; files: BatchFileRow[] }>;
}

const cmp = (a: VerifyEntry, b: VerifyEntry) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export async function verifyFolder(
  source: VerifySource,
  calls: CvatTaskApi,
  clock: Clock,
  /** Where the local files are looked at (default: the real disk). */
  fs: FileSystem = nodeFileSystem,
): Promise<VerifyReport> {
  const entries: VerifyEntry[] = [];
  const tasks: VerifyTaskResult[] = [];
  const known = new Set<string>();
  for (const { batch, files } of source.batches) {
    for (const f of files) known.add(f.relPath);
    if (batch.state === 'cancelled') continue;
    if (batch.taskId === null || batch.state !== 'done') {
      for (const f of files)
        entries.push(
          entry(f.relPath, 'not-uploaded', null, `task "${batch.name}" is ${batch.state}`),
        );
      continue;
    }
    const r = await verifyTask(batch, files, calls, fs);
    tasks.push(r.task);
    entries.push(...r.entries);
  }
  if (source.rule) {
    const walk = await walkRule(source.rule, { fs, operation: 'verify folder', cap: 1_000_000 });
    for (const f of walk.files)
      if (!known.has(f.relPath))
        entries.push(entry(f.relPath, 'not-uploaded', null, 'on disk, in no task of this folder'));
  }
  entries.sort(cmp);
  const count = (s: VerifyEntry['state']) => entries.filter((e) => e.state === s).length;
  return {
    folderId: source.folderId,
    path: source.rule?.path ?? null,
    checkedAt: clock.now(),
    tasks,
    entries,
    totals: {
      inCvat: count('in-cvat'),
      missing: count('missing'),
      notUploaded: count('not-uploaded'),
      foreign: count('foreign'),
    },
  };
}

async function verifyTask(
  batch: BatchRow,
  files: BatchFileRow[],
  calls: CvatTaskApi,
  fs: FileSystem,
): Promise<{ task: VerifyTaskResult; entries: VerifyEntry[] }> {
  const taskId = batch.taskId as number;
  const result: VerifyTaskResult = {
    taskId,
    name: batch.name,
    reachable: true,
    error: null,
    frames: 0,
    inCvat: 0,
    missing: 0,
    foreign: 0,
  };
  let meta: DataMeta;
  try {
    meta = await calls.dataMeta(taskId);
  } catch (e) {
    const gone = isSyncError(e) && e.status === 404;
    result.reachable = false;
    result.error = errorInfo(e);
    const why = gone ? `task #${taskId} is not on the server` : `task #${taskId} could not be read`;
    const out = files.map((f) => entry(f.relPath, 'missing', taskId, why));
    result.missing = out.length;
    return { task: result, entries: out };
  }
  result.frames = meta.frames.length;
  const deleted = new Set(meta.deleted_frames);
  const out: VerifyEntry[] = [];
  const solo = files.length === 1 && files[0] && isSoloKind(mediaKindOf(files[0].relPath));
  if (solo && files[0]) {
    out.push(...(await verifySolo(files[0], meta, taskId, entry, fs)));
  } else {
    const byName = new Map<string, number>();
    meta.frames.forEach((fr, i) => byName.set(fr.name, i));
    const claimed = new Set<number>();
    for (const f of files) {
      if (f.state === 'skipped') {
        out.push(entry(f.relPath, 'not-uploaded', taskId, f.skipReason ?? 'skipped when sent'));
        continue;
      }
      const i = byName.get(f.uploadName);
      if (i === undefined) {
        out.push(entry(f.relPath, 'missing', taskId, `no frame "${f.uploadName}" in the task`));
        continue;
      }
      claimed.add(i);
      const fr = meta.frames[i];
      // Where CVAT reports a size, the file on disk must have it: else it is not this file.
      const disk = fr?.width !== undefined ? await diskSize(fs, f.absPath) : null;
      if (disk && fr && (disk.width !== fr.width || disk.height !== fr.height)) {
        out.push({
          ...entry(
            f.relPath,
            'missing',
            taskId,
            `frame ${i} in CVAT is ${fr.width}×${fr.height}; the file on disk is ${disk.width}×${disk.height}`,
          ),
          frame: i,
          width: fr.width ?? null,
          height: fr.height ?? null,
        });
        continue;
      }
      const e: VerifyEntry = {
        ...entry(
          f.relPath,
          deleted.has(i) ? 'missing' : 'in-cvat',
          taskId,
          deleted.has(i) ? `frame ${i} is marked deleted on the server` : null,
        ),
        frame: i,
        width: fr?.width ?? null,
        height: fr?.height ?? null,
      };
      out.push(e);
    }
    meta.frames.forEach((fr, i) => {
      if (!claimed.has(i))
        out.push({
          ...entry(
            fr.name,
            'foreign',
            taskId,
            `frame ${i} of task #${taskId} is not from this folder`,
          ),
          frame: i,
          width: fr.width ?? null,
          height: fr.height ?? null,
        });
    });
  }
  result.inCvat = out.filter((e) => e.state === 'in-cvat').length;
  result.missing = out.filter((e) => e.state === 'missing').length;
  result.foreign = out.filter((e) => e.state === 'foreign').length;
  return { task: result, entries: out };
}

/** The file's image size from its header; null when unreadable or not an image we parse. */
async function diskSize(fs: FileSystem, path: string): Promise<Dimensions | null> {
  try {
    const fh = await fs.open(path, 'read');
    try {
      const buf = new Uint8Array(65_536);
      const bytesRead = await fh.read(buf, 0, buf.length, 0);
      return imageDimensions(buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

function entry(
  path: string,
  state: VerifyEntry['state'],
  taskId: number | null,
  detail: string | null,
): VerifyEntry {
  return { path, state, taskId, frame: null, detail, width: null, height: null };
}
