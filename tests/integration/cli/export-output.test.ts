// `cvat-sync export|backup -o FILE`: the "done" line and the printed path name the file that was
// written, and an existing file at FILE is kept (the download goes to "FILE (2)").
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { attachImages, createTask } from '../../cvat-server/test-helpers.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let env: Record<string, string>;
let task: number;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-export-o-'));
  env = {
    CVAT_SYNC_HOME: join(work, 'home'),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
  };
  task = await createTask(server);
  await attachImages(server, task);
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

const doneLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('done: '));

describe('cvat-sync export -o FILE', () => {
  it('names FILE in the done line and on stdout, and nothing else is left in the folder', async () => {
    const out = mkdtempSync(join(work, 'out-'));
    const file = join(out, 'coco.zip');
    const run = await runCli(['export', String(task), '--format', 'COCO 1.0', '-o', file], {
      env,
    });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(file);
    expect(doneLines(run.stderr)).toEqual([expect.stringMatching(/ -> (.*)$/)]);
    expect(doneLines(run.stderr)[0]?.endsWith(` -> ${file}`)).toBe(true);
    expect(readdirSync(out)).toEqual(['coco.zip']);
    expect(readFileSync(file).subarray(0, 2).toString()).toBe('PK');
  });

  it('keeps an existing FILE and writes "FILE (2)", named the same in the done line and the result', async () => {
    const out = mkdtempSync(join(work, 'out-'));
    const file = join(out, 'coco.zip');
    writeFileSync(file, 'keep me');
    const run = await runCli(
      ['export', String(task), '--format', 'COCO 1.0', '-o', file, '--json'],
      { env },
    );
    expect(run.code).toBe(0);
    const written = join(out, 'coco (2).zip');
    const records = jsonLines(run.stdout) as Array<{
      type: string;
      path?: string;
      transfer: { state: string; destination: string | null };
    }>;
    expect(records.find((r) => r.type === 'result')?.path).toBe(written);
    const done = records.filter((r) => r.type === 'transfer' && r.transfer.state === 'done');
    expect(done.map((r) => r.transfer.destination)).toEqual([written]);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readFileSync(written).subarray(0, 2).toString()).toBe('PK');
    expect(readdirSync(out).sort()).toEqual(['coco (2).zip', 'coco.zip']);
  });

  it('backup -o FILE: the done line names FILE', async () => {
    const out = mkdtempSync(join(work, 'out-'));
    const file = join(out, 'task.zip');
    const run = await runCli(['backup', String(task), '-o', file], { env });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(file);
    expect(doneLines(run.stderr)[0]?.endsWith(` -> ${file}`)).toBe(true);
    expect(readdirSync(out)).toEqual(['task.zip']);
  });
});
