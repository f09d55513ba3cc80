// --adopt-existing (a rebuild after the data folder was lost) with two agents of one account:
// the rebuilt agent's task and the other agent's task have the same default name and the same
// frame names. Recognising tasks by name and frames cannot tell them apart, so nothing is
// adopted or created, both tasks stay, and the batch says why.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { jsonLines, runCli } from '../cli/run-cli.js';

let server: CvatTestServer;
let work: string;
let labels: string;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'agents-adopt-'));
  labels = join(work, 'labels.json');
  writeFileSync(labels, JSON.stringify([{ name: 'car' }]));
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

function folder(machine: string, seed: number, sub = 'day1'): string {
  const root = join(work, machine, 'photos');
  mkdirSync(join(root, sub), { recursive: true });
  for (let i = 0; i < 3; i++)
    writeFileSync(join(root, sub, `img-${i}.png`), makePng(20 + i, 12, seed + i));
  return root;
}

async function syncOnce(dir: string, home: string, extra: string[] = []) {
  const r = await runCli(
    ['sync', dir, '--once', '--labels', labels, '--settle', '0.2', '--json', ...extra],
    {
      env: {
        CVAT_SYNC_HOME: home,
        CVAT_SERVER: server.url,
        CVAT_ACCESS_TOKEN: server.users.alice.token,
      },
    },
  );
  const summary = jsonLines(r.stdout).find((l) => l.type === 'summary') as
    { tasks: Array<{ state: string; error: string | null }>; uploadedFiles: number } | undefined;
  return { ...r, summary };
}

it('a rebuild finds its own task and another agent’s with the same names: refused, nothing touched', async () => {
  const mine = folder('machine-1', 10);
  const theirs = folder('machine-2', 50);
  expect((await syncOnce(mine, join(work, 'home-1'))).code).toBe(0);
  expect((await syncOnce(theirs, join(work, 'home-2'))).code).toBe(0);
  const before = server.admin.tasks().map((t) => [t.id, t.name]);
  expect(before.map(([, name]) => name)).toEqual(['photos/day1', 'photos/day1']);

  rmSync(join(work, 'home-1'), { recursive: true, force: true }); // machine 1 lost its data folder
  const again = await syncOnce(mine, join(work, 'home-1'), ['--adopt-existing']);
  expect(again.code).toBe(1);
  expect(again.summary?.uploadedFiles).toBe(0);
  expect(again.summary?.tasks.map((t) => t.state)).toEqual(['failed']);
  expect(again.summary?.tasks[0]?.error).toMatch(/all named “photos\/day1” and match the plan/);
  // Nothing created, renamed or deleted.
  expect(server.admin.tasks().map((t) => [t.id, t.name])).toEqual(before);
  expect(server.admin.ledger().tasks.filter((t) => t.deletedAt !== null)).toEqual([]);
});

it('a task one folder adopted is not adopted again by another folder of the same name', async () => {
  const tasksBefore = new Set(server.admin.tasks().map((t) => t.id));
  // A subfolder name of its own: the first test's tasks are on this server too.
  const first = folder('lab-a', 100, 'day9');
  const second = folder('lab-b', 200, 'day9'); // also "photos/day9", same file names, other contents
  expect((await syncOnce(first, join(work, 'home-old'))).code).toBe(0);
  const [task] = server.admin.tasks().filter((t) => !tasksBefore.has(t.id));
  expect(task?.name).toBe('photos/day9');

  const home = join(work, 'home-new'); // rebuilt: adopts the first folder's task
  const adopted = await syncOnce(first, home, ['--adopt-existing']);
  expect(adopted.code, adopted.stdout).toBe(0);
  expect(adopted.summary?.uploadedFiles).toBe(0);
  // The second folder's batch has the same name and frame names, but that task is taken.
  const other = await syncOnce(second, home, ['--adopt-existing']);
  expect(other.code, other.stdout).toBe(0);
  expect(other.summary?.uploadedFiles).toBe(3);
  const mine = server.admin.tasks().filter((t) => !tasksBefore.has(t.id));
  expect(mine.map((t) => t.name)).toEqual(['photos/day9', 'photos/day9']);
  expect(
    server.admin
      .taskFiles(task?.id ?? -1)
      .map((f) => f.name)
      .sort(),
  ).toEqual(['img-0.png', 'img-1.png', 'img-2.png']);
});
