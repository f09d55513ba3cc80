// Bundles preload/index.ts into one CommonJS file: a sandboxed preload may require only
// 'electron' and a few built-ins, never a local module. The contract (preload/contract.ts) holds
// zod schemas the preload has no use for, so the bundle gets a projection of it instead: the
// contract is evaluated here, at build time, and only its plain-data exports (method and event
// names, channel strings) are written into the bundle. The names are still the contract's own,
// never a list written a second time.
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const contractFile = resolve(root, 'preload/contract.ts');

function isPlainData(value) {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return true;
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** The contract's plain-data exports as the source of a module with no imports. */
export async function contractProjection() {
  const bundled = await build({
    entryPoints: [contractFile],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const code = bundled.outputFiles[0].text;
  const contract = await import(
    `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
  );
  return Object.entries(contract)
    .filter(([, value]) => isPlainData(value))
    .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`)
    .join('\n');
}

/** Resolves the preload's import of the contract to its projection. */
const contractProjectionPlugin = {
  name: 'contract-projection',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\/contract\.js$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      return target === contractFile
        ? { path: contractFile, namespace: 'contract-projection' }
        : null;
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'contract-projection' }, async () => ({
      contents: await contractProjection(),
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
export const preloadBuildOptions = {
  entryPoints: [resolve(root, 'preload/index.ts')],
  outfile: resolve(root, 'dist/preload/index.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'es2022',
  external: ['electron'],
  plugins: [contractProjectionPlugin],
  logLevel: 'warning',
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await build(preloadBuildOptions);
}
