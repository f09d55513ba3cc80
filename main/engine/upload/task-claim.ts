// Creating a batch's task so that no other agent can mistake it for its own (README.md § Several
// agents, one CVAT). Several agents (each with its own journal) may sync into one project under
// one account, with identical subfolder names, so a task's default name, owner and creation
// time prove nothing. The task is therefore created under a claim name that only this agent
// uses, `<name> ‹cvat-sync <agent>-<batch>›`, its id recorded, and renamed to the default name
// (PATCH /api/tasks/{id}) before any data is attached: a crash in between resumes with the
// rename. A lost creation answer is resolved by the exact claim name alone, and no task is
// adopted or deleted here without this agent's claim or an id this journal recorded.
import type { CvatTask } from '../../cvat/api.js';
import type { DiscardRow } from '../../journal/discard-repo.js';
import type { RunnerDeps } from './batch-runner.js';
import type { UploadBatch } from './types.js';

/** CVAT's Task.name is a CharField of at most 256 characters (TaskWriteRequest in its schema). */
export const TASK_NAME_MAX = 256;

const CLAIM_PATTERN = /‹cvat-sync ([0-9a-f]+)-(\d+)›$/u;

/** The name a batch's task is created under: the base is cut to fit, the claim never. */
export function claimName(name: string, agentId: string, batchId: number): string {
  const claim = `‹cvat-sync ${agentId}-${batchId}›`;
  // DRF's CharField trims the ends of what it stores: so do we, or the exact match would fail.
  const base = Array.from(name.trim());
  const room = TASK_NAME_MAX - Array.from(claim).length - 1;
  return `${base.slice(0, Math.max(0, room)).join('').trimEnd()} ${claim}`.trimStart();
}

/** The agent and batch a claim name belongs to, or null for any other name. */
export function parseClaim(name: string): { agentId: string; batchId: number } | null {
  const m = CLAIM_PATTERN.exec(name);
  return m?.[1] && m[2] ? { agentId: m[1], batchId: Number(m[2]) } : null;
}

type ClaimDeps = Pick<
  RunnerDeps,
  'api' | 'batches' | 'discards' | 'claims' | 'agentId' | 'clock' | 'hooks' | 'selfId'
>;

/**
 * planned -> creating -> created: the claim is on disk before the POST, so after a crash the
 * task is looked for by that name. A task created for a batch that moved on meanwhile is
 * queued for deletion (its id is ours).
 */
export async function createClaimedTask(
  d: ClaimDeps,
  b: UploadBatch,
  signal: AbortSignal,
): Promise<void> {
  const claim = claimName(b.name, d.agentId, b.id);
  d.claims.begin(b.id, claim);
  if (
    !d.batches.transition(b.id, 'planned', 'creating', {
      createStartedAt: d.clock.now(),
      taskId: null,
    })
  )
    return;
  const task = await d.api.createTask({ ...b.task, name: claim }, signal);
  if (!d.batches.transition(b.id, 'creating', 'created', { taskId: task.id })) {
    d.discards.add(task.id, b.id, 'created for a batch that moved on', b.server);
    return;
  }
  d.hooks.activity(
    { ...b, taskId: task.id },
    'info',
    'task-created',
    `Task ${task.id} "${b.name}" created`,
  );
}

/**
 * 'creating' found at the start of a step: the POST may or may not have landed (CVAT creates
 * the task even when its answer is lost). Only this batch's exact claim name is looked for: one
 * match is adopted; none: 'planned', and the task is created again. Returns the state reached.
 */
export async function resolveLostCreation(
  d: ClaimDeps,
  b: UploadBatch,
  signal: AbortSignal,
): Promise<'created' | 'planned' | 'moved'> {
  const row = d.claims.get(b.id);
  if (row === null) {
    // Created by a version that named the task by its default name at once: a task of that
    // name may as well be another agent's, so none is taken. An orphan may be left behind.
    d.hooks.activity(
      b,
      'warn',
      'creation-unresolved',
      `"${b.name}": its task creation was interrupted before claims were recorded; no task is adopted by name alone, a new one is created`,
    );
    return d.batches.transition(b.id, 'creating', 'planned') ? 'planned' : 'moved';
  }
  const ours = await findClaimedTasks(d, b, row.claim, signal);
  const adopt = ours.reduce<CvatTask | null>(
    (best, t) => (best === null || t.id > best.id ? t : best),
    null,
  );
  if (adopt === null) {
    // The creation may still land: an ambiguous event, and the task it may cost.
    d.claims.unseen(b.id);
    d.batches.countRecovery(b.id, { ambiguous: 1 });
    d.hooks.activity(
      b,
      'warn',
      'creation-unseen',
      `"${b.name}": its task creation got no answer and no task of its claim is on the server; it is created again`,
    );
    return d.batches.transition(b.id, 'creating', 'planned') ? 'planned' : 'moved';
  }
  for (const t of ours)
    if (t.id !== adopt.id)
      d.discards.add(t.id, b.id, 'duplicate creation of a batch task', b.server);
  if (!d.batches.transition(b.id, 'creating', 'created', { taskId: adopt.id })) return 'moved';
  d.hooks.activity(
    { ...b, taskId: adopt.id },
    'info',
    'task-adopted',
    `Task ${adopt.id} "${b.name}" found by its claim name and resumed`,
  );
  return 'created';
}

/**
 * Before Upload-Start: the task gets its default name. Repeating the PATCH after a crash is
 * harmless; the journal records the task whose rename was acknowledged.
 */
export async function renameToDefault(
  d: ClaimDeps,
  b: UploadBatch,
  taskId: number,
  signal: AbortSignal,
): Promise<void> {
  const row = d.claims.get(b.id);
  // No claim: created by an earlier version under its default name already.
  if (row === null || row.namedTaskId === taskId) return;
  const calls = d.api.taskApi?.();
  if (!calls) throw new Error('This CVAT client cannot rename a task (PATCH /api/tasks/{id}).');
  await calls.updateTask(taskId, { name: b.name }, signal);
  d.claims.named(b.id, taskId);
}

/**
 * After the batch is done, if a creation's task was once not found: that creation can land
 * after we looked for it and created the task again. Such a task still carries this batch's claim; it is queued for
 * deletion. Best effort: an error leaves it for the next look.
 */
export async function sweepClaim(d: ClaimDeps, b: UploadBatch, signal: AbortSignal): Promise<void> {
  const row = d.claims.get(b.id);
  if (row === null || row.unseenCreations === 0 || b.taskId === null) return;
  let late: CvatTask[];
  try {
    late = (await findClaimedTasks(d, b, row.claim, signal)).filter((t) => t.id !== b.taskId);
  } catch {
    return;
  }
  for (const t of late) {
    d.discards.add(t.id, b.id, 'late duplicate creation of a batch task', b.server);
    d.hooks.activity(
      { ...b, taskId: t.id },
      'warn',
      'task-duplicate',
      `Task ${t.id} carries the claim of "${b.name}" (a creation whose answer was lost landed late); it is deleted`,
    );
  }
}

/** Tasks named exactly `claim` (this agent's, this batch's), not already queued for deletion. */
export async function findClaimedTasks(
  d: ClaimDeps,
  b: UploadBatch,
  claim: string,
  signal: AbortSignal,
): Promise<CvatTask[]> {
  const found = await d.api.findTasksByName(claim, signal);
  const self = await d.selfId();
  return found.filter((t) => {
    if (t.name !== claim) return false;
    if (self !== null && t.owner !== null && t.owner.id !== self) return false;
    if (d.batches.claimedBy(t.id, b.server).some((id) => id !== b.id)) return false;
    return !d.discards.has(t.id, b.server);
  });
}

/** The activity entry of a deleted task: every deletion is on the record, with its reason. */
export function deletedEntry(row: DiscardRow): { kind: string; message: string } {
  return { kind: 'task-deleted', message: `Task ${row.taskId} deleted (${row.reason})` };
}
