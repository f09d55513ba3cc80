// The persisted state machine of one task batch (docs/ARCHITECTURE.md § 2.1 A file becomes a task,
// step 8).
export type BatchState =
  | 'planned'
  | 'creating'
  | 'created'
  | 'started'
  | 'sending'
  | 'finishing'
  | 'processing'
  | 'done'
  | 'failed'
  | 'cancelled';

const NEXT: Record<BatchState, readonly BatchState[]> = {
  // 'planned' -> 'done' when an existing task on the server matches the plan (adopter.ts).
  planned: ['creating', 'cancelled', 'failed', 'done'],
  // 'creating' -> 'planned' when a crash left us unsure whether the POST landed and no task was found.
  creating: ['created', 'planned', 'failed', 'cancelled'],
  created: ['started', 'planned', 'failed', 'cancelled'],
  started: ['sending', 'planned', 'failed', 'cancelled'],
  sending: ['finishing', 'planned', 'failed', 'cancelled'],
  finishing: ['processing', 'planned', 'failed', 'cancelled'],
  processing: ['done', 'planned', 'failed'],
  done: [],
  // A failed batch may be retried by the user: it starts over from 'planned'.
  failed: ['planned', 'cancelled'],
  cancelled: ['planned'],
};

export function canTransition(from: BatchState, to: BatchState): boolean {
  return NEXT[from].includes(to);
}

export function isTerminal(state: BatchState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}

/** States in which the server may hold a task created by us for this batch. */
export function mayHaveRemoteTask(state: BatchState): boolean {
  return state !== 'planned' && state !== 'cancelled' && state !== 'done';
}

export const BATCH_STATES: readonly BatchState[] = Object.keys(NEXT) as BatchState[];
