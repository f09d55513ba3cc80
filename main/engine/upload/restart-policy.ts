// Discarding a batch's task and starting over costs a task creation on the server. Every path
// that does it goes through one bound and one growing delay, both kept in the journal with the
// batch, so neither a loop in one run nor a loop across app restarts can hammer a server.
export interface RestartPolicy {
  /** Fresh starts allowed before the batch fails (the first creation is not a restart). */
  maxRestarts: number;
  /** Delay before the first fresh start; it doubles with each one ... */
  baseDelayMs: number;
  /** ... up to this. */
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 5,
  baseDelayMs: 2_000,
  maxDelayMs: 10 * 60_000,
};

/** How long to wait before the `restart`-th fresh start (1 = the first). */
export function restartDelay(restart: number, policy: RestartPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, restart - 1));
}

/** The error a batch ends with once the bound is reached: what kept happening, and what to do. */
export function gaveUpMessage(name: string, restarts: number, reason: string): string {
  return (
    `${name}: gave up after ${restarts} fresh starts, each of which created a new task in CVAT ` +
    `and deleted the last one; last reason: ${reason}`
  );
}
