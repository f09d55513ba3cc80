// Real temp folders, a real journal file and a FakeClock: the settle logic runs on fake time,
// everything else (walks, stats, hashes, SQLite) is real.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FolderRule } from '../../../preload/contract.js';
import { FakeClock } from '../../../main/core/clock.js';
import type { EngineJournal } from '../../../main/engine/engine-journal.js';
import type { FolderSyncOptions } from '../../../main/engine/folders/folder-sync.js';
import { FolderSync } from '../../../main/engine/folders/folder-sync.js';
import type { Db } from '../../../main/journal/database.js';
import type { FileRepo } from '../../../main/journal/file-repo.js';
import type { FolderRepo } from '../../../main/journal/folder-repo.js';
import { Journal } from '../../../main/journal/journal.js';

export const SERVER = 'http://127.0.0.1:9';

export function rule(over: Partial<FolderRule> = {}): FolderRule {
  return {
    path: '/data/cams',
    target: { kind: 'labels', labels: [{ name: 'car' }] },
    org: null,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 10,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: { imageQuality: 70 },
    autoExport: null,
    ...over,
  };
}

export interface Harness {
  dir: string;
  root: string;
  db: Db;
  journal: EngineJournal;
  clock: FakeClock;
  folderId: number;
  sync: FolderSync;
  batches: EngineJournal['batches'];
  files: FileRepo;
  folders: FolderRepo;
  write(rel: string, content: string | Buffer, mtimeSec?: number): void;
  /** Names and files of every batch planned so far, in order. */
  planned(): Array<{ name: string; key: string; files: string[] }>;
  state(rel: string): string | undefined;
  /** FolderSync.syncOnce with fake time moved on while it waits for files to settle. */
  syncOnce(folderId?: number): ReturnType<FolderSync['syncOnce']>;
  /** Advances fake time and runs one pass. */
  tick(ms: number): Promise<void>;
  /** Reopens the journal and a new FolderSync, as after an app restart. */
  restart(options?: Partial<FolderSyncOptions>): void;
  close(): Promise<void>;
}

export function makeHarness(
  over: Partial<FolderRule> = {},
  options: Partial<FolderSyncOptions> = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-watch-'));
  const root = join(dir, 'media');
  mkdirSync(root);
  const clock = new FakeClock();
  const journalPath = join(dir, 'journal.sqlite');
  let opened: EngineJournal = Journal.open(journalPath, clock);
  const folderId = opened.folders.insert(rule({ path: root, ...over }), { server: SERVER }).id;
  const build = (o: Partial<FolderSyncOptions>): FolderSync =>
    new FolderSync({ journal: opened, clock, watcherFactory: null, ...options, ...o });
  const h: Harness = {
    dir,
    root,
    db: opened.db,
    journal: opened,
    clock,
    folderId,
    sync: build({}),
    batches: opened.batches,
    files: opened.files,
    folders: opened.folders,
    write(rel, content, mtimeSec) {
      const abs = join(root, rel);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, content);
      if (mtimeSec !== undefined) utimesSync(abs, mtimeSec, mtimeSec);
    },
    planned() {
      return h.batches
        .list({ folderId })
        .sort((a, b) => a.id - b.id)
        .map((b) => ({
          name: b.name,
          key: b.key,
          files: h.batches.files(b.id).map((f) => f.relPath),
        }));
    },
    state(rel) {
      return h.files.byPath(folderId, rel)?.state;
    },
    async syncOnce(id = folderId) {
      let done = false;
      const run = h.sync.syncOnce(id).finally(() => {
        done = true;
      });
      run.catch(() => undefined);
      while (!done) {
        await new Promise((r) => setImmediate(r));
        if (!done && clock.pendingSleeps() > 0) await clock.advance(1000);
      }
      return run;
    },
    async tick(ms) {
      await clock.advance(ms);
      await h.sync.step(folderId);
    },
    restart(o = {}) {
      opened.close();
      opened = Journal.open(journalPath, clock);
      Object.assign(h, {
        db: opened.db,
        journal: opened,
        folders: opened.folders,
        batches: opened.batches,
        files: opened.files,
      });
      h.sync = build(o);
    },
    async close() {
      await h.sync.stop();
      opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
