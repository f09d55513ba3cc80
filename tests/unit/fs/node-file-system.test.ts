// The FileSystem contract on real temp files.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import { fileSystemContract } from './file-system-contract.js';

fileSystemContract('node', () => {
  const root = mkdtempSync(join(tmpdir(), 'cvat-sync-fs-'));
  return {
    fs: nodeFileSystem,
    root,
    writeFile: (path, content) => writeFileSync(path, content),
    symlink: (target, path) => symlinkSync(target, path),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
});
