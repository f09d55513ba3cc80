// The layer rules of eslint.config.js are enforced by lint; these tests prove a forbidden
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
    expect(ids.some((m) => m.includes('main/cvat may import only: model, core'))).toBe(true);
  });

  it('keeps the filesystem port below cvat, watch and engine, and above core only', async () => {
    const up = await ruleIds(
      "import { x } from '../watch/thing.js';\nexport const y = x;\n",
      'main/fs/probe.ts',
    );
    expect(up.some((m) => m.includes('main/fs may import only: model, core'))).toBe(true);
    const down = await ruleIds(
      "import { nodeFileSystem } from '../fs/node-file-system.js';\nexport const f = nodeFileSystem;\n",
      'main/cvat/probe.ts',
    );
    expect(down.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('lets views import only types from the contract, and src/lib its values', async () => {
    const value = await ruleIds(
      "import { METHOD_NAMES } from '../../../preload/contract';\nexport const m = METHOD_NAMES;\n",
      'renderer/src/views/probe.ts',
    );
    expect(value.some((m) => m.includes('@typescript-eslint/no-restricted-imports'))).toBe(true);
    const typeOnly = await ruleIds(
      "import type { Transfer } from '../../../preload/contract';\nexport type T = Transfer;\n",
      'renderer/src/views/probe.ts',
    );
    expect(typeOnly.filter((m) => m.includes('no-restricted-imports'))).toEqual([]);
    const lib = await ruleIds(
      "import { METHOD_NAMES } from '../../../preload/contract.js';\nexport const m = METHOD_NAMES;\n",
      'renderer/src/lib/probe.ts',
    );
    expect(lib.filter((m) => m.includes('no-restricted-imports'))).toEqual([]);
    const main = await ruleIds(
      "import { folderRuleProblems } from '../../../main/core/folder-rule.js';\nexport const f = folderRuleProblems;\n",
      'renderer/src/lib/probe.ts',
    );
    expect(main.some((m) => m.includes('only through src/lib/api.ts'))).toBe(true);
  });

  it('keeps main/model import-free and lets every layer import it', async () => {
    const outward = await ruleIds(
      "import { z } from 'zod';\nimport type { Clock } from '../core/clock.js';\nexport type S = typeof z | Clock;\n",
      'main/model/probe.ts',
    );
    expect(outward.filter((m) => m.includes('imports nothing outside main/model'))).toHaveLength(2);
    const siblingValue = await ruleIds(
      "import { x } from './errors.js';\nexport const y = x;\n",
      'main/model/probe.ts',
    );
    expect(siblingValue.some((m) => m.includes('main/model holds types only'))).toBe(true);
    const siblingType = await ruleIds(
      "import type { ContractError } from './errors.js';\nexport type E = ContractError;\n",
      'main/model/probe.ts',
    );
    expect(siblingType.filter((m) => m.includes('no-restricted-imports'))).toEqual([]);
    for (const layer of ['core', 'cvat', 'journal', 'engine', 'service', 'cli']) {
      const ids = await ruleIds(
        "import type { Transfer } from '../model/index.js';\nexport type T = Transfer;\n",
        `main/${layer}/probe.ts`,
      );
      expect(
        ids.filter((m) => m.includes('no-restricted-imports')),
        layer,
      ).toEqual([]);
    }
  });

  it('keeps the contract out of the layers below main/service', async () => {
    const engine = await ruleIds(
      "import type { FolderRule } from '../../../preload/contract.js';\nexport type R = FolderRule;\n",
      'main/engine/planner/probe.ts',
    );
    expect(engine.some((m) => m.includes('come from main/model'))).toBe(true);
    const service = await ruleIds(
      "import type { FolderRule } from '../../preload/contract.js';\nexport type R = FolderRule;\n",
      'main/service/probe.ts',
    );
    expect(service.filter((m) => m.includes('no-restricted-imports'))).toEqual([]);
  });

  it('keeps the preload to electron and the contract, and the contract to pure code', async () => {
    const preload = await ruleIds(
      "import { x } from '../main/core/clock.js';\nexport const y = x;\n",
      'preload/index.ts',
    );
    expect(preload.some((m) => m.includes('imports only electron and the contract'))).toBe(true);
    const contract = await ruleIds(
      "import { openJournal } from '../main/journal/database.js';\nexport const o = openJournal;\n",
      'preload/contract.ts',
    );
    expect(contract.some((m) => m.includes('The contract imports only zod'))).toBe(true);
  });
});
