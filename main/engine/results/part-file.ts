// The on-disk side of a download: a `<name>.part` file next to the target that only becomes
// `<name>` once its length is verified and its bytes are on disk (fsync). A name already taken
// becomes "name (2).zip"; an existing file is never overwritten.
import { constants } from 'node:fs';
import { link, mkdir, open, rename, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { collisionName } from '../../core/safe-filename.js';
import { errnoOf, fsError } from './fs-errors.js';

export const PART_SUFFIX = '.part';

/** Where the bytes go; a port so tests can make the disk fill up. */
export interface PartWriter {
  write(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` for appending, or empties it first when `truncate`. */
export type OpenPart = (path: string, mode: 'append' | 'truncate') => Promise<PartWriter>;

export const openPartFile: OpenPart = async (path, mode) => {
  const fh = await open(path, mode === 'truncate' ? 'w' : 'a');
  return {
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
};

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Creates an empty `<dir>/<name>.part` (O_EXCL) for the first free candidate name: neither the
 * final name nor its .part exists, and no other transfer holds it. Returns the .part path.
 */
export async function reservePart(
  dir: string,
  name: string,
  inUse: ReadonlySet<string>,
): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
    for (let n = 1; ; n++) {
      const final = join(dir, collisionName(name, n));
      const part = final + PART_SUFFIX;
      if (inUse.has(part) || (await exists(final))) continue;
      try {
        const fh = await open(part, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
        await fh.close();
        return part;
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw e;
      }
    }
  } catch (e) {
    throw fsError(e, 'create download file', dir);
  }
}

/** Size of a .part on disk; 0 when it is missing (then the download starts over). */
export async function partSize(part: string): Promise<number> {
  try {
    return (await stat(part)).size;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return 0;
    throw fsError(e, 'read download file', part);
  }
}

export async function emptyPart(part: string): Promise<void> {
  try {
    await truncate(part, 0);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw fsError(e, 'reset download file', part);
  }
}

export async function removePart(part: string): Promise<void> {
  try {
    await unlink(part);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw fsError(e, 'remove download file', part);
  }
}

/**
 * Gives a verified .part its final name without overwriting anything: a hard link fails when the
 * name is taken, so a file that appeared meanwhile pushes us to "name (2)". Where hard links are
 * unsupported (FAT, some network shares) it checks and renames instead.
 */
export async function publishPart(part: string): Promise<string> {
  if (!part.endsWith(PART_SUFFIX)) throw new Error(`Not a .part path: ${part}`);
  const dir = dirname(part);
  const name = part.slice(dir.length + 1, -PART_SUFFIX.length);
  try {
    for (let n = 1; ; n++) {
      const final = join(dir, collisionName(name, n));
      try {
        await link(part, final);
        await unlink(part);
        await syncDir(dir);
        return final;
      } catch (e) {
        const code = errnoOf(e);
        if (code === 'EEXIST') continue;
        if (
          code !== 'EPERM' &&
          code !== 'ENOTSUP' &&
          code !== 'EOPNOTSUPP' &&
          code !== 'ENOSYS' &&
          code !== 'EXDEV'
        )
          throw e;
      }
      if (await exists(final)) continue;
      await rename(part, final);
      await syncDir(dir);
      return final;
    }
  } catch (e) {
    throw fsError(e, 'finish download', part);
  }
}

/** Makes the new directory entry durable; some platforms cannot open directories, which is fine. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Best effort: Windows and some filesystems refuse fsync on a directory.
  } finally {
    await fh?.close();
  }
}
