// Unpacks a downloaded archive next to it. An archive is untrusted: an entry that would land
// outside the folder (absolute path, "..", a drive letter, a symlink) fails the whole
// extraction, and the files appear only when every entry was written (temp folder, then rename).
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { SyncError } from '../../core/errors.js';
import { collisionName, splitExtension } from '../../core/safe-filename.js';
import { errnoOf, fsError } from './fs-errors.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Why an entry name is refused, or null when it is a plain relative path. */
export function unsafeEntryReason(name: string): string | null {
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || isAbsolute(name)) return 'is an absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'starts with a drive letter';
  if (name.split('/').some((seg) => seg === '..')) return 'climbs out of the folder ("..")';
  return null;
}

/**
 * Extracts `zipPath` into a new folder in `parentDir` named after the archive ("x (2)" when
 * taken). Returns the folder's path.
 */
export async function extractZip(
  zipPath: string,
  parentDir: string,
  tempTag: string,
): Promise<string> {
  const base = splitExtension(zipPath.slice(dirname(zipPath).length + 1))[0] || 'archive';
  const temp = join(parentDir, `.${base}.extract-${tempTag}`);
  try {
    await mkdir(temp, { recursive: true });
  } catch (e) {
    throw fsError(e, 'extract archive', temp);
  }
  try {
    await unpack(zipPath, temp);
    return await publishDir(temp, parentDir, base);
  } catch (e) {
    // The temp folder is ours and incomplete: nothing of it may look like a result.
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

async function unpack(zipPath: string, into: string): Promise<void> {
  const zip = await new Promise<ZipFile>((res, rej) =>
    yauzl.open(
      zipPath,
      {
        lazyEntries: true,
        autoClose: true,
        decodeStrings: true,
        validateEntrySizes: true,
        strictFileNames: true,
      },
      (err, z) => (err || !z ? rej(archiveError(err, zipPath)) : res(z)),
    ),
  );
  try {
    await new Promise<void>((res, rej) => {
      zip.on('error', (err: Error) => rej(archiveError(err, zipPath)));
      zip.on('end', () => res());
      zip.on('entry', (entry: Entry) => {
        writeEntry(zip, entry, into).then(
          () => zip.readEntry(),
          (err: unknown) => rej(err),
        );
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function writeEntry(zip: ZipFile, entry: Entry, into: string): Promise<void> {
  const name = entry.fileName;
  const reason = unsafeEntryReason(name);
  if (reason) throw unsafe(name, reason);
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (mode === S_IFLNK) throw unsafe(name, 'is a symbolic link');
  const target = resolve(into, name);
  const rel = relative(into, target);
  if (rel.startsWith('..') || isAbsolute(rel)) throw unsafe(name, 'resolves outside the folder');
  try {
    if (name.endsWith('/')) {
      await mkdir(target, { recursive: true });
      return;
    }
    await mkdir(dirname(target), { recursive: true });
    const stream = await new Promise<NodeJS.ReadableStream>((res, rej) =>
      zip.openReadStream(entry, (err, s) => (err || !s ? rej(archiveError(err, name)) : res(s))),
    );
    // 'wx': two entries with one name, or a path through an existing file, is refused, not merged.
    await pipeline(stream, createWriteStream(target, { flags: 'wx' }));
  } catch (e) {
    if (e instanceof SyncError) throw e;
    if (errnoOf(e) === 'EEXIST' || errnoOf(e) === 'ENOTDIR')
      throw unsafe(name, 'collides with another entry');
    if (errnoOf(e) === undefined) throw archiveError(e as Error, name);
    throw fsError(e, 'extract archive', target);
  }
}

async function publishDir(temp: string, parentDir: string, base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const final = join(parentDir, collisionName(base, n));
    try {
      await stat(final);
      continue;
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw fsError(e, 'extract archive', final);
    }
    try {
      await rename(temp, final);
      return final;
    } catch (e) {
      // Another folder of that name appeared meanwhile (rename onto a non-empty dir fails).
      if (errnoOf(e) === 'ENOTEMPTY' || errnoOf(e) === 'EEXIST') continue;
      throw fsError(e, 'extract archive', final);
    }
  }
}

function unsafe(name: string, reason: string): SyncError {
  return new SyncError(`Refused to extract the archive: entry "${name}" ${reason}`, {
    code: 'unsafe-archive',
    kind: 'item',
    operation: 'extract archive',
    hint: 'The downloaded file is kept; open it with a tool you trust.',
  });
}

function archiveError(err: Error | null | undefined, what: string): SyncError {
  const message = err?.message ?? 'unreadable archive';
  // yauzl checks names itself before we see the entry.
  if (/invalid relative path|absolute path|invalid characters in fileName/i.test(message)) {
    return new SyncError(`Refused to extract the archive: ${message}`, {
      code: 'unsafe-archive',
      kind: 'item',
      operation: 'extract archive',
      hint: 'The downloaded file is kept; open it with a tool you trust.',
    });
  }
  return new SyncError(`Cannot read the archive ${what}: ${message}`, {
    code: 'bad-archive',
    kind: 'item',
    operation: 'extract archive',
    cause: err,
  });
}
