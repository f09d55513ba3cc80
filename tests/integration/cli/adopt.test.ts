// Rebuild after the data folder is lost: the same folder, set up again with --adopt-existing,
// recognises its tasks on the server and uploads nothing (the test server's byte counter and
// request log prove it); a task that matches only partly is shown, never guessed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let labels: string;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-adopt-'));
  labels = join(work, 'labels.json');
  writeFileSync(labels, JSON.stringify([{ name: 'car' }, { name: 'person' }]));
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

function photos(name: string, layout: Record<string, number>): string {
  const root = join(work, name);
  let n = 0;
  for (const [sub, count] of Object.entries(layout)) {
    mkdirSync(join(root, sub), { recursive: true });
    for (let i = 0; i < count; i++)
      writeFileSync(join(root, sub, `img-${i}.png`), makePng(30 + i, 20, n++));
  }
  return root;
}

interface Summary {
  uploadedFiles: number;
  adoptedFiles: number;
  failedFiles: number;
  tasks: Array<{ taskId: number | null; name: string; state: string; error: string | null }>;
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
  const summary = jsonLines(r.stdout).find((l) => l.type === 'summary') as unknown as Summary;
  return { ...r, summary };
}

describe('--adopt-existing after the data folder was lost', () => {
  it('records the tasks already in CVAT as done and uploads nothing', async () => {
    const dir = photos('lost', { day1: 3, day2: 2 });
    const home = join(work, 'home-lost');
    const first = await syncOnce(dir, home);
    expect(first.code).toBe(0);
    expect(first.summary.uploadedFiles).toBe(5);
    const tasksBefore = server.admin.tasks().map((t) => t.id);

    rmSync(home, { recursive: true, force: true }); // the data folder is lost
    const stats = server.faults.stats();
    const bytesBefore = stats.bytesIn;
    const logFrom = stats.log.length;
    const again = await syncOnce(dir, home, ['--adopt-existing']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.summary.uploadedFiles).toBe(0);
    expect(again.summary.adoptedFiles).toBe(5);
    expect(again.summary.tasks.map((t) => t.state)).toEqual(['done', 'done']);
    expect(again.summary.tasks.map((t) => t.taskId).sort()).toEqual(
      first.summary.tasks.map((t) => t.taskId).sort(),
    );
    // Nothing was created or sent: no new task, no upload request, no request body bytes.
    expect(server.admin.tasks().map((t) => t.id)).toEqual(tasksBefore);
    const after = server.faults.stats();
    const sent = after.log.slice(logFrom).filter((l) => l.method !== 'GET' && l.method !== 'HEAD');
    expect(sent).toEqual([]);
    expect(after.bytesIn - bytesBefore).toBe(0);

    // The journal now knows the files: verify proves the folder is in CVAT.
    const verify = await runCli(['verify', dir, '--json'], {
      env: {
        CVAT_SYNC_HOME: home,
        CVAT_SERVER: server.url,
        CVAT_ACCESS_TOKEN: server.users.alice.token,
      },
    });
    expect(verify.code).toBe(0);
  });

  it('shows a partial match with what matched and what did not, and uploads nothing for it', async () => {
    const dir = photos('partial', { cams: 3 });
    const home = join(work, 'home-partial');
    expect((await syncOnce(dir, home)).code).toBe(0);
    rmSync(home, { recursive: true, force: true });
    writeFileSync(join(dir, 'cams', 'img-9.png'), makePng(50, 20, 77)); // added since
    const tasksBefore = server.admin.tasks().length;
    const again = await syncOnce(dir, home, ['--adopt-existing']);
    expect(again.code).toBe(1);
    expect(again.summary.uploadedFiles).toBe(0);
    expect(again.summary.adoptedFiles).toBe(0);
    const t = again.summary.tasks[0];
    expect(t?.state).toBe('failed');
    expect(t?.error).toContain('does not match the plan');
    expect(t?.error).toContain('3 frames for 4 planned files');
    expect(t?.error).toContain('3 match');
    expect(t?.error).toContain('not in the task: img-9.png');
    expect(server.admin.tasks().length).toBe(tasksBefore);
  });

  it('without --adopt-existing the same folder is uploaded again (the default is unchanged)', async () => {
    const dir = photos('plain', { only: 2 });
    const home = join(work, 'home-plain');
    expect((await syncOnce(dir, home)).code).toBe(0);
    rmSync(home, { recursive: true, force: true });
    const again = await syncOnce(dir, home);
    expect(again.code).toBe(0);
    expect(again.summary.uploadedFiles).toBe(2);
  });
});
