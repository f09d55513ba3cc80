// How a folder's settled files become task batches (pure; the planner feeds it from the journal).
//
//  - Videos, audio, pdf and archives always get a task of their own (CVAT cannot mix them).
//  - 'file': one task per file.
//  - 'subfolder': each immediate subfolder (with everything below it) is one task once ALL its
//    files have settled and none changed within the settle window; the root's own files form
//    a task the same way. Files arriving after that form a new task (CVAT has no append).
//  - 'count:N': rolling tasks of N images in path order. A partial last batch waits until the
//    whole folder has been quiet (nothing settling, nothing changed) for the settle window, so
//    a copy in progress is not cut into small tasks; `flush` (sync --once) plans it at once.
import { baseName } from './file-name.js';
import type { MediaKind } from './media.js';
import { isSoloKind } from './media.js';
import type { TaskNameKind } from './name-template.js';

export type SplitSpec = { kind: 'subfolder' } | { kind: 'count'; count: number } | { kind: 'file' };

export type TaskMedia = 'images' | 'video' | 'audio' | 'archive' | 'pdf';

export function formatSplit(split: SplitSpec): string {
  return split.kind === 'count' ? `count:${split.count}` : split.kind;
}

export function parseSplit(text: string): SplitSpec | null {
  if (text === 'subfolder' || text === 'file') return { kind: text };
  const m = /^count:([1-9]\d*)$/.exec(text);
  return m ? { kind: 'count', count: Number(m[1]) } : null;
}

export interface PlanFile {
  id: number | null;
  relPath: string;
  size: number;
  mtimeMs: number;
  sha256: string | null;
  kind: MediaKind;
  changedAt: number;
}

/** A present file that may still become a candidate (settling or hashing). */
export interface PendingFile {
  relPath: string;
  changedAt: number;
}

export interface PlannedGroup {
  /** Stable per folder: 'root', 'subfolder:cams', 'file:cams/a.mp4', 'count'. */
  groupKey: string;
  nameKind: TaskNameKind;
  subfolder: string;
  file: string;
  media: TaskMedia;
  /** Directory the task's files are relative to, for unique basenames ('' = the root). */
  base: string;
  files: PlanFile[];
}

export interface GroupOptions {
  now: number;
  settleMs: number;
  /** Plan partial and still-quiet groups now (sync --once, preview). */
  flush: boolean;
}

export function mediaOfKind(kind: MediaKind): TaskMedia {
  if (kind === 'video' || kind === 'audio' || kind === 'pdf') return kind;
  if (kind === 'zip' || kind === 'archive') return 'archive';
  return 'images';
}

export function topFolderOf(relPath: string): string {
  const slash = relPath.indexOf('/');
  return slash < 0 ? '' : relPath.slice(0, slash);
}

function byPath(a: { relPath: string }, b: { relPath: string }): number {
  return a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0;
}

/**
 * Groups `candidates` (stable, non-duplicate, unplanned) into batches that are ready now.
 * `pending` are the folder's other present files that have not settled yet.
 */
export function groupForPlanning(
  split: SplitSpec,
  candidates: readonly PlanFile[],
  pending: readonly PendingFile[],
  options: GroupOptions,
): PlannedGroup[] {
  const sorted = [...candidates].sort(byPath);
  const groups: PlannedGroup[] = [];
  const images: PlanFile[] = [];
  for (const f of sorted) {
    if (isSoloKind(f.kind) || split.kind === 'file') groups.push(singleFileGroup(f));
    else images.push(f);
  }
  if (split.kind === 'subfolder') groups.push(...subfolderGroups(images, pending, options));
  else if (split.kind === 'count')
    groups.push(...countGroups(split.count, images, pending, options));
  return groups;
}

function singleFileGroup(f: PlanFile): PlannedGroup {
  const slash = f.relPath.lastIndexOf('/');
  return {
    groupKey: `file:${f.relPath}`,
    nameKind: 'file',
    subfolder: topFolderOf(f.relPath),
    file: baseName(f.relPath),
    media: mediaOfKind(f.kind),
    base: slash < 0 ? '' : f.relPath.slice(0, slash),
    files: [f],
  };
}

function subfolderGroups(
  images: PlanFile[],
  pending: readonly PendingFile[],
  o: GroupOptions,
): PlannedGroup[] {
  const byTop = new Map<string, PlanFile[]>();
  for (const f of images) {
    const top = topFolderOf(f.relPath);
    const list = byTop.get(top);
    if (list) list.push(f);
    else byTop.set(top, [f]);
  }
  const busy = new Set<string>();
  const lastChange = new Map<string, number>();
  for (const p of pending) {
    const top = topFolderOf(p.relPath);
    busy.add(top);
    lastChange.set(top, Math.max(lastChange.get(top) ?? 0, p.changedAt));
  }
  const out: PlannedGroup[] = [];
  for (const [top, files] of byTop) {
    const changed = Math.max(lastChange.get(top) ?? 0, latest(files));
    const quiet = !busy.has(top) && o.now - changed >= o.settleMs;
    if (!quiet && !o.flush) continue;
    out.push({
      groupKey: top === '' ? 'root' : `subfolder:${top}`,
      nameKind: top === '' ? 'root' : 'subfolder',
      subfolder: top,
      file: '',
      media: 'images',
      base: top,
      files,
    });
  }
  return out;
}

function countGroups(
  n: number,
  images: PlanFile[],
  pending: readonly PendingFile[],
  o: GroupOptions,
): PlannedGroup[] {
  const out: PlannedGroup[] = [];
  const group = (files: PlanFile[]): PlannedGroup => ({
    groupKey: 'count',
    nameKind: 'count',
    subfolder: '',
    file: '',
    media: 'images',
    base: '',
    files,
  });
  let i = 0;
  for (; i + n <= images.length; i += n) out.push(group(images.slice(i, i + n)));
  const rest = images.slice(i);
  if (rest.length === 0) return out;
  const changed = Math.max(latest(pending), latest(images));
  const quiet = pending.length === 0 && o.now - changed >= o.settleMs;
  if (quiet || o.flush) out.push(group(rest));
  return out;
}

// A loop, not Math.max(...list): folders hold far more files than the argument limit.
function latest(list: readonly { changedAt: number }[]): number {
  let max = 0;
  for (const f of list) if (f.changedAt > max) max = f.changedAt;
  return max;
}
