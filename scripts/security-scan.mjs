// Electron security scan: electronegativity over the desktop shell, the preload and the renderer
// sources, failing on any finding and on any file it could not parse (a file it cannot read is a
// file it did not check). electronegativity always exits 0, so its SARIF report is read here.
//
//   node scripts/security-scan.mjs [--sarif <file>] [path ...]
//
// Paths default to the shell's attack surface. Findings reviewed as safe are silenced in the
// code itself with `eng-disable <CHECK>` comments next to a one-line reason, never here.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

const DEFAULT_PATHS = [
  'main/app',
  'preload/index.ts',
  'preload/contract.ts',
  'renderer/src',
  'renderer/index.html',
];
// Looks up newer Electron releases online: this scan runs offline, and upgrades are Renovate's job.
const EXCLUDED_CHECKS = ['AvailableSecurityFixesGlobalCheck'];

function parseArgs(argv) {
  const paths = [];
  let sarif = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sarif') sarif = argv[++i] ?? null;
    else paths.push(argv[i]);
  }
  return { sarif, paths: paths.length > 0 ? paths : DEFAULT_PATHS };
}

/** Copies the scanned paths into one folder, so global checks (CSP, navigation) see them together. */
function stage(paths) {
  const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-scan-'));
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new Error(`security-scan: ${p} does not exist`);
    const rel =
      isAbsolute(p) || relative(process.cwd(), abs).startsWith('..')
        ? basename(abs)
        : relative(process.cwd(), abs);
    cpSync(abs, join(dir, rel), { recursive: statSync(abs).isDirectory() });
  }
  return dir;
}

/** electronegativity fetches translation updates at start; answer "offline" instead of going out. */
function keepOffline(require) {
  const engDir = dirname(require.resolve('@doyensec/electronegativity/package.json'));
  const gotPath = createRequire(join(engDir, 'dist', 'locales', 'i18n.js')).resolve('got');
  const offline = new Module(gotPath);
  offline.exports = () => Promise.reject(new Error('offline: translations are not fetched'));
  offline.loaded = true;
  require.cache[gotPath] = offline;
}

export async function securityScan({ paths = DEFAULT_PATHS, sarif = null } = {}) {
  const require = createRequire(import.meta.url);
  const electronVersion = JSON.parse(readFileSync('package.json', 'utf8')).devDependencies
    ?.electron;
  if (!electronVersion)
    throw new Error('security-scan: package.json has no electron devDependency');
  keepOffline(require);
  const run = require('@doyensec/electronegativity/dist/runner.js');
  const dir = stage(paths);
  const sarifFile = sarif ? resolve(sarif) : join(dir, 'electronegativity.sarif');
  // The runner logs progress through console.log; keep the output to our own summary.
  const log = console.log;
  let result;
  try {
    console.log = () => {};
    result = await run({
      input: dir,
      output: sarifFile,
      isSarif: true,
      customScan: [],
      excludeFromScan: EXCLUDED_CHECKS,
      isRelative: true,
      isVerbose: false,
      electronUpgrade: undefined,
      // The version-dependent checks read this instead of a package.json (which would be reported).
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    });
  } finally {
    console.log = log;
  }
  try {
    const report = await readReport(sarifFile);
    const rules = new Map((report.runs?.[0]?.tool?.driver?.rules ?? []).map((r) => [r.id, r]));
    const findings = (report.runs ?? [])
      .flatMap((r) => r.results ?? [])
      .map((r) => {
        const loc = r.locations?.[0]?.physicalLocation;
        return {
          check: r.ruleId,
          file: loc?.artifactLocation?.uri ?? 'N/A',
          line: loc?.region?.startLine ?? 0,
          message: r.message?.text ?? rules.get(r.ruleId)?.shortDescription?.text ?? '',
        };
      });
    const parseErrors = result.errors
      .filter((e) => !e.tolerable)
      .map((e) => ({ file: relative(dir, e.file), message: e.message }));
    return {
      files: countScanned(dir),
      findings,
      parseErrors,
      checks: result.globalChecks + result.atomicChecks,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The runner writes its report with an un-awaited fs.writeFile: wait until it is complete. */
async function readReport(file) {
  for (let attempt = 0; ; attempt++) {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      if (attempt >= 100)
        throw new Error(`security-scan: no readable report at ${file}: ${e.message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function countScanned(dir) {
  let n = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(js|jsx|ts|tsx|html|htm)$/.test(name)) n++;
    }
  };
  walk(dir);
  return n;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const { paths, sarif } = parseArgs(process.argv.slice(2));
  const { files, findings, parseErrors, checks } = await securityScan({ paths, sarif });
  for (const f of findings) console.error(`${f.check}  ${f.file}:${f.line}  ${f.message}`);
  for (const e of parseErrors) console.error(`PARSE ERROR  ${e.file}  ${e.message}`);
  const summary = `electronegativity: ${checks} checks over ${files} files: ${findings.length} finding(s), ${parseErrors.length} unparsed file(s)`;
  if (findings.length > 0 || parseErrors.length > 0) {
    console.error(summary);
    process.exitCode = 1;
  } else {
    console.log(summary);
  }
}
