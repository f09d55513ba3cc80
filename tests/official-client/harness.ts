// Shared set-up for the official-client suites: the test server, CVAT's own cvat-cli and cvat-sdk
// from the project venv (made by scripts/setup-python.mjs), our cvat-sync CLI, media files and
// the /_test/ admin routes through which the suites check what the server holds.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePng, mp4HeadToEnd } from '../cvat-server/index.js';
import type {
  CvatTestServer,
  RecordedRequest,
  StoredFile,
  TaskRecord,
} from '../cvat-server/index.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VENV_BIN = join(REPO, '.venv', process.platform === 'win32' ? 'Scripts' : 'bin');
export const CVAT_CLI = join(VENV_BIN, 'cvat-cli');
export const PYTHON = join(VENV_BIN, 'python');
const CVAT_SYNC = join(REPO, 'main', 'cli', 'main.ts');

/** cvat-sdk's DataUploader.MAX_REQUEST_SIZE: files above it go by TUS (cvat_sdk/core/uploading.py). */
export const SDK_BULK_LIMIT = 100 * 2 ** 20;

export function requireVenv(): void {
  if (!existsSync(CVAT_CLI) || !existsSync(PYTHON))
    throw new Error(
      'The official CVAT clients are not installed: run `npm run setup:python` (npm test does it).',
    );
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Fails with everything the command printed, so a broken scenario explains itself. */
export function ok(r: Run, what: string): Run {
  if (r.code !== 0)
    throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'cvat-official-'));
  /** HOME of the Python tools: cvat-cli keeps profiles and caches there. */
  private readonly home = join(this.dir, 'home');
  private syncHomes = 0;

  constructor(readonly server: CvatTestServer) {
    mkdirSync(this.home);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Removes the media, downloads and tool homes (a suite leaves no 100 MiB files behind). */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: this.home, ...extra };
    for (const k of ['CVAT_ACCESS_TOKEN', 'PASS', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME'])
      if (!(k in extra)) delete env[k];
    return env;
  }

  /** `cvat-cli --server-host URL --auth alice:alice-pass [--org SLUG] ARGS`, as a user types it. */
  cvatCli(args: string[], opts: { org?: string; token?: boolean } = {}): Promise<Run> {
    const u = this.server.users.alice;
    const global = ['--server-host', this.server.url];
    if (!opts.token) global.push('--auth', `${u.username}:${u.password}`);
    if (opts.org !== undefined) global.push('--org', opts.org);
    const env = this.pythonEnv(opts.token ? { CVAT_ACCESS_TOKEN: u.token } : {});
    return run(CVAT_CLI, [...global, ...args], env, this.dir);
  }

  /** A script of tests/official-client run by the venv's Python; prints one JSON object. */
  async python<T>(script: string, input: Record<string, unknown>): Promise<T> {
    const u = this.server.users.alice;
    const r = ok(
      await run(
        PYTHON,
        [join(REPO, 'tests', 'official-client', script), JSON.stringify(input)],
        this.pythonEnv({
          CVAT_SERVER: this.server.url,
          CVAT_USER: u.username,
          CVAT_PASSWORD: u.password,
        }),
        this.dir,
      ),
      script,
    );
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null') as T;
  }

  /** Our CLI (the TypeScript entry through tsx), signed in with alice's PAT, fresh data folder. */
  cvatSync(args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CVAT_SERVER: this.server.url,
      CVAT_ACCESS_TOKEN: this.server.users.alice.token,
      CVAT_SYNC_HOME: this.path(`sync-home-${++this.syncHomes}`),
    };
    delete env.CVAT_ORG;
    return run(process.execPath, ['--import', 'tsx', CVAT_SYNC, ...args], env, REPO);
  }
}

// ---- the server's side, through the /_test/ admin routes ----

async function admin<T>(s: CvatTestServer, path: string, method = 'GET'): Promise<T> {
  const res = await fetch(`${s.url}/_test${path}`, { method });
  if (!res.ok) throw new Error(`/_test${path}: ${res.status}`);
  return (await res.json()) as T;
}

export const serverTasks = (s: CvatTestServer) => admin<TaskRecord[]>(s, '/tasks');
export async function serverTask(s: CvatTestServer, id: number): Promise<TaskRecord> {
  const t = (await serverTasks(s)).find((x) => x.id === id);
  if (!t) throw new Error(`the server holds no task ${id}`);
  return t;
}
export const serverFiles = (s: CvatTestServer, id: number) =>
  admin<StoredFile[]>(s, `/tasks/${id}/files`);
export const recorded = (s: CvatTestServer) => admin<RecordedRequest[]>(s, '/recorded');
export const clearRecorded = (s: CvatTestServer) => admin<null>(s, '/recorded/clear', 'POST');
export const serverProjects = async (s: CvatTestServer) => {
  const res = await fetch(`${s.url}/api/projects?page_size=100`, {
    headers: { Authorization: `Bearer ${s.users.alice.token}` },
  });
  return ((await res.json()) as { results: Array<{ id: number; name: string }> }).results;
};

// ---- media ----

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface LocalFile {
  path: string;
  name: string;
  size: number;
  sha256: string;
}

export function describeFile(path: string): LocalFile {
  const data = readFileSync(path);
  return { path, name: path.split(/[\\/]/).pop() ?? path, size: data.length, sha256: sha256(data) };
}

/** PNGs of distinct sizes and content in `dir`. */
export function writeImages(dir: string, count: number, prefix = 'img'): LocalFile[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const path = join(dir, `${prefix}${i}.png`);
    writeFileSyncAll(path, makePng(24 + i, 16 + i, i + prefix.length));
    return describeFile(path);
  });
}

function writeFileSyncAll(path: string, data: Buffer): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/**
 * A "video" just over cvat-sdk's bulk limit, so cvat-sdk and our engine both send it by TUS.
 * The test server does not decode video (README: one frame per 64 KiB).
 */
export function writeBigVideo(path: string, extra = 4097): LocalFile {
  mkdirSync(dirname(path), { recursive: true });
  const block = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  try {
    const total = SDK_BULK_LIMIT + extra;
    let written = 0;
    for (let i = 0; written < total; i++) {
      for (let j = 0; j < block.length; j += 4) block.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
      // A real container start: CVAT (PyAV) cannot open a video without one.
      if (i === 0) mp4HeadToEnd().copy(block);
      const part = block.subarray(0, Math.min(block.length, total - written));
      writeSync(fd, part);
      hash.update(part);
      written += part.length;
    }
    return {
      path,
      name: path.split(/[\\/]/).pop() ?? path,
      size: total,
      sha256: hash.digest('hex'),
    };
  } finally {
    closeSync(fd);
  }
}

/** CVAT for images 1.1 annotations: one box per listed frame, labelled `label`. */
export function cvatXml(
  frames: Array<{ id: number; name: string; width: number; height: number }>,
  label: string,
): string {
  const images = frames
    .map(
      (f) =>
        `  <image id="${f.id}" name="${f.name}" width="${f.width}" height="${f.height}">\n` +
        `    <box label="${label}" occluded="0" source="manual" xtl="1" ytl="2" xbr="10" ybr="12" z_order="0"></box>\n` +
        `  </image>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n${images}\n</annotations>\n`;
}

export const stored = (files: LocalFile[]) =>
  files
    .map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 }))
    .sort((a, b) => a.name.localeCompare(b.name));
