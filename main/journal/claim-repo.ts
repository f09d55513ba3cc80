// This journal's agent identity and the claim name each batch's task was created under
// (migration 0008). Several agents of one account can sync into one CVAT: a task is provably
// this agent's only by a task id this journal recorded, or by a name carrying this agent's id.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { openJournal } from './database.js';
import type { Db } from './database.js';
import { SettingsRepo } from './settings-repo.js';

const AGENT_KEY = 'agent:id';

/** This journal's agent id, or null when it was never needed yet (a journal never written). */
export function readAgentId(settings: SettingsRepo): string | null {
  const id = settings.get<string>(AGENT_KEY);
  return typeof id === 'string' && id !== '' ? id : null;
}

/** The agent id of the journal at `path`, read-only; null when there is none (yet). */
export function readAgentIdAt(path: string): string | null {
  if (!existsSync(path)) return null;
  let db: Db | null = null;
  try {
    db = openJournal(path, { readonly: true });
    return readAgentId(new SettingsRepo(db));
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/** This journal's agent id: eight random hex digits, created once and kept in its settings. */
export function agentIdOf(db: Db, settings: SettingsRepo): string {
  const known = readAgentId(settings);
  if (known !== null) return known;
  db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(
    AGENT_KEY,
    JSON.stringify(randomBytes(4).toString('hex')),
  );
  return readAgentId(settings) as string;
}

export interface TaskClaimRow {
  batchId: number;
  claim: string;
  /** The task whose rename to the default name was acknowledged, or null. */
  namedTaskId: number | null;
  namedAt: number | null;
  /** Creations whose answer was lost and whose task was not found (one may land late). */
  unseenCreations: number;
}

interface RawClaim {
  batch_id: number;
  claim: string;
  named_task_id: number | null;
  named_at: number | null;
  unseen_creations: number;
}

export class TaskClaimRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  get(batchId: number): TaskClaimRow | null {
    const r = this.db.prepare('SELECT * FROM task_claims WHERE batch_id = ?').get(batchId) as
      RawClaim | undefined;
    return r === undefined
      ? null
      : {
          batchId: r.batch_id,
          claim: r.claim,
          namedTaskId: r.named_task_id,
          namedAt: r.named_at,
          unseenCreations: r.unseen_creations,
        };
  }

  /** The claim name the next creation of the batch's task uses (kept across fresh starts). */
  begin(batchId: number, claim: string): void {
    this.db
      .prepare(
        'INSERT INTO task_claims (batch_id, claim) VALUES (?, ?) ON CONFLICT (batch_id) DO UPDATE SET claim = excluded.claim',
      )
      .run(batchId, claim);
  }

  /** The rename of `taskId` to its default name was acknowledged. */
  named(batchId: number, taskId: number): void {
    this.db
      .prepare('UPDATE task_claims SET named_task_id = ?, named_at = ? WHERE batch_id = ?')
      .run(taskId, this.clock.now(), batchId);
  }

  /** A creation's answer was lost and no task of the claim was found. */
  unseen(batchId: number): void {
    this.db
      .prepare('UPDATE task_claims SET unseen_creations = unseen_creations + 1 WHERE batch_id = ?')
      .run(batchId);
  }
}
