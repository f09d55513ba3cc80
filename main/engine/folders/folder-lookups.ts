// Read-only questions about folders and the batches they planned, answered from the journal:
// which folder made a task, what verify compares, what auto-export watches.
import type { FolderRow } from '../../journal/folder-repo.js';
import type { EngineJournal } from '../engine-journal.js';
import type { FolderAutoExport } from '../results/auto-exporter.js';
import type { VerifySource } from '../verify/verify.js';

/** taskId -> the sync folder whose batch created it (for the task list's "local folder"). */
export function localFolderLookup(
  journal: EngineJournal | null,
): (taskId: number) => { folderId: number; path: string } | null {
  if (!journal) return () => null;
  const paths = new Map(journal.folders.list().map((f) => [f.id, f.rule.path]));
  const byTask = new Map<number, { folderId: number; path: string }>();
  for (const b of journal.batches.list()) {
    if (b.taskId === null || b.folderId === null) continue;
    const path = paths.get(b.folderId);
    if (path !== undefined) byTask.set(b.taskId, { folderId: b.folderId, path });
  }
  return (taskId) => byTask.get(taskId) ?? null;
}

/** A folder's rule and batches with their files, for verify. */
export function verifySourceOfFolder(journal: EngineJournal | null, row: FolderRow): VerifySource {
  const batches = journal?.batches.list({ folderId: row.id }) ?? [];
  return {
    folderId: row.id,
    rule: row.rule,
    batches: batches.map((batch) => ({ batch, files: journal?.batches.files(batch.id) ?? [] })),
  };
}

/** The batch that created `taskId`, for verifying one task; null when this app did not. */
export function verifySourceOfTask(
  journal: EngineJournal | null,
  taskId: number,
): VerifySource | null {
  const batch = journal?.batches.list().find((b) => b.taskId === taskId && b.state === 'done');
  if (!batch || !journal) return null;
  return {
    folderId: batch.folderId,
    rule: null,
    batches: [{ batch, files: journal.batches.files(batch.id) }],
  };
}

/** Auto-export rules of the server's saved folders, with the tasks their batches created. */
export function autoExportsOf(journal: EngineJournal | null, server: string): FolderAutoExport[] {
  if (!journal) return [];
  const out: FolderAutoExport[] = [];
  for (const f of journal.folders.list({ server, savedOnly: true })) {
    if (!f.rule.autoExport) continue;
    const taskIds = journal.batches
      .list({ folderId: f.id, states: ['done'] })
      .map((b) => b.taskId)
      .filter((t): t is number => t !== null);
    out.push({ folderId: f.id, rule: f.rule.autoExport, taskIds });
  }
  return out;
}
