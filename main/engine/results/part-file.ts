// The on-disk side of a download: a `<name>.part` file next to the target that only becomes
// `<name>` once its length is verified and its bytes are on disk (fsync). A name already taken
// becomes "name (2).zip"; an existing file is never overwritten.
import { dirname, join } from 'node:path';
import { collisionName } from '../../core/safe-filename.js';
import type { FileSystem } from '../../fs/file-system.js';
import { errorCode } from '../../fs/file-system.js';
import { fsError } from './fs-errors.js';

export const PART_SUFFIX = '.part';

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Creates an empty `<dir>/<name>.part` (O_EXCL) for the first free candidate name: neither the
 * final name nor its .part exists, and no other transfer holds it. Returns the .part path.
 */
export async function reservePart(
  fs: FileSystem,
  dir: string,
  name: string,
  inUse: ReadonlySet<string>,
): Promise<string> {
  try {
    await fs.mkdir(dir, { recursive: true });
    for (let n = 1; ; n++) {
      const final = join(dir, collisionName(name, n));
      const part = final + PART_SUFFIX;
      if (inUse.has(part) || (await exists(fs, final))) continue;
      try {
        await (await fs.open(part, 'create-new')).close();
        return part;
      } catch (e) {
        if (errorCode(e) !== 'EEXIST') throw e;
      }
    }
  } catch (e) {
    throw fsError(e, 'create download file', dir);
  }
}

/** Size of a .part on disk; 0 when it is missing (then the download starts over). */
export async function partSize(fs: FileSystem, part: string): Promise<number> {
  try {
    return (await fs.stat(part)).size;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return 0;
    throw fsError(e, 'read download file', part);
  }
}

export async function emptyPart(fs: FileSystem, part: string): Promise<void> {
  try {
    await fs.truncate(part, 0);
  } catch (e) {
    if (errorCode(e) !== 'ENOENT') throw fsError(e, 'reset download file', part);
  }
}

export async function removePart(fs: FileSystem, part: string): Promise<void> {
  try {
    await fs.unlink(part);
  } catch (e) {
    if (errorCode(e) !== 'ENOENT') throw fsError(e, 'remove download file', part);
  }
}

/**
 * Gives a verified .part its final name without overwriting anything: a hard link fails when the
 * name is taken, so a file that appeared meanwhile pushes us to "name (2)". Where hard links are
 * unsupported (FAT, some network shares) it checks and renames instead.
 */
export async function publishPart(fs: FileSystem, part: string): Promise<string> {
  if (!part.endsWith(PART_SUFFIX)) throw new Error(`Not a .part path: ${part}`);
  const dir = dirname(part);
  const name = part.slice(dir.length + 1, -PART_SUFFIX.length);
  try {
    for (let n = 1; ; n++) {
      const final = join(dir, collisionName(name, n));
      try {
        await fs.link(part, final);
        await fs.unlink(part);
        await fs.syncDir(dir);
        return final;
      } catch (e) {
        const code = errorCode(e);
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
      if (await exists(fs, final)) continue;
      await fs.rename(part, final);
      await fs.syncDir(dir);
      return final;
    }
  } catch (e) {
    throw fsError(e, 'finish download', part);
  }
}
