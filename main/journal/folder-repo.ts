// Sync rules (table `folders`) and their mapping to the contract's FolderRule.
import type { FolderRule, FolderTarget, LabelSpec } from '../model/index.js';
import type { Clock } from '../core/clock.js';
import { formatSplit, parseSplit } from '../core/split-policy.js';
import type { Db } from './database.js';

/** The columns a FolderRule occupies. */
export interface FolderRuleColumns {
  path: string;
  org: string | null;
  target_project_id: number | null;
  target_labels: string | null;
  split: string;
  name_template: string | null;
  include_globs: string;
  exclude_globs: string;
  settle_seconds: number;
  max_file_size: number | null;
  polling: number;
  task_options: string;
  auto_export: string | null;
}

interface RawFolder extends FolderRuleColumns {
  id: number;
  server: string;
  paused: number;
  saved: number;
  last_scan_at: number | null;
  next_index: number;
  created_at: number;
  updated_at: number;
}

export interface FolderRow {
  id: number;
  server: string;
  rule: FolderRule;
  paused: boolean;
  saved: boolean;
  lastScanAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export function folderRuleToRow(rule: FolderRule): FolderRuleColumns {
  return {
    path: rule.path,
    org: rule.org ?? null,
    target_project_id: rule.target.kind === 'project' ? rule.target.projectId : null,
    target_labels: rule.target.kind === 'labels' ? JSON.stringify(rule.target.labels) : null,
    split: formatSplit(rule.split),
    name_template: rule.nameTemplate ?? null,
    include_globs: JSON.stringify(rule.include),
    exclude_globs: JSON.stringify(rule.exclude),
    settle_seconds: rule.settleSeconds,
    max_file_size: rule.maxFileSizeBytes ?? null,
    polling: rule.polling ? 1 : 0,
    task_options: JSON.stringify(rule.taskOptions),
    auto_export: rule.autoExport ? JSON.stringify(rule.autoExport) : null,
  };
}

export function rowToFolderRule(row: FolderRuleColumns): FolderRule {
  const split = parseSplit(row.split);
  if (!split)
    throw new Error(`Folder ${row.path} has an unknown split policy '${row.split}' in the journal`);
  const target: FolderTarget =
    row.target_project_id !== null
      ? { kind: 'project', projectId: row.target_project_id }
      : { kind: 'labels', labels: JSON.parse(row.target_labels ?? '[]') as LabelSpec[] };
  return {
    path: row.path,
    target,
    org: row.org,
    split,
    nameTemplate: row.name_template,
    include: JSON.parse(row.include_globs) as string[],
    exclude: JSON.parse(row.exclude_globs) as string[],
    settleSeconds: row.settle_seconds,
    maxFileSizeBytes: row.max_file_size,
    polling: row.polling === 1,
    taskOptions: JSON.parse(row.task_options) as FolderRule['taskOptions'],
    autoExport:
      row.auto_export === null ? null : (JSON.parse(row.auto_export) as FolderRule['autoExport']),
  };
}

function fromRaw(r: RawFolder): FolderRow {
  return {
    id: r.id,
    server: r.server,
    rule: rowToFolderRule(r),
    paused: r.paused === 1,
    saved: r.saved === 1,
    lastScanAt: r.last_scan_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const RULE_COLUMNS = [
  'path',
  'org',
  'target_project_id',
  'target_labels',
  'split',
  'name_template',
  'include_globs',
  'exclude_globs',
  'settle_seconds',
  'max_file_size',
  'polling',
  'task_options',
  'auto_export',
] as const;

export class FolderRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Validate the rule first (engine/planner/rule-validation.ts); the table only checks its shape. */
  insert(
    rule: FolderRule,
    options: { server?: string; saved?: boolean; paused?: boolean } = {},
  ): FolderRow {
    const cols = folderRuleToRow(rule);
    const now = this.clock.now();
    const info = this.db
      .prepare(
        `INSERT INTO folders (${RULE_COLUMNS.join(', ')}, server, saved, paused, created_at, updated_at)
         VALUES (${RULE_COLUMNS.map((c) => `@${c}`).join(', ')}, @server, @saved, @paused, @now, @now)`,
      )
      .run({
        ...cols,
        server: options.server ?? '',
        saved: options.saved === false ? 0 : 1,
        paused: options.paused ? 1 : 0,
        now,
      });
    return this.require(Number(info.lastInsertRowid));
  }

  update(id: number, rule: FolderRule): FolderRow {
    const cols = folderRuleToRow(rule);
    this.db
      .prepare(
        `UPDATE folders SET ${RULE_COLUMNS.map((c) => `${c} = @${c}`).join(', ')}, updated_at = @now WHERE id = @id`,
      )
      .run({ ...cols, now: this.clock.now(), id });
    return this.require(id);
  }

  get(id: number): FolderRow | undefined {
    const raw = this.db.prepare('SELECT * FROM folders WHERE id = ?').get(id) as
      RawFolder | undefined;
    return raw && fromRaw(raw);
  }

  require(id: number): FolderRow {
    const row = this.get(id);
    if (!row) throw new Error(`No sync folder with id ${id}`);
    return row;
  }

  /** Folders in creation order; `server` limits them to one server, `savedOnly` hides ad-hoc ones. */
  list(filter: { server?: string; savedOnly?: boolean } = {}): FolderRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.server !== undefined) {
      where.push('server = ?');
      params.push(filter.server);
    }
    if (filter.savedOnly) where.push('saved = 1');
    const sql = `SELECT * FROM folders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return (this.db.prepare(sql).all(...params) as RawFolder[]).map(fromRaw);
  }

  findByPath(server: string, path: string): FolderRow | undefined {
    const raw = this.db
      .prepare('SELECT * FROM folders WHERE server = ? AND path = ?')
      .get(server, path) as RawFolder | undefined;
    return raw && fromRaw(raw);
  }

  /** Removes the rule and its file rows; the content ledger stays (re-adding uploads nothing twice). */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM folders WHERE id = ?').run(id).changes > 0;
  }

  setPaused(id: number, paused: boolean): void {
    this.db
      .prepare('UPDATE folders SET paused = ?, updated_at = ? WHERE id = ?')
      .run(paused ? 1 : 0, this.clock.now(), id);
  }

  setSaved(id: number, saved: boolean): void {
    this.db
      .prepare('UPDATE folders SET saved = ?, updated_at = ? WHERE id = ?')
      .run(saved ? 1 : 0, this.clock.now(), id);
  }

  setLastScan(id: number, at: number): void {
    this.db.prepare('UPDATE folders SET last_scan_at = ? WHERE id = ?').run(at, id);
  }

  /** The next rolling {index} of a count:N batch; call inside the planning transaction. */
  takeIndex(id: number): number {
    const row = this.db
      .prepare(
        'UPDATE folders SET next_index = next_index + 1 WHERE id = ? RETURNING next_index - 1 AS idx',
      )
      .get(id) as { idx: number } | undefined;
    if (!row) throw new Error(`No sync folder with id ${id}`);
    return row.idx;
  }
}
