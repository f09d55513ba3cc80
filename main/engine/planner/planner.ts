// Stable files -> task batches. Decisions are the pure functions of core/split-policy and
// core/name-template; this class reads the folder's candidates from the journal page by page and
// records each group through Journal.planBatch, one transaction per chunk of whole groups, where
// the upload engine finds them.
import { basename } from 'node:path';
import type { FolderRule } from '../../model/index.js';
import type { Clock } from '../../core/clock.js';
import { uniqueTaskNames } from '../../core/file-name.js';
import { renderTaskName } from '../../core/name-template.js';
import { isSoloKind, mediaKindOf } from '../../core/media.js';
import type {
  GroupOptions,
  PendingFile,
  PlanFile,
  PlannedGroup,
  SplitSpec,
  TaskMedia,
} from '../../core/split-policy.js';
import { groupForPlanning, topFolderOf } from '../../core/split-policy.js';
import type { NewBatchFile } from '../../journal/batch-repo.js';
import type { FileRow } from '../../journal/file-repo.js';
import type { FolderRow } from '../../journal/folder-repo.js';
import type { FileSystem } from '../../fs/file-system.js';
import { errorCode } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import { absPath } from '../../watch/stability-gate.js';
import type { EngineJournal } from '../engine-journal.js';
import { unreadableOf } from '../upload/replan-without.js';
import { dataRequestOf, targetKeyOf, taskSpecOf } from './task-spec.js';

export interface PlannedBatch {
  batchId: number;
  key: string;
  name: string;
  files: number;
  bytes: number;
  media: TaskMedia;
}

export interface PlannerOptions {
  journal: EngineJournal;
  clock: Clock;
  fs?: FileSystem;
  /**
   * Called inside the planning transaction for each new batch (the adopter holds the batches of
   * an adopting folder there, so that no batch is ever runnable before it was held).
   */
  onPlanned?: (batchId: number, folderId: number) => void;
  /** Candidate rows read per query (default 1000). */
  pageSize?: number;
  /** Single files, or count:N images, planned per transaction (default 2000). */
  chunkFiles?: number;
}

export function toPlanFile(r: FileRow): PlanFile {
  return {
    id: r.id,
    relPath: r.relPath,
    size: r.size,
    mtimeMs: r.mtimeMs,
    sha256: r.sha256,
    kind: mediaKindOf(r.relPath),
    changedAt: r.changedAt,
  };
}

/** The variables of a group's task name (shared with the preview). */
export function nameFor(rule: FolderRule, group: PlannedGroup, index: number, at: number): string {
  return renderTaskName(rule.nameTemplate, group.nameKind, {
    folder: basename(rule.path),
    subfolder: group.subfolder,
    file: group.file,
    index,
    at,
  });
}

/** NewBatchFile list with unique basenames inside the task. */
export function batchFilesOf(
  rule: FolderRule,
  group: { base: string; files: PlanFile[] },
): NewBatchFile[] {
  const prefix = group.base === '' ? '' : `${group.base}/`;
  const names = uniqueTaskNames(
    group.files.map((f) =>
      f.relPath.startsWith(prefix) ? f.relPath.slice(prefix.length) : f.relPath,
    ),
  );
  return group.files.map((f, i) => ({
    fileId: f.id,
    absPath: absPath(rule.path, f.relPath),
    relPath: f.relPath,
    name: names[i] ?? basename(f.relPath),
    size: f.size,
    mtimeMs: f.mtimeMs,
    sha256: f.sha256,
  }));
}

export class Planner {
  private readonly journal: EngineJournal;
  private readonly fs: FileSystem;

  constructor(private readonly options: PlannerOptions) {
    this.journal = options.journal;
    this.fs = options.fs ?? nodeFileSystem;
  }

  /**
   * Plans every ready group of the folder's stable files. `flush` also plans groups that are
   * complete but not yet quiet, and a partial count batch (sync --once).
   *
   * Candidates are read page by page in path order and planned in chunks that hold whole groups
   * (a subfolder, a multiple of N files, or up to CHUNK single files), each chunk in its own
   * transaction: memory stays bounded by the largest group, not by the folder.
   */
  plan(folder: FolderRow, options: { flush?: boolean } = {}): PlannedBatch[] {
    const rule = folder.rule;
    const group: GroupOptions = {
      now: this.options.clock.now(),
      settleMs: rule.settleSeconds * 1000,
      flush: options.flush ?? false,
    };
    const targetKey = targetKeyOf(folder.server, rule);
    // One entry per top folder with files still settling (the policy looks at nothing else).
    const pending: PendingFile[] = this.journal.files
      .settlingByTop(folder.id)
      .map((t) => ({ relPath: t.top === '' ? '' : `${t.top}/`, changedAt: t.changedAt }));
    const out: PlannedBatch[] = [];
    const chunk = new Chunk(this.options.chunkFiles ?? CHUNK);
    const flushChunk = (): void => {
      if (chunk.empty) return;
      const { files, dupes } = chunk.take();
      this.journal.transaction(() => {
        for (const d of dupes) this.journal.files.setIgnored(d.id, 'duplicate', d.detail);
        for (const g of groupForPlanning(rule.split, files, pending, group))
          out.push(this.commit(folder, g, targetKey, group.now));
      });
    };
    const split = rule.split;
    const streams: Array<'all' | 'root' | 'subfolders'> =
      split.kind === 'subfolder' ? ['subfolders', 'root'] : ['all'];
    for (const where of streams) {
      let after: string | null = null;
      for (;;) {
        const page = this.journal.files.candidatePage(
          folder.id,
          after,
          this.options.pageSize ?? PAGE,
          where,
        );
        for (const row of page) {
          if (!row.sha256) continue;
          if (chunk.endsBefore(split, row.relPath)) flushChunk();
          const known = this.journal.contentLedger.find(targetKey, row.sha256);
          const twin = chunk.twin(row.sha256);
          if (known || twin !== undefined) {
            const same = known
              ? `${known.relPath}${known.taskId ? ` (task ${known.taskId})` : ''}`
              : (twin as string);
            chunk.dupe(row.id, `same content as ${same}`);
            continue;
          }
          chunk.add(toPlanFile(row));
        }
        const last = page[page.length - 1];
        if (!last) break;
        after = last.relPath;
      }
      flushChunk();
    }
    return out;
  }

  private commit(
    folder: FolderRow,
    group: PlannedGroup,
    targetKey: string,
    now: number,
  ): PlannedBatch {
    const rule = folder.rule;
    const planned = this.journal.planBatch({
      folderId: folder.id,
      groupKey: group.groupKey,
      targetKey,
      nameFor: (index) => nameFor(rule, group, index, now),
      task: taskSpecOf(rule),
      data: dataRequestOf(rule.taskOptions, group.media),
      files: batchFilesOf(rule, group),
      plannedAt: now,
    });
    this.options.onPlanned?.(planned.batchId, folder.id);
    return { ...planned, media: group.media };
  }

  /**
   * Answers the upload engine's re-plan requests (a file changed after planning). Files that
   * changed go back through the stability gate while the batch waits; once every file of the
   * batch is stable again the batch gets its new file list. Returns the batches re-planned.
   */
  async replanParked(folder: FolderRow): Promise<number[]> {
    const done: number[] = [];
    const parked = this.journal.batches
      .list({ folderId: folder.id, states: ['planned'] })
      .filter((b) => b.replanReason !== null);
    for (const { id: batchId } of parked) {
      if (await this.replan(folder, batchId)) done.push(batchId);
    }
    return done;
  }

  /** One parked batch; true when it was re-planned (or cancelled for lack of files). */
  async replan(folder: FolderRow, batchId: number): Promise<boolean> {
    const now = this.options.clock.now();
    // Files CVAT could not open (it failed the batch's task naming them) are set aside first.
    for (const bad of unreadableOf(this.journal.batches.files(batchId)))
      this.journal.files.setIgnored(bad.fileId, 'unreadable', bad.message);
    for (const row of this.journal.files.ofBatch(batchId)) {
      if (row.state !== 'planned') continue;
      const st = await this.statOrNull(absPath(folder.rule.path, row.relPath));
      if (st && st.size === row.size && st.mtimeMs === row.mtimeMs) continue;
      const base = { ...row, lastSeenAt: now };
      this.journal.files.write(folder.id, [
        {
          kind: 'update',
          id: row.id,
          fields: st
            ? {
                ...base,
                size: st.size,
                mtimeMs: st.mtimeMs,
                state: 'seen',
                sha256: null,
                changedAt: now,
              }
            : { ...base, state: 'seen', sha256: null, missingSince: now, batchId: null },
        },
      ]);
    }
    const rows = this.journal.files.ofBatch(batchId);
    if (rows.some((r) => r.state === 'seen' && r.missingSince === null)) return false;
    const plan = this.journal.plans.byBatch(batchId);
    const targetKey = targetKeyOf(folder.server, folder.rule);
    return this.journal.transaction(() => {
      this.journal.contentLedger.releaseBatch(batchId);
      const keep = rows.filter(
        (r) => r.missingSince === null && (r.state === 'planned' || r.state === 'stable'),
      );
      if (keep.length === 0 || !plan) {
        this.journal.cancelBatch(batchId, 'planned');
        for (const r of keep)
          this.journal.files.write(folder.id, [
            { kind: 'update', id: r.id, fields: { ...r, state: 'stable', batchId: null } },
          ]);
        return true;
      }
      const files = keep.map(toPlanFile);
      const base = plan.groupKey.startsWith('subfolder:')
        ? plan.groupKey.slice('subfolder:'.length)
        : '';
      const media = files.length === 1 && files[0] ? groupMedia(files[0]) : 'images';
      const ok = this.journal.batches.replan(batchId, {
        name: plan.name,
        task: taskSpecOf(folder.rule),
        data: dataRequestOf(folder.rule.taskOptions, media),
        files: batchFilesOf(folder.rule, { base, files }),
      });
      if (!ok) return false;
      this.journal.files.markPlanned(
        keep.map((r) => r.id),
        batchId,
      );
      this.journal.recordContent(targetKey, folder.id, batchId, files, now);
      return true;
    });
  }

  private async statOrNull(path: string): Promise<{ size: number; mtimeMs: number } | null> {
    try {
      const st = await this.fs.stat(path);
      return st.isFile() ? st : null;
    } catch (e) {
      if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return null;
      throw e;
    }
  }
}

/** Candidate rows read per query, and single files (or count images) planned per transaction. */
const PAGE = 1000;
const CHUNK = 2000;

/**
 * The candidates of one planning transaction. It ends only where no group is cut: at a new top
 * folder (subfolder), after a multiple of N images (count:N), after CHUNK files (file).
 */
class Chunk {
  private files: PlanFile[] = [];
  private dupes: Array<{ id: number; detail: string }> = [];
  private fresh = new Map<string, string>();
  private images = 0;

  constructor(private readonly limit: number) {}

  get empty(): boolean {
    return this.files.length === 0 && this.dupes.length === 0;
  }

  endsBefore(split: SplitSpec, relPath: string): boolean {
    const first = this.files[0];
    if (!first) return false;
    if (split.kind === 'subfolder') return topFolderOf(first.relPath) !== topFolderOf(relPath);
    if (split.kind === 'file') return this.files.length >= this.limit;
    return this.images >= this.limit && this.images % split.count === 0;
  }

  /** The path of an earlier file of this chunk with the same content. */
  twin(sha256: string): string | undefined {
    return this.fresh.get(sha256);
  }

  add(f: PlanFile): void {
    if (f.sha256) this.fresh.set(f.sha256, f.relPath);
    if (!isSoloKind(f.kind)) this.images += 1;
    this.files.push(f);
  }

  dupe(id: number, detail: string): void {
    this.dupes.push({ id, detail });
  }

  take(): { files: PlanFile[]; dupes: Array<{ id: number; detail: string }> } {
    const out = { files: this.files, dupes: this.dupes };
    this.files = [];
    this.dupes = [];
    this.fresh = new Map();
    this.images = 0;
    return out;
  }
}

function groupMedia(f: PlanFile): TaskMedia {
  return (
    groupForPlanning({ kind: 'file' }, [f], [], { now: 0, settleMs: 0, flush: true })[0]?.media ??
    'images'
  );
}
