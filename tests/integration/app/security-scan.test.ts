// The Electron security scan (scripts/security-scan.mjs, electronegativity) must find nothing in
// the shell, the preload and the renderer sources — and must fail on an insecure window.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-scan-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scan(...args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/security-scan.mjs', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function sarifResults(file: string): Array<{ ruleId: string }> {
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    runs: Array<{ results: Array<{ ruleId: string }> }>;
  };
  return report.runs.flatMap((r) => r.results);
}

describe('electronegativity scan', () => {
  it('finds nothing in main/app, the preload and the renderer sources', () => {
    const sarif = join(dir, 'project.sarif');
    const { code, out } = scan('--sarif', sarif);
    expect(out).toMatch(
      /electronegativity: \d+ checks over \d+ files: 0 finding\(s\), 0 unparsed file\(s\)/,
    );
    expect(code).toBe(0);
    expect(sarifResults(sarif)).toEqual([]);
    // The scan really covered the shell: dozens of checks over every source file.
    const [, checks, files] = /(\d+) checks over (\d+) files/.exec(out) ?? [];
    expect(Number(checks)).toBeGreaterThanOrEqual(40);
    expect(Number(files)).toBeGreaterThanOrEqual(15);
  });

  it('fails on an insecure window, a missing CSP and unchecked navigation', () => {
    const bad = join(dir, 'insecure-app');
    rmSync(bad, { recursive: true, force: true });
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'main.ts'),
      [
        "import { BrowserWindow, shell } from 'electron';",
        'export function open(url: string): void {',
        '  const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });',
        '  void w.loadURL(url);',
        '  void shell.openExternal(url);',
        '}',
      ].join('\n'),
    );
    const sarif = join(dir, 'insecure.sarif');
    const { code, out } = scan('--sarif', sarif, bad);
    expect(code).toBe(1);
    const rules = new Set(sarifResults(sarif).map((r) => r.ruleId));
    for (const rule of [
      'CONTEXT_ISOLATION_JS_CHECK',
      'SANDBOX_JS_CHECK',
      'WEB_SECURITY_JS_CHECK',
      'OPEN_EXTERNAL_JS_CHECK',
      'AUXCLICK_JS_CHECK',
      'CSP_GLOBAL_CHECK',
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
      'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK',
    ]) {
      expect(rules.has(rule), rule).toBe(true);
    }
    expect(out).toMatch(/CONTEXT_ISOLATION_JS_CHECK {2}insecure-app\/main.ts:3/);
  });

  it('fails on a source file it cannot parse', () => {
    const broken = join(dir, 'broken');
    rmSync(broken, { recursive: true, force: true });
    mkdirSync(broken);
    writeFileSync(join(broken, 'main.ts'), 'export const = ;\n');
    const { code, out } = scan(broken);
    expect(code).toBe(1);
    expect(out).toMatch(/PARSE ERROR/);
  });
});
