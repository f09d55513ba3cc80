// Several agents, one CVAT (README.md): three real `cvat-sync sync --once` processes, each with
// its own data folder, all signed in as the same user, sync three folders with identical
// subfolder and file names (different contents) into one project at the same time. Each process
// is SIGKILLed at least twice along the way, at moments chosen from what the server sees (a task
// creation just answered, a rename on the wire, an Upload-Multiple on the wire), the first
// task creations lose their answers, and one file per agent changes before it is sent (its
// agent deletes that task of its own); each is restarted until it exits 0. Then, from the test
// server's ledger and store: every file landed exactly once, byte-identical; each final task
// holds the files of exactly one agent's subfolder; no agent adopted or deleted a task another
// agent created; no orphan is left; the final names are the default names.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { TaskLedgerEntry } from '../../cvat-server/ledger.js';
import { parseClaim } from '../../../main/engine/upload/task-claim.js';
import { ActivityRepo } from '../../../main/journal/activity-repo.js';
import { BatchRepo } from '../../../main/journal/batch-repo.js';
import { readAgentId } from '../../../main/journal/claim-repo.js';
import { openJournal } from '../../../main/journal/database.js';
import type { Db } from '../../../main/journal/database.js';
import { SettingsRepo } from '../../../main/journal/settings-repo.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { jsonLines, runCli, spawnCli } from '../cli/run-cli.js';

const AGENTS = 3;
const SUBFOLDERS = ['day1', 'day2', 'day3'];
const FILES_PER_SUBFOLDER = 4;
/** Kinds of moment an agent is killed at, each at most once per agent. */
type KillAt = 'created' | 'rename' | 'bulk';
const MAX_RUNS = 8;

interface Agent {
  index: number;
  home: string;
  folder: string;
  /** relPath ("day1/img-0.png") -> sha256 of its content. */
  files: Map<string, string>;
  id: string | null;
  child: ChildProcess | null;
  runs: number;
  /** Kills that took, by the moment they were aimed at. */
  kills: KillAt[];
  /** Moments already aimed at (each once per agent), and the kill in flight. */
  killed: Set<KillAt>;
  killing: KillAt | null;
  /** The file rewritten while its batch was on the way, if any. */
  changedFile: string | null;
  exit: { code: number | null; stdout: string; stderr: string } | null;
}

let server: CvatTestServer;
let work: string;
let projectId: number;

beforeAll(async () => {
  server = await startCvatServer({ seed: 12, processingDelayMs: 150 });
  work = mkdtempSync(join(tmpdir(), 'three-agents-'));
  projectId = server.admin.createProject('alice', {
    name: 'shared',
    labels: [{ name: 'car' }],
  }).id;
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

function makeAgent(index: number): Agent {
  // The same folder name on every machine, so the default task names are the same too.
  const folder = join(work, `machine-${index}`, 'photos');
  const files = new Map<string, string>();
  SUBFOLDERS.forEach((sub, s) => {
    mkdirSync(join(folder, sub), { recursive: true });
    for (let i = 0; i < FILES_PER_SUBFOLDER; i++) {
      const bytes = makePng(24 + i, 16 + s, 1_000 * index + 100 * s + i);
      writeFileSync(join(folder, sub, `img-${i}.png`), bytes);
      files.set(`${sub}/img-${i}.png`, createHash('sha256').update(bytes).digest('hex'));
    }
  });
  return {
    index,
    home: join(work, `machine-${index}`, 'data'),
    folder,
    files,
    id: null,
    child: null,
    runs: 0,
    kills: [],
    killed: new Set(),
    killing: null,
    changedFile: null,
    exit: null,
  };
}

function env(a: Agent): Record<string, string> {
  return {
    CVAT_SYNC_HOME: a.home,
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
  };
}

/** The agent's journal, read-only, once it exists. */
function journal(a: Agent): Db | null {
  try {
    return openJournal(join(a.home, 'journal.db'), { readonly: true });
  } catch {
    return null;
  }
}

function agentIdOf(a: Agent): string | null {
  if (a.id !== null) return a.id;
  const db = journal(a);
  if (!db) return null;
  try {
    a.id = readAgentId(new SettingsRepo(db));
  } catch {
    // Not migrated yet.
  } finally {
    db.close();
  }
  return a.id;
}

/** Runs the agent until `sync --once` exits on its own (restarting it after each kill). */
function run(a: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = (): void => {
      a.runs += 1;
      if (a.runs > MAX_RUNS) {
        reject(new Error(`agent ${a.index} did not finish in ${MAX_RUNS} runs`));
        return;
      }
      const child = spawnCli(
        ['sync', a.folder, '--once', '--project', String(projectId), '--settle', '0.2', '--json'],
        env(a),
      );
      a.child = child;
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        a.child = null;
        if (signal === 'SIGKILL') {
          // Counted only when the kill took: a process may have been exiting on its own.
          if (a.killing) a.kills.push(a.killing);
          a.killing = null;
          setTimeout(start, 50);
          return;
        }
        a.exit = { code, stdout, stderr };
        resolve();
      });
    };
    start();
  });
}

function kill(a: Agent | undefined, at: KillAt): void {
  if (!a || a.killed.has(at) || a.child === null || a.child.exitCode !== null) return;
  a.killed.add(at);
  a.killing = at;
  a.child.kill('SIGKILL');
}

it('three agents of one account, identical folder names, killed along the way: each file once, no agent touches another’s task', async () => {
  const agents = Array.from({ length: AGENTS }, (_, i) => makeAgent(i + 1));
  const byTask = (taskId: number): Agent | undefined => {
    const entry = server.admin.ledger().tasks.find((t) => t.taskId === taskId);
    const claim = entry ? parseClaim(entry.createdAs) : null;
    return claim ? agents.find((a) => agentIdOf(a) === claim.agentId) : undefined;
  };
  // The first creations lose their answers (CVAT created the tasks all the same).
  server.faults.failNext({ kind: 'drop-answer', method: 'POST', path: /^\/api\/tasks\/?$/ });
  server.faults.failNext({ kind: 'drop-answer', method: 'POST', path: /^\/api\/tasks\/?$/ });
  const seenCreations = new Set<number>();
  const off = server.faults.observe((e) => {
    const task = /^\/api\/tasks\/(\d+)/.exec(e.path);
    if (e.phase === 'answered' && e.method === 'POST' && /^\/api\/tasks\/?$/.test(e.path)) {
      // The tasks just created: the ledger entries not seen yet.
      for (const entry of server.admin.ledger().tasks.filter((t) => !seenCreations.has(t.taskId))) {
        seenCreations.add(entry.taskId);
        kill(byTask(entry.taskId), 'created');
      }
    } else if (e.phase === 'request' && task && e.method === 'PATCH' && !e.path.includes('/data')) {
      const a = byTask(Number(task[1]));
      // Once per agent, a file of that task changes before its data is sent: the batch is
      // planned again and the agent deletes its own task (README.md: never another's).
      if (a && !a.changedFile) {
        const name = server.admin
          .ledger()
          .tasks.find((t) => t.taskId === Number(task[1]))?.createdAs;
        const subfolder = /^photos\/(\S+) /.exec(name ?? '')?.[1];
        if (subfolder) {
          a.changedFile = `${subfolder}/img-0.png`;
          writeFileSync(join(a.folder, a.changedFile), makePng(40, 30, 90_000 + a.index));
        }
      }
      kill(a, 'rename');
    } else if (e.phase === 'request' && task && e.method === 'POST' && e.headers['upload-multiple'])
      kill(byTask(Number(task[1])), 'bulk');
  });
  const started = performance.now();
  try {
    await Promise.all(agents.map((a) => run(a)));
  } finally {
    off();
  }
  const seconds = (performance.now() - started) / 1000;

  for (const a of agents)
    expect(a.exit?.code, `agent ${a.index}: ${a.exit?.stdout}\n${a.exit?.stderr}`).toBe(0);
  const ids = agents.map((a) => agentIdOf(a));
  expect(new Set(ids).size).toBe(AGENTS);

  // What each agent's journal says it did: its done tasks, adoptions and deletions.
  const record = agents.map((a) => {
    const db = journal(a);
    if (!db) throw new Error(`agent ${a.index} has no journal`);
    try {
      const batches = new BatchRepo(db, systemClock).list();
      const activity = new ActivityRepo(db).list({ limit: 10_000 });
      const of = (kind: string) =>
        activity.filter((r) => r.kind === kind && r.taskId !== null).map((r) => r.taskId as number);
      return {
        done: batches.map((b) => ({ name: b.name, state: b.state, taskId: b.taskId })),
        adopted: of('task-adopted'),
        deleted: of('task-deleted'),
      };
    } finally {
      db.close();
    }
  });

  const ledger = server.admin.ledger().tasks;
  const creator = (t: TaskLedgerEntry): string | null => parseClaim(t.createdAs)?.agentId ?? null;
  // Every task was created by one of the three agents, under its claim.
  for (const t of ledger) expect(ids, `task ${t.taskId} "${t.createdAs}"`).toContain(creator(t));

  const live = server.admin.tasks();
  const liveIds = new Set(live.map((t) => t.id));
  agents.forEach((a, i) => {
    const r = record[i]!;
    // All of its batches are done, one per subfolder, in tasks it created itself.
    expect(r.done.map((b) => b.state)).toEqual(SUBFOLDERS.map(() => 'done'));
    for (const b of r.done) {
      const entry = ledger.find((t) => t.taskId === b.taskId);
      expect(entry && creator(entry), `agent ${a.index} batch "${b.name}"`).toBe(a.id);
      expect(liveIds.has(b.taskId ?? -1)).toBe(true);
    }
    // It adopted and deleted only tasks it created.
    for (const taskId of [...r.adopted, ...r.deleted]) {
      const entry = ledger.find((t) => t.taskId === taskId);
      expect(entry && creator(entry), `agent ${a.index} touched task ${taskId}`).toBe(a.id);
    }
  });
  // Every deletion the server saw is one an agent recorded, of a task of its own.
  for (const t of ledger.filter((x) => x.deletedAt !== null)) {
    const by = agents.filter((_, i) => record[i]!.deleted.includes(t.taskId));
    expect(
      by.map((a) => a.id),
      `task ${t.taskId} "${t.createdAs}" deleted`,
    ).toEqual([creator(t)]);
  }

  // No orphan: the live tasks are exactly the agents' done tasks, with the default names.
  const finals = record.flatMap((r) => r.done.map((b) => b.taskId));
  expect([...liveIds].sort((x, y) => x - y)).toEqual(
    [...finals].sort((x, y) => (x ?? 0) - (y ?? 0)),
  );
  expect(live.map((t) => t.name).sort()).toEqual(
    SUBFOLDERS.flatMap((s) => agents.map(() => `photos/${s}`)).sort(),
  );
  for (const t of live) expect(t.projectId).toBe(projectId);

  // Each final task holds exactly the files of one agent's subfolder as they are now (the
  // rewritten file in its new content), byte-identical; so every file landed exactly once.
  for (const a of agents)
    for (const rel of a.files.keys())
      a.files.set(
        rel,
        createHash('sha256')
          .update(readFileSync(join(a.folder, rel)))
          .digest('hex'),
      );
  let landed = 0;
  agents.forEach((a, i) => {
    for (const b of record[i]!.done) {
      const sub = b.name.split('/').at(-1) ?? '';
      const want = [...a.files].filter(([rel]) => rel.startsWith(`${sub}/`));
      const stored = server.admin.taskFiles(b.taskId ?? -1);
      expect(stored.map((f) => [f.name, f.sha256]).sort(), `agent ${a.index} ${b.name}`).toEqual(
        want.map(([rel, sha]) => [rel.split('/').at(-1), sha]).sort(),
      );
      landed += stored.length;
    }
  });
  expect(landed).toBe(AGENTS * SUBFOLDERS.length * FILES_PER_SUBFOLDER);

  for (const a of agents)
    expect(a.kills.length, `agent ${a.index} kills: ${a.kills.join(', ')}`).toBeGreaterThanOrEqual(
      2,
    );

  // The rewritten files made agents delete tasks of their own (checked above, per deletion).
  expect(agents.filter((a) => a.changedFile !== null).length).toBeGreaterThan(0);
  expect(ledger.filter((t) => t.deletedAt !== null).length).toBeGreaterThan(0);

  const lines = [
    `three agents: ${seconds.toFixed(1)} s, ${ledger.length} tasks created, ${ledger.filter((t) => t.deletedAt !== null).length} deleted`,
    ...agents.map(
      (a, i) =>
        `  agent ${a.index} (${a.id}): ${a.runs} runs, killed at ${a.kills.join(', ')}; adopted ${record[i]!.adopted.length}, deleted ${record[i]!.deleted.length}; rewrote ${a.changedFile ?? 'nothing'}`,
    ),
    ...ledger.map(
      (t) =>
        `  task ${t.taskId}: created as "${t.createdAs}", now "${t.name}"${t.deletedAt === null ? '' : ', deleted'}`,
    ),
  ];
  console.log(lines.join('\n'));
  // The identity each agent's tasks were claimed with is the one `status` shows.
  const status = await runCli(['status', '--json'], { env: env(agents[0]!) });
  expect(jsonLines(status.stdout)[0]?.agentId).toBe(agents[0]!.id);
  // Guard the harness itself: the folders really are the same names.
  expect(readFileSync(join(agents[0]!.folder, 'day1', 'img-0.png'))).not.toEqual(
    readFileSync(join(agents[1]!.folder, 'day1', 'img-0.png')),
  );
}, 150_000);
