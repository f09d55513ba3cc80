// scripts/setup-python.mjs, run from a copy in a temporary project: the stamp makes a set-up
// venv a no-op, and a missing or unusable Python fails with a message that says what to install.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..', '..');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'setup-python-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(REPO, 'scripts', 'setup-python.mjs'), join(dir, 'scripts', 'setup-python.mjs'));
  copyFileSync(join(REPO, 'requirements-dev.txt'), join(dir, 'requirements-dev.txt'));
  return dir;
}

function run(dir: string, python?: string) {
  return spawnSync(process.execPath, [join(dir, 'scripts', 'setup-python.mjs')], {
    encoding: 'utf8',
    env: { ...process.env, CVAT_SYNC_PYTHON: python },
  });
}

function fakePython(dir: string, script: string): string {
  const path = join(dir, 'fake-python');
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe.skipIf(process.platform === 'win32')('setup-python.mjs', () => {
  it('pins cvat-sdk and cvat-cli to one release', () => {
    const pins = readFileSync(join(REPO, 'requirements-dev.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(pins).toEqual(['cvat-sdk==2.80.0', 'cvat-cli==2.80.0']);
  });

  it('does nothing when the stamp matches the pins (Python is not even started)', () => {
    const dir = project();
    mkdirSync(join(dir, '.venv', 'bin'), { recursive: true });
    writeFileSync(join(dir, '.venv', 'bin', 'python'), '');
    writeFileSync(join(dir, '.venv', 'bin', 'cvat-cli'), '');
    const pins = readFileSync(join(dir, 'requirements-dev.txt'));
    writeFileSync(
      join(dir, '.venv', '.cvat-sync-requirements'),
      createHash('sha256').update(pins).digest('hex') + '\n',
    );
    const r = run(dir, join(dir, 'no-such-python'));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  it('says how to get Python when the interpreter is missing', () => {
    const dir = project();
    const r = run(dir, join(dir, 'no-such-python'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('was not found. Install Python 3.11+');
    expect(r.stderr).toContain('apt-get install -y python3 python3-venv');
  });

  it('refuses a Python older than cvat-sdk needs', () => {
    const dir = project();
    const r = run(dir, fakePython(dir, 'echo 3.9'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is Python 3.9; cvat-sdk needs 3.11+');
  });

  it('names the venv package when python -m venv fails, and leaves no half-made venv', () => {
    const dir = project();
    const py = fakePython(
      dir,
      'if [ "$1" = "-c" ]; then echo 3.11; exit 0; fi\necho "ensurepip is not available" >&2; exit 1',
    );
    const r = run(dir, py);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ensurepip is not available');
    expect(r.stderr).toContain('apt-get install -y python3-venv');
    expect(existsSync(join(dir, '.venv'))).toBe(false);
  });
});
