// The engines' in-memory CVAT answers with CVAT's shapes: every key of a task or user it returns
// is one CVAT's recorded answers (fixtures of a real 2.73.0 server) hold, with the same JSON type,
// nested objects included. It answers fewer keys than CVAT (only those the client reads), never
// other ones, so a test cannot pass on a field CVAT does not send.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Json, JsonObject } from '../../ground-truth/fixtures.js';
import { fixtureObjects } from '../../ground-truth/fixtures.js';
import { shapeDiff } from '../../ground-truth/shape.js';
import { FakeCvat } from './fake-cvat.js';

/** Nullable in CVAT's TaskRead (schema.yml); the fake's tasks may hold either. */
const TASK_NULLABLE = ['project_id', 'owner', 'assignee', 'overlap', 'data'];

/** `expected` cut down to the keys `actual` has, recursively (arrays: by their first item). */
function restrictTo(expected: Json, actual: Json): Json {
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length > 0 && actual.length > 0)
    return [restrictTo(expected[0] as Json, actual[0] as Json)];
  if (!isObject(expected) || !isObject(actual)) return expected;
  const out: JsonObject = {};
  for (const k of Object.keys(actual))
    if (k in expected) out[k] = restrictTo(expected[k] as Json, actual[k] as Json);
  return out;
}

function isObject(v: Json): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Differences from the first fixture object of `file` that has a value at every key `actual` has. */
function subsetDiff(actual: unknown, file: string, nullable: string[] = []): string[] {
  const json = JSON.parse(JSON.stringify(actual)) as Json;
  const fixtures = fixtureObjects(file).map((o) => o.value);
  expect(fixtures.length).toBeGreaterThan(0);
  const best = fixtures
    .map((f) => shapeDiff(json, restrictTo(f, json), { nullable }))
    .sort((a, b) => a.length - b.length)[0];
  return best as string[];
}

const dir = mkdtempSync(join(tmpdir(), 'fake-cvat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FakeCvat holds CVAT’s shapes', () => {
  it('tasks it creates, seeds, adds and finishes', async () => {
    const cvat = new FakeCvat();
    const created = await cvat.createTask({ name: 'cams', labels: [] });
    const seeded = cvat.seedTask('orphan', 99);
    const added = cvat.addTask(40, { project_id: 3 });
    await cvat.uploadStart(created.id);
    const path = join(dir, 'a.jpg');
    writeFileSync(path, 'x');
    await cvat.uploadMultiple(created.id, [{ path, name: 'a.jpg', size: 1 }]);
    const rq = await cvat.uploadFinish(created.id, { image_quality: 70 });
    await cvat.waitForRequest(rq as string);
    const finished = await cvat.getTask(created.id);
    expect(finished.size).toBe(1);
    for (const task of [created, seeded, added, finished, ...(await cvat.listTasks()).results])
      expect(subsetDiff(task, 'tasks.json', TASK_NULLABLE)).toEqual([]);
  });

  it('the signed-in user', async () => {
    expect(subsetDiff(await new FakeCvat().self(), 'users.json')).toEqual([]);
  });

  it('notices a key CVAT does not send', () => {
    const task = { ...new FakeCvat().addTask(1), frames: 3 };
    expect(subsetDiff(task, 'tasks.json', TASK_NULLABLE)).toEqual(["frames: not in CVAT's answer"]);
    const typed = { ...new FakeCvat().addTask(1), size: '3' };
    expect(subsetDiff(typed, 'tasks.json', TASK_NULLABLE)).toEqual([
      'size: string where CVAT has number',
    ]);
  });
});
