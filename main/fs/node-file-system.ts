// The FileSystem port on the real disk (node:fs). A plain object, so that tests can wrap single
// operations ({ ...nodeFileSystem, open: … }) to inject the failures real disks produce.
import { constants, createReadStream, watch as fsWatch } from 'node:fs';
import type { Stats } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  statfs,
  truncate,
  unlink,
} from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FileHandle, FileStats, FileSystem, OpenMode } from './file-system.js';

const FLAGS: Record<OpenMode, string | number> = {
  read: 'r',
  append: 'a',
  truncate: 'w',
  'create-new': constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY,
};

/** Node's Stats already has the port's shape; only the fields the port names are relied on. */
const stats = (s: Stats): FileStats => s;

async function openFile(path: string, mode: OpenMode): Promise<FileHandle> {
  const fh = await open(path, FLAGS[mode]);
  return {
    async read(buffer, offset, length, position) {
      return (await fh.read(buffer, offset, length, position)).bytesRead;
    },
    async write(data) {
      let off = 0;
      while (off < data.byteLength) {
        const { bytesWritten } = await fh.write(data, off, data.byteLength - off);
        off += bytesWritten;
      }
    },
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
}

export const nodeFileSystem: FileSystem = {
  stat: async (path) => stats(await stat(path)),
  lstat: async (path) => stats(await lstat(path)),
  readdir: (path) => readdir(path, { withFileTypes: true }),
  realpath: (path) => realpath(path),
  readText: (path) => readFile(path, 'utf8'),
  open: openFile,
  readStream(path, options) {
    const start = options?.start ?? 0;
    const end = options?.end;
    const chunk = options?.chunkBytes === undefined ? {} : { highWaterMark: options.chunkBytes };
    if (end !== undefined && end <= start) {
      // An empty range still fails for a missing file, as a stream of it would.
      const empty = new Readable({ read: () => undefined });
      open(path, 'r')
        .then((fh) => fh.close())
        .then(
          () => empty.push(null),
          (e: unknown) => empty.destroy(e as Error),
        );
      return empty;
    }
    // createReadStream's `end` is inclusive.
    return createReadStream(path, {
      ...chunk,
      start,
      ...(end === undefined ? {} : { end: end - 1 }),
    });
  },
  mkdir: async (path, options) => {
    await mkdir(path, { recursive: options?.recursive ?? false });
  },
  rename: (from, to) => rename(from, to),
  link: (existing, to) => link(existing, to),
  unlink: (path) => unlink(path),
  truncate: (path, length) => truncate(path, length),
  removeTree: (path) => rm(path, { recursive: true, force: true }),
  async syncDir(path) {
    let fh;
    try {
      fh = await open(path, 'r');
      await fh.sync();
    } catch {
      // Best effort: Windows and some filesystems refuse fsync on a directory.
    } finally {
      await fh?.close();
    }
  },
  async freeBytes(path) {
    try {
      const s = await statfs(path);
      return s.bavail * s.bsize;
    } catch {
      return null;
    }
  },
  watch: (path, onChange) => fsWatch(path, { persistent: true, recursive: false }, onChange),
};
