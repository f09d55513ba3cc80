// daemon.json in the data folder: how a CLI command finds the running daemon's RPC (port and
// token) so that it changes that engine instead of refusing because the engine lock is taken.
// Owner-only like the profile (the token grants the whole contract); removed on a clean stop;
// a file whose process is gone (a crash, kill -9) is stale and ignored.
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const DAEMON_FILE = 'daemon.json';

export interface DaemonEndpoint {
  port: number;
  token: string;
  pid: number;
  host: string;
}

export function daemonFilePath(dataDir: string): string {
  return join(dataDir, DAEMON_FILE);
}

export function writeDaemonFile(dataDir: string, endpoint: { port: number; token: string }): void {
  const path = daemonFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  const body: DaemonEndpoint = { ...endpoint, pid: process.pid, host: hostname() };
  writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
  // A leftover file of another mode is replaced, and the new one is owner-only whatever the umask.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Removes the file only if it still names this daemon (a newer daemon may have replaced it). */
export function removeDaemonFile(dataDir: string, token: string): void {
  const current = readRaw(dataDir);
  if (current && current.pid === process.pid && current.token === token)
    rmSync(daemonFilePath(dataDir), { force: true });
}

/** The running daemon of this data folder, or null (no file, unreadable, other host, dead pid). */
export function readDaemonFile(dataDir: string): DaemonEndpoint | null {
  const d = readRaw(dataDir);
  if (!d || d.host !== hostname() || !isAlive(d.pid)) return null;
  return d;
}

function readRaw(dataDir: string): DaemonEndpoint | null {
  try {
    const v = JSON.parse(readFileSync(daemonFilePath(dataDir), 'utf8')) as Partial<DaemonEndpoint>;
    if (
      typeof v.port !== 'number' ||
      !Number.isInteger(v.port) ||
      v.port <= 0 ||
      v.port > 65535 ||
      typeof v.token !== 'string' ||
      v.token === '' ||
      typeof v.pid !== 'number' ||
      typeof v.host !== 'string'
    )
      return null;
    return { port: v.port, token: v.token, pid: v.pid, host: v.host };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
