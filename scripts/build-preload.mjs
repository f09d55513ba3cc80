// Bundles preload/index.ts (and the contract it imports) into one CommonJS file: a sandboxed
// preload may require only 'electron' and a few built-ins, never a local module.
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** @type {import('esbuild').BuildOptions} */
export const preloadBuildOptions = {
  entryPoints: ['preload/index.ts'],
  outfile: 'dist/preload/index.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'es2022',
  external: ['electron'],
  logLevel: 'warning',
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await build(preloadBuildOptions);
}
