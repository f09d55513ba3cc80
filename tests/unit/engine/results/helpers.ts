import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeClock } from '../../../../main/core/clock.js';
import type { Db } from '../../../../main/journal/database.js';
import { openJournal } from '../../../../main/journal/database.js';
import type { TransferRow } from '../../../../main/journal/download-repo.js';
import type { ResultsEngine } from '../../../../main/engine/results/results-engine.js';

export interface TempJournal {
  dir: string;
  db: Db;
  cleanup(): Promise<void>;
}

export async function tempJournal(prefix = 'results-'): Promise<TempJournal> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const db = openJournal(join(dir, 'journal.db'));
  return {
    dir,
    db,
    async cleanup() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const SETTLED = ['done', 'failed', 'cancelled', 'paused'];

/** Lets real I/O run and fake time pass until the transfer settles. */
export async function settle(
  engine: ResultsEngine,
  id: string,
  clock: FakeClock,
  stepMs = 5_000,
): Promise<TransferRow> {
  for (let i = 0; i < 400; i++) {
    const row = engine.get(id);
    if (row && SETTLED.includes(row.state)) return row;
    await new Promise((r) => setTimeout(r, 5));
    if (i % 4 === 3) await clock.advance(stepMs);
  }
  throw new Error(`transfer ${id} did not settle: ${JSON.stringify(engine.get(id))}`);
}

/** Waits (real time) until `check` holds. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
