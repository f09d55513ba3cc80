// Auto-export bookkeeping: project rules, each scope's last scheduled run, and per task and item
// the task's updated_date already exported (so an unchanged result is not fetched twice).
import type { Db } from './database.js';

export interface AutoExportMark {
  scope: string;
  taskId: number;
  item: string;
  updatedDate: string;
  transferId: string | null;
  at: number;
}

export interface ProjectRuleRow<Rule> {
  scope: string;
  projectId: number;
  rule: Rule;
}

export class AutoExportRepo {
  constructor(private readonly db: Db) {}

  setProjectRule(scope: string, projectId: number, rule: unknown): void {
    this.db
      .prepare(
        `INSERT INTO auto_export_scopes (scope, project_id, rule) VALUES (?, ?, ?)
         ON CONFLICT (scope) DO UPDATE SET project_id = excluded.project_id, rule = excluded.rule`,
      )
      .run(scope, projectId, JSON.stringify(rule));
  }

  removeScope(scope: string): void {
    this.db.prepare('DELETE FROM auto_export_scopes WHERE scope = ?').run(scope);
  }

  projectRules<Rule>(): Array<ProjectRuleRow<Rule>> {
    const rows = this.db
      .prepare(
        'SELECT scope, project_id, rule FROM auto_export_scopes WHERE project_id IS NOT NULL AND rule IS NOT NULL ORDER BY scope',
      )
      .all() as Array<{ scope: string; project_id: number; rule: string }>;
    return rows.map((r) => ({
      scope: r.scope,
      projectId: r.project_id,
      rule: JSON.parse(r.rule) as Rule,
    }));
  }

  lastRunAt(scope: string): number | null {
    const row = this.db
      .prepare('SELECT last_run_at FROM auto_export_scopes WHERE scope = ?')
      .get(scope) as { last_run_at: number | null } | undefined;
    return row?.last_run_at ?? null;
  }

  setLastRunAt(scope: string, at: number): void {
    this.db
      .prepare(
        `INSERT INTO auto_export_scopes (scope, last_run_at) VALUES (?, ?)
         ON CONFLICT (scope) DO UPDATE SET last_run_at = excluded.last_run_at`,
      )
      .run(scope, at);
  }

  mark(scope: string, taskId: number, item: string): AutoExportMark | null {
    const row = this.db
      .prepare('SELECT * FROM auto_export_marks WHERE scope = ? AND task_id = ? AND item = ?')
      .get(scope, taskId, item) as
      | {
          scope: string;
          task_id: number;
          item: string;
          updated_date: string;
          transfer_id: string | null;
          at: number;
        }
      | undefined;
    return row
      ? {
          scope: row.scope,
          taskId: row.task_id,
          item: row.item,
          updatedDate: row.updated_date,
          transferId: row.transfer_id,
          at: row.at,
        }
      : null;
  }

  setMark(m: AutoExportMark): void {
    this.db
      .prepare(
        `INSERT INTO auto_export_marks (scope, task_id, item, updated_date, transfer_id, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope, task_id, item) DO UPDATE SET
           updated_date = excluded.updated_date, transfer_id = excluded.transfer_id, at = excluded.at`,
      )
      .run(m.scope, m.taskId, m.item, m.updatedDate, m.transferId, m.at);
  }
}
