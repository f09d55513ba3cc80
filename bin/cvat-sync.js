#!/usr/bin/env node
// The `cvat-sync` command: runs the compiled CLI (npm run build:main writes dist/).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(
    'cvat-sync is not built yet: run npm run build first (or npm run build:main).\n',
  );
  process.exit(2);
}
await import(pathToFileURL(entry).href);
