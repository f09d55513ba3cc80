// The official CVAT command-line client for benchmarks that compare with it. It lives in the
// project's .venv, made by scripts/setup-python.mjs (pinned versions, a no-op when up to date).
// CVAT_CLI may name another cvat-cli executable, e.g. while trying a different version.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface PythonTools {
  cvatCli: string;
  version: string;
}

export function ensurePythonTools(): PythonTools {
  const override = process.env.CVAT_CLI;
  const cvatCli =
    override ?? join(ROOT, '.venv', process.platform === 'win32' ? 'Scripts' : 'bin', 'cvat-cli');
  if (!override) {
    const setup = join(ROOT, 'scripts', 'setup-python.mjs');
    if (!existsSync(setup))
      throw new Error(
        'scripts/setup-python.mjs is missing, so the official client cannot be installed; set CVAT_CLI to a cvat-cli executable.',
      );
    const r = spawnSync(process.execPath, [setup], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0)
      throw new Error(`scripts/setup-python.mjs failed (exit ${r.status ?? r.signal})`);
  }
  if (!existsSync(cvatCli)) throw new Error(`cvat-cli not found at ${cvatCli}`);
  const v = spawnSync(cvatCli, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`${cvatCli} --version failed: ${v.stderr}`);
  return { cvatCli, version: v.stdout.trim() };
}
