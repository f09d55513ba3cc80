// Auto-export: for the tasks of a sync folder (its batches' task ids) or of a project, export the
// rule's formats and/or a backup into the rule's folder when a task is completed (or, on a
// schedule, whenever it changed). Per task and item the task's updated_date already exported
// is kept, so a completion fires once and an unchanged task is never fetched again.
import { autoExportRuleSchema } from '../../core/folder-rule.js';
import type { AutoExportRule } from '../../model/index.js';
import type { Clock } from '../../core/clock.js';
import { SyncError, toSyncError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CvatApi, CvatTask } from '../../cvat/api.js';
import type { AutoExportRepo } from '../../journal/auto-export-repo.js';
import type { Db } from '../../journal/database.js';
import { inTransaction } from '../../journal/database.js';
import type { TransferRow } from '../../journal/download-repo.js';

/** A sync folder's rule and the tasks this app created from it. */
export interface FolderAutoExport {
  folderId: number;
  /** null: the folder has no auto-export. */
  rule: AutoExportRule | null;
  taskIds: number[];
}

export interface AutoExportEnqueue {
  (
    req: {
      target: { kind: 'task'; id: number };
      format: string | null;
      withImages: boolean;
      destination: string;
      extract: boolean;
    },
    origin: { origin: string; folderId: number | null },
  ): TransferRow;
}

export interface AutoExporterOptions {
  db: Db;
  repo: AutoExportRepo;
  clock: Clock;
  logger: Logger;
  api: () => CvatApi | null;
  enqueue: AutoExportEnqueue;
  folders: () => FolderAutoExport[];
  intervalMs: number;
}

interface Scope {
  key: string;
  rule: AutoExportRule;
  folderId: number | null;
  tasks: (api: CvatApi) => AsyncIterable<CvatTask>;
}

/** Task ids per list request when asking for a folder's tasks. */
const IDS_PER_PAGE = 100;
const DEFAULT_SCHEDULE_MINUTES = 60;

export class AutoExporter {
  private checking: Promise<TransferRow[]> | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: AbortController | null = null;

  constructor(private readonly options: AutoExporterOptions) {}

  /** Sets (or with null removes) the auto-export rule of a project. */
  setProjectRule(projectId: number, rule: AutoExportRule | null): void {
    if (!Number.isInteger(projectId) || projectId <= 0)
      throw invalid(`Invalid project id: ${projectId}`);
    if (rule === null) {
      this.options.repo.removeScope(projectScope(projectId));
      return;
    }
    validateRule(rule);
    this.options.repo.setProjectRule(projectScope(projectId), projectId, rule);
  }

  projectRules(): Array<{ projectId: number; rule: AutoExportRule }> {
    return this.options.repo
      .projectRules<AutoExportRule>()
      .map((r) => ({ projectId: r.projectId, rule: r.rule }));
  }

  /**
   * Looks at every scope once and queues what is due. Returns the transfers queued. Concurrent
   * calls share one pass.
   */
  checkNow(): Promise<TransferRow[]> {
    this.checking ??= this.pass().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.checkNow();
        this.wake = new AbortController();
        try {
          await this.options.clock.sleep(this.options.intervalMs, this.wake.signal);
        } catch {
          // stopped
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.abort();
    await this.loop;
    this.loop = null;
  }

  private scopes(): Scope[] {
    const out: Scope[] = [];
    for (const f of this.options.folders()) {
      const rule = f.rule;
      if (!rule || f.taskIds.length === 0) continue;
      const ids = [...new Set(f.taskIds)].sort((a, b) => a - b);
      out.push({
        key: `folder:${f.folderId}`,
        rule,
        folderId: f.folderId,
        tasks: (api) => tasksById(api, ids),
      });
    }
    for (const p of this.projectRules()) {
      out.push({
        key: projectScope(p.projectId),
        rule: p.rule,
        folderId: null,
        tasks: (api) => api.iterateTasks({ project_id: p.projectId, page_size: IDS_PER_PAGE }),
      });
    }
    return out;
  }

  private async pass(): Promise<TransferRow[]> {
    const api = this.options.api();
    if (!api) return [];
    const queued: TransferRow[] = [];
    for (const scope of this.scopes()) {
      try {
        queued.push(...(await this.checkScope(api, scope)));
      } catch (e) {
        const err = toSyncError(e, 'auto-export');
        this.options.logger.warn('auto-export check failed', {
          scope: scope.key,
          error: err.message,
        });
      }
    }
    return queued;
  }

  private async checkScope(api: CvatApi, scope: Scope): Promise<TransferRow[]> {
    const now = this.options.clock.now();
    const scheduled = scope.rule.trigger === 'schedule';
    if (scheduled) {
      const last = this.options.repo.lastRunAt(scope.key);
      const every = (scope.rule.intervalMinutes ?? DEFAULT_SCHEDULE_MINUTES) * 60_000;
      if (last !== null && now < last + every) return [];
    }
    const items = itemsOf(scope.rule);
    const queued: TransferRow[] = [];
    for await (const task of scope.tasks(api)) {
      // A task without media has nothing to export (CVAT answers 400 to its backup).
      if (task.size === 0) continue;
      if (!scheduled && task.status !== 'completed') continue;
      for (const item of items) {
        const mark = this.options.repo.mark(scope.key, task.id, item.key);
        if (mark?.updatedDate === task.updated_date) continue;
        // Queue and mark in one transaction: a crash cannot leave one without the other.
        const row = inTransaction(this.options.db, () => {
          const t = this.options.enqueue(
            {
              target: { kind: 'task', id: task.id },
              format: item.format,
              withImages: item.withImages,
              destination: scope.rule.destination,
              extract: scope.rule.extract ?? false,
            },
            { origin: scope.key, folderId: scope.folderId },
          );
          this.options.repo.setMark({
            scope: scope.key,
            taskId: task.id,
            item: item.key,
            updatedDate: task.updated_date,
            transferId: t.id,
            at: now,
          });
          return t;
        });
        queued.push(row);
      }
    }
    if (scheduled) this.options.repo.setLastRunAt(scope.key, now);
    return queued;
  }
}

function projectScope(projectId: number): string {
  return `project:${projectId}`;
}

function itemsOf(
  rule: AutoExportRule,
): Array<{ key: string; format: string | null; withImages: boolean }> {
  const items: Array<{ key: string; format: string | null; withImages: boolean }> =
    rule.formats.map((format) => ({
      key: `dataset:${format}:${rule.withImages ? 1 : 0}`,
      format,
      withImages: rule.withImages,
    }));
  if (rule.backup) items.push({ key: 'backup', format: null, withImages: false });
  return items;
}

async function* tasksById(api: CvatApi, ids: number[]): AsyncIterable<CvatTask> {
  for (let i = 0; i < ids.length; i += IDS_PER_PAGE) {
    const slice = ids.slice(i, i + IDS_PER_PAGE);
    yield* api.iterateTasks({ filter: { in: [{ var: 'id' }, slice] }, page_size: IDS_PER_PAGE });
  }
}

/** The same check as a folder rule's auto-export (core/folder-rule.ts): its first problem. */
function validateRule(rule: AutoExportRule): void {
  const parsed = autoExportRuleSchema.safeParse(rule);
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'Invalid auto-export rule');
}

function invalid(message: string): SyncError {
  return new SyncError(message, {
    code: 'invalid-argument',
    kind: 'item',
    operation: 'auto-export rule',
  });
}
