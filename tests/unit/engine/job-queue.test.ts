// The scheduler shared by uploads and results: one lane (or two) over an in-memory list of jobs,
// driven by a FakeClock, so that every wake, hold and retry is at a known instant.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { SyncError } from '../../../main/core/errors.js';
import type { SyncError as SyncErrorType } from '../../../main/core/errors.js';
import { JobQueue } from '../../../main/engine/job-queue.js';
import type { JobSource, LaneOptions, RunningJob } from '../../../main/engine/job-queue.js';

interface Job {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  dueAt: number;
  attempts: number;
  /** What each run does: resolve, or throw this error. */
  script: Array<SyncErrorType | 'ok' | 'hang'>;
}

const fatal = (): SyncError =>
  new SyncError('HTTP 401', { code: 'http-401', kind: 'fatal', status: 401 });
const transient = (retryAfterMs?: number): SyncError =>
  new SyncError('connection reset', {
    code: 'network',
    kind: 'transient',
    status: 0,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

/** A job list with the bookkeeping a real source keeps in the journal. */
class Jobs implements JobSource<string> {
  runsWhilePaused?: (id: string) => boolean;
  readonly jobs = new Map<string, Job>();
  readonly log: string[] = [];
  readonly heldBy: Array<{ code: string; key: string | null }> = [];
  ready = (): boolean => true;
  private readonly release = new Map<string, () => void>();
  running = 0;
  maxRunning = 0;

  constructor(private readonly clock: FakeClock) {}

  add(id: string, ...script: Job['script']): void {
    this.jobs.set(id, { id, state: 'queued', dueAt: 0, attempts: 0, script });
  }

  /** Lets a hanging job finish. */
  finish(id: string): void {
    this.release.get(id)?.();
  }

  due(now: number, limit: number): string[] {
    return [...this.jobs.values()]
      .filter((j) => j.state === 'queued' && j.dueAt <= now)
      .slice(0, limit)
      .map((j) => j.id);
  }
  nextDueAt(now: number): number | null {
    const later = [...this.jobs.values()].filter((j) => j.state === 'queued' && j.dueAt > now);
    return later.length === 0 ? null : Math.min(...later.map((j) => j.dueAt));
  }
  pending(): boolean {
    return [...this.jobs.values()].some((j) => j.state === 'queued');
  }
  claim(id: string): boolean {
    const job = this.jobs.get(id);
    if (job?.state !== 'queued') return false;
    job.state = 'running';
    return true;
  }
  async run(id: string, running: RunningJob): Promise<void> {
    const job = this.jobs.get(id) as Job;
    const step = job.script.shift() ?? 'ok';
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    this.log.push(`${this.clock.now()} run ${id}`);
    try {
      if (step === 'hang') {
        await new Promise<void>((resolve, reject) => {
          this.release.set(id, resolve);
          running.signal.addEventListener('abort', () => reject(new Error('aborted')));
        });
      } else if (step !== 'ok') throw step;
      job.state = 'done';
    } finally {
      this.running -= 1;
    }
  }
  failed(id: string, error: SyncErrorType): void {
    const job = this.jobs.get(id) as Job;
    job.attempts += 1;
    if (error.kind === 'transient') {
      job.state = 'queued';
      job.dueAt = this.clock.now() + this.delay(job.attempts, error.retryAfterMs);
    } else job.state = 'failed';
    this.log.push(`${this.clock.now()} ${error.kind} ${id}`);
  }
  interrupted(id: string, reason: string): void {
    (this.jobs.get(id) as Job).state = 'queued';
    this.log.push(`${this.clock.now()} interrupted ${id} (${reason})`);
  }
  held(error: SyncErrorType, key: string | null): void {
    this.heldBy.push({ code: error.code, key });
    if (key !== null) (this.jobs.get(key) as Job).state = 'queued';
  }
  delay: (attempt: number, retryAfterMs?: number) => number = () => 0;
}

const LANE: LaneOptions = {
  concurrency: 2,
  pollMs: 60_000,
  backoff: { baseMs: 1_000, maxMs: 8_000, jitter: 0, maxAttempts: 5 },
  random: () => 0.5,
};

function setup(options: Partial<LaneOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const queue = new JobQueue(clock);
  const jobs = new Jobs(clock);
  const lane = queue.lane(jobs, { ...LANE, ...options });
  jobs.delay = (attempt, retryAfterMs) => lane.retryDelay(attempt, retryAfterMs);
  return { clock, queue, jobs, lane };
}

describe('JobQueue', () => {
  it('runs at most `concurrency` jobs at once and starts the next one as one ends', async () => {
    const { clock, jobs, lane } = setup();
    for (const id of ['a', 'b', 'c', 'd']) jobs.add(id, 'hang');
    lane.start();
    await clock.advance(0);
    expect(lane.runningKeys().sort()).toEqual(['a', 'b']);
    jobs.finish('a');
    await clock.advance(0);
    expect(lane.runningKeys().sort()).toEqual(['b', 'c']);
    lane.setConcurrency(3);
    await clock.advance(0);
    expect(lane.runningKeys().sort()).toEqual(['b', 'c', 'd']);
    for (const id of ['b', 'c', 'd']) jobs.finish(id);
    await lane.idle();
    expect(jobs.maxRunning).toBe(3);
    expect([...jobs.jobs.values()].every((j) => j.state === 'done')).toBe(true);
    await lane.stop();
  });

  it('holds every lane on a fatal error and runs again only after release()', async () => {
    const { clock, queue, jobs, lane } = setup();
    const otherJobs = new Jobs(clock);
    const other = queue.lane(otherJobs, LANE);
    jobs.add('a', fatal(), 'ok');
    otherJobs.add('x', 'hang', 'ok');
    other.start();
    await clock.advance(0);
    expect(other.runningKeys()).toEqual(['x']);
    lane.start();
    await clock.advance(0);
    // The 401 of one lane interrupts the other lane's running job and starts nothing anywhere.
    expect(queue.heldBy()?.code).toBe('http-401');
    expect(jobs.heldBy).toEqual([{ code: 'http-401', key: 'a' }]);
    expect(otherJobs.heldBy).toEqual([{ code: 'http-401', key: null }]);
    expect(otherJobs.log.at(-1)).toMatch(/interrupted x \(hold\)/);
    await clock.advance(120_000);
    expect(lane.runningCount + other.runningCount).toBe(0);
    expect(jobs.jobs.get('a')?.state).toBe('queued');
    // Held, nothing can run: idle now, not when the hold lifts.
    await lane.idle();
    expect(queue.release()).toBe(true);
    await lane.idle();
    await other.idle();
    expect(jobs.jobs.get('a')?.state).toBe('done');
    expect(otherJobs.jobs.get('x')?.state).toBe('done');
    expect(queue.release()).toBe(false);
    await Promise.all([lane.stop(), other.stop()]);
  });

  it('waits the retry delay of a transient failure, Retry-After when it is longer', async () => {
    const { clock, jobs, lane } = setup();
    const t0 = clock.now();
    jobs.add('a', transient(), transient(), transient(5_000), 'ok');
    lane.start();
    // Idle only once no retry is pending, which takes the clock to move.
    let idle = false;
    void lane.idle().then(() => (idle = true));
    await clock.advance(7_999);
    expect(idle).toBe(false);
    await clock.advance(1);
    expect(idle).toBe(true);
    // Backoff without jitter: 1 s, 2 s, then the server's 5 s rather than 4 s.
    expect(
      jobs.log.filter((l) => l.includes('run')).map((l) => Number(l.split(' ')[0]) - t0),
    ).toEqual([0, 1_000, 3_000, 8_000]);
    expect(clock.now() - t0).toBe(8_000);
    expect(jobs.jobs.get('a')?.state).toBe('done');
    await lane.stop();
  });

  it('sleeps until woken: work added later starts at wake(), not at the next poll', async () => {
    const { clock, jobs, lane } = setup({ pollMs: 60_000 });
    lane.start();
    await clock.advance(10);
    jobs.add('late');
    await clock.advance(10);
    expect(jobs.log).toEqual([]);
    const wokenAt = clock.now();
    lane.wake();
    await clock.advance(0);
    expect(jobs.log).toEqual([`${wokenAt} run late`]);
    // Without wake() the poll finds it.
    jobs.add('polled');
    await clock.advance(59_999);
    expect(jobs.log).toHaveLength(1);
    await clock.advance(60_000);
    expect(jobs.log.at(-1)).toMatch(/run polled$/);
    await lane.stop();
  });

  it('pause interrupts running jobs and starts none but those that run while paused', async () => {
    const { clock, jobs, lane } = setup();
    jobs.runsWhilePaused = (id: string) => id === 'cancel-me';
    jobs.add('a', 'hang', 'ok');
    lane.start();
    await clock.advance(0);
    await lane.pause();
    expect(jobs.log.at(-1)).toMatch(/interrupted a \(pause-all\)/);
    jobs.add('cancel-me');
    lane.wake();
    await clock.advance(0);
    expect(jobs.jobs.get('cancel-me')?.state).toBe('done');
    expect(jobs.jobs.get('a')?.state).toBe('queued');
    lane.resume();
    await lane.idle();
    expect(jobs.jobs.get('a')?.state).toBe('done');
    await lane.stop();
  });

  it('stop() interrupts running jobs and waits for them; nothing starts afterwards', async () => {
    const { clock, jobs, lane } = setup();
    jobs.add('a', 'hang');
    lane.start();
    await clock.advance(0);
    await lane.stop();
    expect(jobs.log.at(-1)).toMatch(/interrupted a \(stop\)/);
    expect(lane.runningCount).toBe(0);
    await clock.advance(120_000);
    expect(jobs.log.filter((l) => l.includes('run a'))).toHaveLength(1);
  });
});
