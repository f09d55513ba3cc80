// Opens the journal: one SQLite file, WAL, foreign keys, numbered migrations applied in one
// transaction each. A journal we cannot read, or one written by a newer version of the app,
// is a fatal error with a clear message: never a silent reset (that is how sync clients lose
// track of what they uploaded and send everything again).
import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyncError } from '../core/errors.js';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const FILE_PATTERN = /^(\d{4})-([a-z0-9-]+)\.sql$/;

/** Migration files named NNNN-verb-noun.sql, in order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const found: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE_PATTERN.exec(file);
    if (!m) continue;
    found.push({
      version: Number(m[1]),
      name: m[2] ?? file,
      sql: readFileSync(join(dir, file), 'utf8'),
    });
  }
  found.forEach((mig, i) => {
    if (mig.version !== i + 1)
      throw new Error(`Migration numbering has a gap or duplicate at ${mig.version}-${mig.name}`);
  });
  return found;
}

export interface OpenOptions {
  /** For tests: the migrations to apply instead of the bundled ones. */
  migrations?: Migration[];
  readonly?: boolean;
}

export function openJournal(path: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    if (!options.readonly) makeOwnerOnly(path);
    db = new Database(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Bound the WAL file; checkpoints run automatically every 1000 pages.
      db.pragma('journal_size_limit = 67108864');
    }
    db.pragma('foreign_keys = ON');
    // Reading the schema proves the file is a database at all.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (e) {
    throw new SyncError(`The journal at ${path} cannot be opened: ${(e as Error).message}`, {
      code: 'journal-broken',
      kind: 'fatal',
      operation: 'open journal',
      hint: 'Move the file aside to start a fresh journal (already uploaded files are then found again by their content hash), or restore it from a backup.',
      cause: e,
    });
  }
  if (!options.readonly) migrate(db, path, options.migrations ?? loadMigrations());
  else checkVersion(db, path, (options.migrations ?? loadMigrations()).length);
  return db;
}

/**
 * The journal holds every path and task of the user: owner-only whatever the umask. SQLite makes a
 * new file 0644 & ~umask and gives -wal and -shm the mode of the journal itself, so the journal is
 * created (or tightened) 0600 before SQLite opens it; leftovers of an older run are tightened too.
 */
function makeOwnerOnly(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  closeSync(openSync(path, 'a', 0o600));
  for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      chmodSync(p, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

function migrate(db: Db, path: string, migrations: Migration[]): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       applied_at INTEGER NOT NULL
     ) STRICT`,
  );
  const current = checkVersion(db, path, migrations.length);
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  for (const mig of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(mig.sql);
      // Migrations run at open time only; wall time is fine here.
      record.run(mig.version, mig.name, Date.now());
    })();
  }
}

function checkVersion(db: Db, path: string, known: number): number {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!hasTable) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as {
    v: number | null;
  };
  const current = row.v ?? 0;
  if (current > known) {
    throw new SyncError(
      `The journal at ${path} was written by a newer version of CVAT Sync (schema ${current}, this version knows ${known}).`,
      {
        code: 'journal-newer',
        kind: 'fatal',
        operation: 'open journal',
        hint: 'Update CVAT Sync, or point it at another data folder.',
      },
    );
  }
  return current;
}

/** Runs `fn` in one IMMEDIATE transaction (writers queue instead of failing mid-way). */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/** Prepares each SQL text once per connection: preparing per call costs time and native memory. */
export function statementCache(db: Db): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}
