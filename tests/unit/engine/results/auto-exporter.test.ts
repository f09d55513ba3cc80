import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AutoExportRule } from '../../../../preload/contract.js';
import { FakeClock } from '../../../../main/core/clock.js';
import type { FolderAutoExport } from '../../../../main/engine/results/auto-exporter.js';
import { ResultsEngine } from '../../../../main/engine/results/results-engine.js';
import { FakeCvat } from '../fake-cvat.js';
import type { TempJournal } from './helpers.js';
import { tempJournal } from './helpers.js';
import { Journal } from '../../../../main/journal/journal.js';

let j: TempJournal;
let api: FakeCvat;
let clock: FakeClock;
let engine: ResultsEngine;
let folders: FolderAutoExport[];
let dest: string;

function rule(over: Partial<AutoExportRule> = {}): AutoExportRule {
  return {
    formats: ['COCO 1.0'],
    withImages: false,
    backup: true,
    destination: dest,
    trigger: 'completed',
    ...over,
  };
}

beforeEach(async () => {
  j = await tempJournal('auto-');
  dest = join(j.dir, 'results');
  api = new FakeCvat();
  clock = new FakeClock();
  folders = [];
  // Not started: these tests look at what gets queued, not at the downloads.
  engine = new ResultsEngine({
    journal: new Journal(j.db, clock),
    api: api.asApi(),
    clock,
    random: () => 0.25,
    downloadsDir: j.dir,
    folderAutoExports: () => folders,
  });
});

afterEach(async () => {
  await engine.stop();
  await j.cleanup();
});

describe('AutoExporter', () => {
  it('fires once when a folder task becomes completed, and again only when it changed', async () => {
    api.addTask(1, { updated_date: '2026-03-01T00:00:00Z' });
    api.addTask(2, { updated_date: '2026-03-01T00:00:00Z' });
    api.addTask(3, { status: 'completed' }); // not one of the folder's tasks
    folders = [{ folderId: 7, rule: rule(), taskIds: [1, 2] }];

    expect(await engine.autoExport.checkNow()).toEqual([]);

    Object.assign(api.task(1), { status: 'completed', updated_date: '2026-03-02T00:00:00Z' });
    const first = await engine.autoExport.checkNow();
    expect(
      first.map((t) => [t.targetId, t.subject, t.format, t.origin, t.folderId, t.localPath]),
    ).toEqual([
      [1, 'dataset', 'COCO 1.0', 'folder:7', 7, dest],
      [1, 'backup', null, 'folder:7', 7, dest],
    ]);
    expect(await engine.autoExport.checkNow()).toEqual([]);
    expect(await engine.autoExport.checkNow()).toEqual([]);

    // Reopened, changed and completed again: a new result is worth fetching.
    Object.assign(api.task(1), { updated_date: '2026-03-05T00:00:00Z' });
    const again = await engine.autoExport.checkNow();
    expect(again).toHaveLength(2);
    expect(engine.list({ origin: 'folder:7' })).toHaveLength(4);
    expect(engine.view(again[0]!)).toMatchObject({ kind: 'download', folderId: 7, taskId: 1 });
  });

  it('skips tasks without media and concurrent checks share one pass', async () => {
    api.addTask(1, { status: 'completed', size: 0 });
    api.addTask(2, { status: 'completed' });
    folders = [
      {
        folderId: 1,
        rule: rule({ backup: false, formats: ['YOLO 1.1', 'COCO 1.0'], withImages: true }),
        taskIds: [1, 2],
      },
    ];
    const [a, b] = await Promise.all([engine.autoExport.checkNow(), engine.autoExport.checkNow()]);
    expect(a).toBe(b);
    expect(a.map((t) => [t.targetId, t.format, t.withImages])).toEqual([
      [2, 'YOLO 1.1', true],
      [2, 'COCO 1.0', true],
    ]);
  });

  it('follows a project rule kept in the journal', async () => {
    api.addTask(10, { project_id: 4, status: 'completed' });
    api.addTask(11, { project_id: 5, status: 'completed' });
    engine.autoExport.setProjectRule(4, rule({ formats: [] }));
    expect(engine.autoExport.projectRules()).toEqual([
      { projectId: 4, rule: rule({ formats: [] }) },
    ]);
    const queued = await engine.autoExport.checkNow();
    expect(queued.map((t) => [t.targetId, t.subject, t.origin])).toEqual([
      [10, 'backup', 'project:4'],
    ]);
    engine.autoExport.setProjectRule(4, null);
    expect(engine.autoExport.projectRules()).toEqual([]);
    expect(() => engine.autoExport.setProjectRule(4, rule({ formats: [], backup: false }))).toThrow(
      /needs a format or the backup/,
    );
    expect(() => engine.autoExport.setProjectRule(4, rule({ destination: 'rel' }))).toThrow(
      /absolute/,
    );
  });

  it('on a schedule, exports changed tasks of any status once per interval', async () => {
    api.addTask(1, { updated_date: 'a' });
    folders = [
      {
        folderId: 2,
        rule: rule({ trigger: 'schedule', intervalMinutes: 30, backup: false }),
        taskIds: [1],
      },
    ];
    expect(await engine.autoExport.checkNow()).toHaveLength(1);
    Object.assign(api.task(1), { updated_date: 'b' });
    await clock.advance(29 * 60_000);
    expect(await engine.autoExport.checkNow()).toEqual([]);
    await clock.advance(60_000);
    expect(await engine.autoExport.checkNow()).toHaveLength(1);
    await clock.advance(30 * 60_000);
    expect(await engine.autoExport.checkNow()).toEqual([]); // unchanged
  });

  it('checks periodically once started', async () => {
    api.addTask(1, { status: 'completed' });
    folders = [{ folderId: 3, rule: rule({ backup: false }), taskIds: [1] }];
    const fresh = new ResultsEngine({
      journal: new Journal(j.db, clock),
      api: null,
      clock,
      random: () => 0.75,
      downloadsDir: j.dir,
      folderAutoExports: () => folders,
      autoExportIntervalMs: 60_000,
    });
    fresh.autoExport.start();
    await clock.advance(60_000);
    expect(fresh.list()).toEqual([]); // signed out: nothing to ask
    await fresh.setApi(api.asApi());
    await clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 10));
    expect(fresh.list().map((t) => t.origin)).toEqual(['folder:3']);
    await fresh.stop();
  });
});
