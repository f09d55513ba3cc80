// Stable files -> task batches (ARCHITECTURE.md § Data flow, step 3). Decisions are the pure
// functions of core/split-policy and core/name-template; this class reads and writes the journal
// around them, in one transaction per planning pass, and hands batches to the upload engine.
import { basename } from 'node:path';
import type { FolderRule } from '../../../preload/contract.js';
import type { Clock } from '../../core/clock.js';
import { uniqueTaskNames } from '../../core/file-name.js';
import { renderTaskName, uniqueTaskName } from '../../core/name-template.js';
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
import { BatchRepo } from '../../journal/batch-repo.js';
import type { DataRequest } from '../../cvat/api.js';
import { ContentLedgerRepo } from '../../journal/content-ledger-repo.js';
import type { Db } from '../../journal/database.js';
import { inTransaction } from '../../journal/database.js';
import type { FileRow } from '../../journal/file-repo.js';
import { FileRepo } from '../../journal/file-repo.js';
import type { FolderRow } from '../../journal/folder-repo.js';
import { FolderRepo } from '../../journal/folder-repo.js';
import { PlanRepo } from '../../journal/plan-repo.js';
import type { FileSystem } from '../../fs/file-system.js';
import { errorCode } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import { absPath } from '../../watch/stability-gate.js';
import type { BatchSink } from './batch-sink.js';
import { batchRepoSink } from './batch-sink.js';
import type { BatchTaskSpec } from './task-spec.js';
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
  db: Db;
  clock: Clock;
  fs?: FileSystem;
  batches?: BatchSink;
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
  private readonly files: FileRepo;
  private readonly folders: FolderRepo;
  private readonly plans: PlanRepo;
  private readonly ledger: ContentLedgerRepo;
  private readonly sink: BatchSink;
  private readonly fs: FileSystem;

  constructor(private readonly o: PlannerOptions) {
    this.files = new FileRepo(o.db);
    this.folders = new FolderRepo(o.db, o.clock);
    this.plans = new PlanRepo(o.db);
    this.ledger = new ContentLedgerRepo(o.db);
    this.sink =
      o.batches ?? batchRepoSink(new BatchRepo<BatchTaskSpec, DataRequest>(o.db, o.clock));
    this.fs = o.fs ?? nodeFileSystem;
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
      now: this.o.clock.now(),
      settleMs: rule.settleSeconds * 1000,
      flush: options.flush ?? false,
    };
    const targetKey = targetKeyOf(folder.server, rule);
    // One entry per top folder with files still settling (the policy looks at nothing else).
    const pending: PendingFile[] = this.files
      .settlingByTop(folder.id)
      .map((t) => ({ relPath: t.top === '' ? '' : `${t.top}/`, changedAt: t.changedAt }));
    const out: PlannedBatch[] = [];
    const chunk = new Chunk(this.o.chunkFiles ?? CHUNK);
    const flushChunk = (): void => {
      if (chunk.empty) return;
      const { files, dupes } = chunk.take();
      inTransaction(this.o.db, () => {
        for (const d of dupes) this.files.setIgnored(d.id, 'duplicate', d.detail);
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
        const page = this.files.candidatePage(folder.id, after, this.o.pageSize ?? PAGE, where);
        for (const row of page) {
          if (!row.sha256) continue;
          if (chunk.endsBefore(split, row.relPath)) flushChunk();
          const known = this.ledger.find(targetKey, row.sha256);
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
    const seq = this.plans.countForGroup(folder.id, group.groupKey) + 1;
    const index = group.groupKey === 'count' ? this.folders.takeIndex(folder.id) : seq;
    let key =
      group.groupKey === 'count'
        ? `count:${index}`
        : seq === 1
          ? group.groupKey
          : `${group.groupKey}#${seq}`;
    for (let n = seq + 1; this.plans.keyTaken(folder.id, key); n++) key = `${group.groupKey}#${n}`;
    const name = uniqueTaskName(nameFor(rule, group, index, now), (n) =>
      this.plans.nameTaken(folder.id, n),
    );
    const files = batchFilesOf(rule, group);
    const batchId = this.sink.insertPlanned({
      folderId: folder.id,
      key,
      name,
      task: taskSpecOf(rule),
      data: dataRequestOf(rule.taskOptions, group.media),
      files,
    });
    this.files.markPlanned(
      group.files.flatMap((f) => (f.id === null ? [] : [f.id])),
      batchId,
    );
    for (const f of group.files) {
      if (f.sha256)
        this.ledger.record({
          targetKey,
          sha256: f.sha256,
          folderId: folder.id,
          relPath: f.relPath,
          batchId,
          recordedAt: now,
        });
    }
    const bytes = files.reduce((s, f) => s + f.size, 0);
    this.plans.add({
      folderId: folder.id,
      groupKey: group.groupKey,
      key,
      name,
      batchId,
      files: files.length,
      bytes,
      plannedAt: now,
    });
    return { batchId, key, name, files: files.length, bytes, media: group.media };
  }

  /** Follows the upload engine: done batches make their files 'uploaded', cancelled ones set them aside. */
  followBatches(folderId: number): void {
    const { cancelledBatches } = this.files.followBatches(folderId);
    for (const id of cancelledBatches) this.ledger.releaseBatch(id);
    this.ledger.followDoneBatches();
  }

  /**
   * Answers the upload engine's re-plan requests (a file changed after planning). Files that
   * changed go back through the stability gate while the batch waits; once every file of the
   * batch is stable again the batch gets its new file list. Returns the batches re-planned.
   */
  async replanParked(folder: FolderRow): Promise<number[]> {
    const done: number[] = [];
    for (const batchId of this.sink.parked(folder.id)) {
      if (await this.replan(folder, batchId)) done.push(batchId);
    }
    return done;
  }

  /** One parked batch; true when it was re-planned (or cancelled for lack of files). */
  async replan(folder: FolderRow, batchId: number): Promise<boolean> {
    const now = this.o.clock.now();
    for (const row of this.files.ofBatch(batchId)) {
      if (row.state !== 'planned') continue;
      const st = await this.statOrNull(absPath(folder.rule.path, row.relPath));
      if (st && st.size === row.size && st.mtimeMs === row.mtimeMs) continue;
      const base = { ...row, lastSeenAt: now };
      this.files.write(folder.id, [
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
    const rows = this.files.ofBatch(batchId);
    if (rows.some((r) => r.state === 'seen' && r.missingSince === null)) return false;
    const plan = this.plans.byBatch(batchId);
    const targetKey = targetKeyOf(folder.server, folder.rule);
    return inTransaction(this.o.db, () => {
      this.ledger.releaseBatch(batchId);
      const keep = rows.filter(
        (r) => r.missingSince === null && (r.state === 'planned' || r.state === 'stable'),
      );
      if (keep.length === 0 || !plan) {
        this.sink.cancelPlanned(batchId);
        for (const r of keep)
          this.files.write(folder.id, [
            { kind: 'update', id: r.id, fields: { ...r, state: 'stable', batchId: null } },
          ]);
        return true;
      }
      const files = keep.map(toPlanFile);
      const base = plan.groupKey.startsWith('subfolder:')
        ? plan.groupKey.slice('subfolder:'.length)
        : '';
      const media = files.length === 1 && files[0] ? groupMedia(files[0]) : 'images';
      const ok = this.sink.replan(batchId, {
        name: plan.name,
        task: taskSpecOf(folder.rule),
        data: dataRequestOf(folder.rule.taskOptions, media),
        files: batchFilesOf(folder.rule, { base, files }),
      });
      if (!ok) return false;
      this.files.markPlanned(
        keep.map((r) => r.id),
        batchId,
      );
      for (const f of files) {
        if (f.sha256)
          this.ledger.record({
            targetKey,
            sha256: f.sha256,
            folderId: folder.id,
            relPath: f.relPath,
            batchId,
            recordedAt: now,
          });
      }
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
