// The bundled preload must be one CommonJS file that requires nothing but 'electron', because a
// sandboxed preload cannot load local modules; and it carries the contract's names, not its schemas.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { METHOD_NAMES } from '../../../preload/contract.js';
import { preloadBuildOptions } from '../../../scripts/build-preload.mjs';

const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-preload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('preload bundle', () => {
  it('is one CJS file requiring only electron and exposing the contract', async () => {
    const outfile = join(dir, 'index.cjs');
    await build({ ...preloadBuildOptions, outfile, logLevel: 'silent' });
    const code = readFileSync(outfile, 'utf8');
    const required: string[] = [];
    const exposed = new Map<string, Record<string, unknown>>();
    const electron = {
      contextBridge: {
        exposeInMainWorld: (k: string, v: Record<string, unknown>) => exposed.set(k, v),
      },
      ipcRenderer: { invoke: async () => null, on() {}, removeListener() {} },
    };
    const module = { exports: {} };
    runInNewContext(code, {
      module,
      exports: module.exports,
      require: (id: string) => {
        required.push(id);
        if (id !== 'electron') throw new Error(`module not found: ${id}`);
        return electron;
      },
    });
    expect(required).toEqual(['electron']);
    // The contract's zod schemas stay out: the preload carries only the contract's names.
    expect(code).not.toMatch(/zod|safeParse/);
    expect(code.length).toBeLessThan(16 * 1024);
    expect(Object.keys(exposed.get('cvatSync') ?? {}).sort()).toEqual(
      [...METHOD_NAMES, 'on'].sort(),
    );
  });
});
