// What a rule would make of a folder right now, without touching the journal: a walk into
// memory (capped), the same media check the stability gate runs (so a file CVAT could not open
// is shown as left out, with the reason), the same grouping and names the planner uses, and
// every ignored file.
import type {
  FolderPreview,
  FolderRule,
  IgnoredFile,
  PlannedTaskPreview,
} from '../../model/index.js';
import type { Clock } from '../../core/clock.js';
import { SyncError } from '../../core/errors.js';
import { describeIgnore } from '../../core/ignore-reason.js';
import { mediaKindOf } from '../../core/media.js';
import { mediaSniffer } from '../../core/media-sniff.js';
import { uniqueTaskName } from '../../core/name-template.js';
import type { PlanFile } from '../../core/split-policy.js';
import { groupForPlanning } from '../../core/split-policy.js';
import { compileFilter } from '../../watch/filter.js';
import type { FileSystem } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import { DirWalker } from '../../watch/scanner.js';
import { absPath } from '../../watch/stability-gate.js';
import { nameFor } from './planner.js';

export interface PreviewOptions {
  clock: Clock;
  fs?: FileSystem;
  /** Entries looked at before the preview stops (truncated = true). */
  cap?: number;
}

export interface FolderWalk {
  files: PlanFile[];
  ignored: IgnoredFile[];
  truncated: boolean;
}

/** Every file the rule takes (and each one it ignores, with the reason), into memory. */
export async function walkRule(
  rule: FolderRule,
  options: { fs?: FileSystem; cap?: number; operation?: string } = {},
): Promise<FolderWalk> {
  const fs = options.fs ?? nodeFileSystem;
  const cap = options.cap ?? 20_000;
  let real: string;
  try {
    if (!(await fs.stat(rule.path)).isDirectory()) throw new Error('not a directory');
    real = await fs.realpath(rule.path);
  } catch (e) {
    throw new SyncError(`${rule.path} is not a folder that can be read: ${(e as Error).message}`, {
      code: 'folder-missing',
      kind: 'item',
      operation: options.operation ?? 'preview folder',
      hint: 'Check the path, and that the drive or share is mounted.',
    });
  }
  const walker = new DirWalker(fs, real, compileFilter(rule));
  const files: PlanFile[] = [];
  const ignored: IgnoredFile[] = [];
  const stack = [{ rel: '', abs: rule.path, real }];
  let seen = 0;
  let truncated = false;
  while (stack.length > 0) {
    const d = stack.pop();
    if (!d) break;
    const listing = await walker.list(d);
    if (listing === null) continue;
    if (listing === 'denied') {
      ignored.push({
        path: d.rel || '.',
        reason: describeIgnore('permission-denied', 'cannot list this folder'),
      });
      continue;
    }
    for (const o of listing.observations) {
      if (++seen > cap) {
        truncated = true;
        break;
      }
      if (o.verdict)
        ignored.push({
          path: o.relPath,
          reason: describeIgnore(o.verdict.reason, o.verdict.detail),
        });
      else
        files.push({
          id: null,
          relPath: o.relPath,
          size: o.size,
          mtimeMs: o.mtimeMs,
          sha256: null,
          kind: mediaKindOf(o.relPath),
          changedAt: 0,
        });
    }
    if (truncated) break;
    // Depth-first in name order, like the scanner.
    stack.push(...listing.subdirs.sort((a, b) => (a.rel < b.rel ? 1 : -1)));
  }
  return { files, ignored, truncated };
}

export async function previewFolder(
  rule: FolderRule,
  options: PreviewOptions,
): Promise<FolderPreview> {
  const walkOptions: { fs?: FileSystem; cap?: number } = {};
  if (options.fs) walkOptions.fs = options.fs;
  if (options.cap !== undefined) walkOptions.cap = options.cap;
  const walk = await walkRule(rule, walkOptions);
  const { ignored, truncated } = walk;
  const files = await keepOpenable(rule.path, walk.files, ignored, options.fs ?? nodeFileSystem);
  const now = options.clock.now();
  const groups = groupForPlanning(rule.split, files, [], { now, settleMs: 0, flush: true });
  const names = new Set<string>();
  let index = 0;
  const tasks: PlannedTaskPreview[] = groups.map((g) => {
    const n = g.groupKey === 'count' ? ++index : 1;
    const name = uniqueTaskName(nameFor(rule, g, n, now), (c) => names.has(c));
    names.add(name);
    return {
      name,
      files: g.files.length,
      bytes: g.files.reduce((s, f) => s + f.size, 0),
      media: g.media,
    };
  });
  ignored.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { tasks, ignored, truncated };
}

const SNIFF_CONCURRENCY = 4;

/**
 * The files CVAT can open; each other one goes to `ignored` with the reason. Every image and
 * video is read once, as the stability gate reads it before planning.
 */
async function keepOpenable(
  root: string,
  files: PlanFile[],
  ignored: IgnoredFile[],
  fs: FileSystem,
): Promise<PlanFile[]> {
  const bad = new Set<PlanFile>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++] as PlanFile;
      if (f.kind !== 'image' && f.kind !== 'video') continue;
      const sniffer = mediaSniffer(f.relPath, f.size);
      try {
        for await (const chunk of fs.readStream(absPath(root, f.relPath))) sniffer.push(chunk);
      } catch (e) {
        bad.add(f);
        ignored.push({
          path: f.relPath,
          reason: describeIgnore('read-error', (e as Error).message),
        });
        continue;
      }
      const verdict = sniffer.finish();
      if (verdict) {
        bad.add(f);
        ignored.push({ path: f.relPath, reason: describeIgnore(verdict.reason, verdict.detail) });
      }
    }
  };
  await Promise.all(Array.from({ length: SNIFF_CONCURRENCY }, worker));
  return files.filter((f) => !bad.has(f));
}
