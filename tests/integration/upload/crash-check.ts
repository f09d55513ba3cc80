// What the crash scenario left behind, measured on the server (its ledger and stored files) and
// in the engine's journal, plus the table both the crash test and bench:crash print.
import { join } from 'node:path';
import { ActivityRepo } from '../../../main/journal/activity-repo.js';
import { BatchRepo } from '../../../main/journal/batch-repo.js';
import { DiscardRepo } from '../../../main/journal/discard-repo.js';
import { openJournal } from '../../../main/journal/database.js';
import { TransferRepo } from '../../../main/journal/download-repo.js';
import { systemClock } from '../../../main/service/system-clock.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { CrashReport } from './crash-scenario.js';
import { PHASES } from './crash-scenario.js';

export interface CrashFigures {
  batches: number;
  tasksCreated: number;
  tasksDeleted: number;
  ambiguousEvents: number;
  discardedTasks: number;
  resends: number;
  bytesReceived: number;
  bytesResent: number;
  resentBound: number;
  /** Every file in exactly one task, byte-identical: the problems found (empty when so). */
  mismatches: string[];
  /** Tasks on the server that no batch owns. */
  orphans: number[];
  pendingDiscards: number;
  backupsDone: number;
  /** Why tasks were discarded (the activity log's batch-restart entries). */
  restartReasons: string[];
}

export function checkCrash(server: CvatTestServer, dir: string, r: CrashReport): CrashFigures {
  const db = openJournal(join(dir, 'engine', 'journal.db'));
  try {
    const rows = new BatchRepo(db, systemClock).list();
    const owned = new Set(rows.map((b) => b.taskId));
    const mismatches: string[] = [];
    const planned = new Map(r.plans.map((p) => [p.name, p.files]));
    for (const b of rows) {
      if (b.state !== 'done') mismatches.push(`${b.name}: ${b.state}`);
      const stored = b.taskId === null ? [] : server.admin.taskFiles(b.taskId);
      const want = planned.get(b.name) ?? [];
      const sha = new Map(stored.map((f) => [f.name, f.sha256]));
      if (stored.length !== want.length)
        mismatches.push(`${b.name}: ${stored.length} files stored, ${want.length} planned`);
      for (const f of want)
        if (sha.get(f.name) !== f.sha256) mismatches.push(`${b.name}/${f.name} differs`);
    }
    const ledger = server.admin.ledger().tasks.filter((t) => t.name.startsWith('crash/'));
    const live = server.admin.tasks().filter((t) => t.name.startsWith('crash/'));
    const bytesReceived = ledger.reduce((s, t) => s + t.bytesReceived, 0);
    const transfers = new TransferRepo(db).list({ limit: 10_000 });
    return {
      batches: rows.length,
      tasksCreated: ledger.length,
      tasksDeleted: ledger.filter((t) => t.deletedAt !== null).length,
      ambiguousEvents: rows.reduce((s, b) => s + b.ambiguousEvents, 0),
      discardedTasks: rows.reduce((s, b) => s + b.discardedTasks, 0),
      resends: rows.reduce((s, b) => s + b.resends, 0),
      bytesReceived,
      bytesResent: bytesReceived - r.fileBytes,
      resentBound: r.kills * r.largestCut,
      mismatches,
      orphans: live.filter((t) => !owned.has(t.id)).map((t) => t.id),
      pendingDiscards: new DiscardRepo(db, systemClock).list().length,
      backupsDone: transfers.filter((t) => t.state === 'done').length,
      restartReasons: new ActivityRepo(db)
        .list({ limit: 100_000 })
        .filter((a) => a.kind === 'batch-restart')
        .map((a) => a.message),
    };
  } finally {
    db.close();
  }
}

export function crashTable(r: CrashReport, f: CrashFigures): string {
  const MiB = 1024 * 1024;
  const mib = (n: number): string => `${(n / MiB).toFixed(2)} MiB`;
  const lines = [
    `crash test: ${r.kills} kills over ${r.runs} runs, ${r.rounds} rounds of work`,
    '',
    'kills by phase',
    ...PHASES.map((p) => `  ${p.padEnd(30)} ${String(r.byPhase[p] ?? 0).padStart(4)}`),
    '',
    `batches                          ${f.batches}`,
    `tasks created / deleted          ${f.tasksCreated} / ${f.tasksDeleted}  (bound: batches + ambiguous events = ${f.batches + f.ambiguousEvents})`,
    `ambiguous events (journal)       ${f.ambiguousEvents}  (discarded tasks ${f.discardedTasks}, requests re-sent ${f.resends})`,
    `file bytes                       ${mib(r.fileBytes)}`,
    `bytes received by the server     ${mib(f.bytesReceived)}`,
    `bytes re-sent                    ${mib(f.bytesResent)}  (bound: kills x largest cut ${mib(r.largestCut)} = ${mib(f.resentBound)})`,
    `backups downloaded               ${f.backupsDone}`,
    ...f.restartReasons.map((m) => `  discarded: ${m}`),
  ];
  return lines.join('\n');
}
