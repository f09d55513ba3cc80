import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivityRepo } from '../../../main/journal/activity-repo.js';
import { loadMigrations, openJournal } from '../../../main/journal/database.js';
import { SettingsRepo } from '../../../main/journal/settings-repo.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  dirs.push(dir);
  return join(dir, 'journal.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('openJournal', () => {
  it('applies every bundled migration once, in WAL mode with foreign keys', () => {
    const path = tempDb();
    const db = openJournal(path);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {
      version: number;
    }[];
    expect(versions.map((v) => v.version)).toEqual(loadMigrations().map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
    const again = openJournal(path);
    expect(
      (again.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n,
    ).toBe(versions.length);
    again.close();
  });

  it('refuses a journal written by a newer version, and keeps it intact', () => {
    const path = tempDb();
    const db = openJournal(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run(
      'from-the-future',
    );
    db.close();
    expect(() => openJournal(path)).toThrow(/newer version of CVAT Sync/);
    expect(() => openJournal(path, { readonly: true })).toThrow(/newer version/);
    const raw = new Database(path, { readonly: true });
    expect(
      (raw.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v,
    ).toBe(999);
    raw.close();
  });

  it('reports a file that is not a database as a fatal error with a hint, never resetting it', () => {
    const path = tempDb();
    writeFileSync(path, 'this is not sqlite'.repeat(100));
    try {
      openJournal(path);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'journal-broken', kind: 'fatal' });
      expect((e as { hint: string }).hint).toMatch(/Move the file aside/);
    }
  });

  it('rolls back a failing migration as a whole', () => {
    const path = tempDb();
    const bad = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      {
        version: 2,
        name: 'broken',
        sql: 'CREATE TABLE b (y INTEGER) STRICT; INSERT INTO nowhere VALUES (1);',
      },
    ];
    expect(() => openJournal(path, { migrations: bad })).toThrow();
    const db = openJournal(path, { migrations: bad.slice(0, 1) });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });
});

describe('settings and activity', () => {
  it('round-trips settings and filters the activity log', () => {
    const db = openJournal(tempDb());
    const settings = new SettingsRepo(db);
    settings.set('concurrency', 3);
    expect(settings.get<number>('concurrency')).toBe(3);
    const activity = new ActivityRepo(db);
    activity.add({ at: 1, level: 'info', kind: 'upload', message: 'Task created 100% done' });
    activity.add({
      at: 2,
      level: 'error',
      kind: 'upload',
      message: 'Upload failed',
      hint: 'retry',
      folderId: 4,
    });
    activity.add({ at: 3, level: 'warn', kind: 'watch', message: 'Watch limit reached' });
    expect(activity.list({ levels: ['error', 'warn'] }).map((a) => a.at)).toEqual([3, 2]);
    expect(activity.list({ search: '100%' }).map((a) => a.at)).toEqual([1]);
    expect(activity.list({ folderId: 4 })[0]?.hint).toBe('retry');
    expect(activity.prune(1)).toBe(2);
    db.close();
  });
});
