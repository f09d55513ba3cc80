// What the server saw, for tests that assert a promise about waste: every task created and
// deleted, and every byte of file content that arrived, per task and per file, whether the
// request it came in was kept or not (re-sent and cut bytes count too). CVAT keeps no such
// record; this is observation only and changes no answer.
import type { Core } from './core.js';

export interface TaskLedgerEntry {
  taskId: number;
  /** The task's name now (or when it was deleted): it follows PATCH /api/tasks/{id}. */
  name: string;
  /** The name the task was created under. */
  createdAs: string;
  ownerId: number;
  createdAt: number;
  deletedAt: number | null;
  /** File bytes that arrived for this task (TUS PATCH bodies and Upload-Multiple parts). */
  bytesReceived: number;
  /** Of those, bytes that arrived in requests the server discarded (cut before the body ended). */
  bytesDiscarded: number;
  files: Record<string, number>;
}

export interface Ledger {
  tasks: TaskLedgerEntry[];
}

export function ledgerOf(core: Core): Ledger {
  const state = core.state as typeof core.state & { ledger?: Ledger };
  state.ledger ??= { tasks: [] };
  return state.ledger;
}

export function noteTaskCreated(
  core: Core,
  task: { id: number; name: string; ownerId: number },
): void {
  ledgerOf(core).tasks.push({
    taskId: task.id,
    name: task.name,
    createdAs: task.name,
    ownerId: task.ownerId,
    createdAt: core.now(),
    deletedAt: null,
    bytesReceived: 0,
    bytesDiscarded: 0,
    files: {},
  });
}

export function noteTaskDeleted(core: Core, taskId: number): void {
  const entry = ledgerOf(core).tasks.find((t) => t.taskId === taskId);
  if (entry && entry.deletedAt === null) entry.deletedAt = core.now();
}

export function noteTaskRenamed(core: Core, taskId: number, name: string): void {
  const entry = ledgerOf(core).tasks.find((t) => t.taskId === taskId);
  if (entry) entry.name = name;
}

/** `bytes` of `file` arrived for task `taskId`; `kept` false when the request had no effect. */
export function noteBytes(
  core: Core,
  taskId: number,
  file: string,
  bytes: number,
  kept: boolean,
): void {
  const entry = ledgerOf(core).tasks.find((t) => t.taskId === taskId);
  if (!entry || bytes <= 0) return;
  entry.bytesReceived += bytes;
  if (!kept) entry.bytesDiscarded += bytes;
  entry.files[file] = (entry.files[file] ?? 0) + bytes;
}
