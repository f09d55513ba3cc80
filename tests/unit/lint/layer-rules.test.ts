// The layer rules of ARCHITECTURE.md are enforced by lint; these tests prove a forbidden
// import really fails, so the rules cannot silently rot.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer rules', () => {
  it('keeps Node built-ins and our other layers out of main/core', async () => {
    const ids = await ruleIds(
      "import { readFileSync } from 'node:fs';\nimport { openJournal } from '../journal/database.js';\nexport const x = [readFileSync, openJournal];\n",
      'main/core/probe.ts',
    );
    expect(ids.filter((m) => m.startsWith('no-restricted-imports'))).toHaveLength(2);
  });

  it('forbids wall-clock time and timers in main/engine', async () => {
    const ids = await ruleIds(
      'export const t = Date.now();\nsetTimeout(() => {}, 1);\n',
      'main/engine/probe.ts',
    );
    expect(ids.some((m) => m.startsWith('no-restricted-properties'))).toBe(true);
    expect(ids.some((m) => m.startsWith('no-restricted-globals'))).toBe(true);
  });

  it('keeps SQL in main/journal and electron in main/app', async () => {
    const sql = await ruleIds(
      "import Database from 'better-sqlite3';\nexport const d = Database;\n",
      'main/engine/probe.ts',
    );
    expect(sql.some((m) => m.includes('SQL lives in main/journal'))).toBe(true);
    const electron = await ruleIds(
      "import { app } from 'electron';\nexport const a = app;\n",
      'main/cli/probe.ts',
    );
    expect(electron.some((m) => m.includes('Only main/app imports electron'))).toBe(true);
    const allowed = await ruleIds(
      "import { app } from 'electron';\nexport const a = app;\n",
      'main/app/probe.ts',
    );
    expect(allowed.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('stops lower layers importing higher ones', async () => {
    const ids = await ruleIds(
      "import { x } from '../engine/thing.js';\nexport const y = x;\n",
      'main/cvat/probe.ts',
    );
    expect(ids.some((m) => m.includes('main/cvat may import only: core'))).toBe(true);
  });

  it('keeps the filesystem port below cvat, watch and engine, and above core only', async () => {
    const up = await ruleIds(
      "import { x } from '../watch/thing.js';\nexport const y = x;\n",
      'main/fs/probe.ts',
    );
    expect(up.some((m) => m.includes('main/fs may import only: core'))).toBe(true);
    const down = await ruleIds(
      "import { nodeFileSystem } from '../fs/node-file-system.js';\nexport const f = nodeFileSystem;\n",
      'main/cvat/probe.ts',
    );
    expect(down.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('lets the renderer import only types from the contract', async () => {
    const value = await ruleIds(
      "import { METHOD_NAMES } from '../../../preload/contract';\nexport const m = METHOD_NAMES;\n",
      'renderer/src/lib/probe.ts',
    );
    expect(value.some((m) => m.includes('@typescript-eslint/no-restricted-imports'))).toBe(true);
    const typeOnly = await ruleIds(
      "import type { Transfer } from '../../../preload/contract';\nexport type T = Transfer;\n",
      'renderer/src/lib/probe.ts',
    );
    expect(typeOnly.filter((m) => m.includes('no-restricted-imports'))).toEqual([]);
  });
});
