// Runs a command to the end and measures it: wall time and the peak RSS of the process itself
// (VmHWM from /proc, polled; the kernel keeps the high-water mark, so a poll only misses growth
// in the last interval before exit). Linux only, like the benchmarks.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface MeasuredRun {
  ms: number;
  peakRssBytes: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function measuredRun(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; pollMs?: number } = {},
): Promise<MeasuredRun> {
  const t0 = performance.now();
  const child = spawn(cmd, args, {
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peak = 0;
  let exited = false;
  const poll = async (): Promise<void> => {
    while (!exited) {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // gone between two polls
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
    }
  };
  const polling = poll();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  const ms = performance.now() - t0;
  exited = true;
  await polling;
  return { ms, peakRssBytes: peak, code, stdout, stderr };
}
