// Makes the project's Python venv (.venv) with the official CVAT clients pinned in
// requirements-dev.txt, for the tests that run them against the bundled test server.
// Idempotent: a stamp holding the pins' hash makes a second run a no-op (milliseconds).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const requirements = join(root, 'requirements-dev.txt');
const stamp = join(venv, '.cvat-sync-requirements');
const windows = process.platform === 'win32';
const bin = (name) => join(venv, windows ? 'Scripts' : 'bin', windows ? `${name}.exe` : name);
const MIN_PYTHON = [3, 11]; // cvat-sdk 2.80 declares Requires-Python >=3.11

function fail(message) {
  console.error(`setup-python: ${message}`);
  process.exit(1);
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (r.error) fail(`${what} failed to start: ${r.error.message}`);
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    return false;
  }
  return true;
}

const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
const ready =
  existsSync(stamp) &&
  readFileSync(stamp, 'utf8').trim() === wanted &&
  existsSync(bin('python')) &&
  existsSync(bin('cvat-cli'));
if (ready) process.exit(0);

const python = process.env.CVAT_SYNC_PYTHON ?? (windows ? 'python' : 'python3');
const probe = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
  encoding: 'utf8',
});
if (probe.error || probe.status !== 0)
  fail(
    `'${python}' was not found. Install Python ${MIN_PYTHON.join('.')}+ ` +
      `(Debian/Ubuntu: apt-get install -y python3 python3-venv), or set CVAT_SYNC_PYTHON to its path.`,
  );
const [major, minor] = probe.stdout.trim().split('.').map(Number);
if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]))
  fail(
    `'${python}' is Python ${major}.${minor}; cvat-sdk needs ${MIN_PYTHON.join('.')}+. ` +
      `Set CVAT_SYNC_PYTHON to a newer interpreter.`,
  );

const started = Date.now();
console.log(`setup-python: installing requirements-dev.txt into .venv`);
// A venv left half-made (no stamp) is rebuilt from scratch rather than patched.
if (!existsSync(bin('python')) || !existsSync(stamp)) {
  rmSync(venv, { recursive: true, force: true });
  if (!run(python, ['-m', 'venv', venv], 'python -m venv')) {
    rmSync(venv, { recursive: true, force: true });
    fail(
      `'${python} -m venv' failed (see above). On Debian/Ubuntu install the venv module: ` +
        `apt-get install -y python3-venv`,
    );
  }
}
const pip = [
  '-m',
  'pip',
  'install',
  '--disable-pip-version-check',
  '--no-input',
  '--quiet',
  '-r',
  requirements,
];
if (!run(bin('python'), pip, 'pip install'))
  fail(
    'pip could not install requirements-dev.txt (see above). It needs the Python package ' +
      'registry; behind a proxy set HTTPS_PROXY (or PIP_INDEX_URL for a mirror).',
  );
writeFileSync(stamp, `${wanted}\n`);
console.log(`setup-python: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
