// electron-builder.yml checked offline: against electron-builder's own schema, and by packing the
// `dir` target with a stub Electron (TOOLCHAIN.md): the asar must hold our entry points and the
// native module must sit outside it, where Electron can load it.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listPackage } from '@electron/asar';
import { Arch, Platform, build } from 'electron-builder';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ID, PRODUCT_NAME } from '../../../main/app/app-identity.js';

const projectDir = process.cwd();
const configFile = join(projectDir, 'electron-builder.yml');
const base = mkdtempSync(join(tmpdir(), 'cvat-sync-pack-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const BUILD_OUTPUTS = [
  'dist/main/app/main.js',
  'dist/preload/index.cjs',
  'dist/renderer/index.html',
];

function pngSize(file: string): [number, number] {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

describe('electron-builder configuration', () => {
  it('passes electron-builder schema validation', async () => {
    const config = await getConfig(projectDir, configFile, null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config.appId).toBe(APP_ID);
    expect(config.productName).toBe(PRODUCT_NAME);
    expect(config.npmRebuild).toBe(true);
    expect(config.directories?.output).toBe('release');
  });

  it('schema validation really rejects a bad configuration', async () => {
    const config = await getConfig(projectDir, configFile, null);
    await expect(
      validateConfiguration({ ...config, asar: 'yes' } as never, new DebugLogger(false)),
    ).rejects.toThrow(/asar/);
  });

  it('builds installers for every desktop platform with the generated icons', async () => {
    const config = await getConfig(projectDir, configFile, null);
    const targets = (t: unknown) =>
      (Array.isArray(t) ? t : [t]).map((x) =>
        typeof x === 'string' ? x : (x as { target: string }).target,
      );
    expect(targets(config.linux?.target)).toEqual(['AppImage', 'deb']);
    expect(targets(config.win?.target)).toEqual(['nsis']);
    expect(targets(config.mac?.target)).toEqual(['dmg']);
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(pngSize(join(projectDir, 'build', 'icon.png'))).toEqual([512, 512]);
    for (const n of [16, 32, 48, 64, 128, 256, 512])
      expect(pngSize(join(projectDir, 'build', 'icons', `${n}x${n}.png`))).toEqual([n, n]);
  });
});

describe('dir packaging smoke test', () => {
  it('packs our entry points into the asar and unpacks the native module', async () => {
    const missing = BUILD_OUTPUTS.filter((f) => !existsSync(join(projectDir, f)));
    if (missing.length > 0) {
      throw new Error(
        `Build output missing (${missing.join(', ')}): run \`npm run build\` before this test.`,
      );
    }
    // A stub Electron distribution: electron-builder copies it and renames the executable.
    const electronDist = join(base, 'electron-dist');
    mkdirSync(electronDist);
    writeFileSync(join(electronDist, 'electron'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(electronDist, 'electron'), 0o755);
    const output = join(base, 'out');

    await build({
      projectDir,
      targets: Platform.LINUX.createTarget('dir', Arch.x64),
      config: {
        extends: null,
        electronDist,
        npmRebuild: false,
        directories: { output, buildResources: 'build' },
      },
      publish: 'never',
    });

    const resources = join(output, 'linux-unpacked', 'resources');
    expect(existsSync(join(output, 'linux-unpacked', 'cvat-sync'))).toBe(true);
    const entries = new Set(
      listPackage(join(resources, 'app.asar'), { isPack: false }).map((e) => e.replace(/\\/g, '/')),
    );
    for (const f of [
      '/package.json',
      ...BUILD_OUTPUTS.map((f) => `/${f}`),
      '/dist/preload/contract.js',
    ]) {
      expect(entries.has(f), f).toBe(true);
    }
    const packed = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as {
      main: string;
    };
    expect(entries.has(`/${packed.main}`)).toBe(true);
    // Runtime dependencies come along; sources, maps and build leftovers stay out.
    expect(entries.has('/node_modules/better-sqlite3/lib/index.js')).toBe(true);
    for (const e of entries) {
      expect(e.endsWith('.map'), e).toBe(false);
      expect(
        e.startsWith('/node_modules/better-sqlite3/deps/') ||
          e.startsWith('/node_modules/better-sqlite3/src/'),
        e,
      ).toBe(false);
      expect(
        e.startsWith('/node_modules/electron/') ||
          e.startsWith('/tests/') ||
          e.startsWith('/main/'),
        e,
      ).toBe(false);
    }
    expect(entries.has('/dist/preload/index.js')).toBe(false);

    const native = join(
      resources,
      'app.asar.unpacked',
      'node_modules',
      'better-sqlite3',
      'build',
      'Release',
      'better_sqlite3.node',
    );
    expect(existsSync(native)).toBe(true);
    expect(readFileSync(native).subarray(0, 4)).toEqual(
      readFileSync(
        join(projectDir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
      ).subarray(0, 4),
    );
  });
});
