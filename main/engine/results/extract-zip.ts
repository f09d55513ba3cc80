// Unpacks a downloaded archive next to it. An archive is untrusted: an entry that would land
// outside the folder (absolute path, "..", a drive letter, a symlink) or that Windows would
// read as something else (a device name such as CON or aux/x.txt, an alternate data stream
// "a.txt:ads", a name ending in a dot or space) fails the whole extraction, and so does an
// archive with too many entries or more bytes than the cap (a zip bomb), counted as written, not
// as the headers claim. The files appear only when every entry was written (temp folder, then
// rename).
import { Transform } from 'node:stream';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Entry, ZipFile } from 'yauzl';
import { SyncError } from '../../core/errors.js';
import { collisionName, splitExtension } from '../../core/safe-filename.js';
import type { FileSystem } from '../../fs/file-system.js';
import { errorCode } from '../../fs/file-system.js';
import { fsError } from './fs-errors.js';
import { openZipFile } from './zip-reader.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** CVAT exports hold one file per frame plus annotations: far below this. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Bytes an archive may unpack to at most, whatever the free space. */
export const DEFAULT_MAX_BYTES = 64 * 1024 ** 3;
/** Left free on the disk by the default cap. */
const FREE_SPACE_RESERVE = 256 * 1024 ** 2;

export interface ExtractLimits {
  maxEntries?: number;
  /** Default: DEFAULT_MAX_BYTES, or the disk's free space less a reserve when that is lower. */
  maxBytes?: number;
}

/** Names Windows maps to devices, with any extension ("nul.txt") and trailing spaces. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\..*)?$/i;

/** Why an entry name is refused, or null when it is a plain relative path. */
export function unsafeEntryReason(name: string): string | null {
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || isAbsolute(name)) return 'is an absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'starts with a drive letter';
  const segments = name.split('/');
  if (segments.some((seg) => seg === '..')) return 'climbs out of the folder ("..")';
  if (name.includes(':')) return 'contains ":" (an alternate data stream on Windows)';
  for (const seg of segments) {
    if (WINDOWS_DEVICE.test(seg)) return `uses the Windows device name "${seg}"`;
    if (seg !== '.' && /[. ]$/.test(seg)) return `has "${seg}", ending in a dot or space`;
  }
  return null;
}

/**
 * Extracts `zipPath` into a new folder in `parentDir` named after the archive ("x (2)" when
 * taken). Returns the folder's path.
 */
export async function extractZip(
  fs: FileSystem,
  zipPath: string,
  parentDir: string,
  tempTag: string,
  limits: ExtractLimits = {},
): Promise<string> {
  const base = splitExtension(zipPath.slice(dirname(zipPath).length + 1))[0] || 'archive';
  const temp = join(parentDir, `.${base}.extract-${tempTag}`);
  try {
    await fs.mkdir(temp, { recursive: true });
  } catch (e) {
    throw fsError(e, 'extract archive', temp);
  }
  try {
    const caps = {
      maxEntries: limits.maxEntries ?? DEFAULT_MAX_ENTRIES,
      maxBytes: limits.maxBytes ?? (await defaultMaxBytes(fs, parentDir)),
      byDisk: limits.maxBytes === undefined,
    };
    await unpack(fs, zipPath, temp, caps);
    return await publishDir(fs, temp, parentDir, base);
  } catch (e) {
    // The temp folder is ours and incomplete: nothing of it may look like a result.
    await fs.removeTree(temp).catch(() => undefined);
    throw e;
  }
}

interface Caps {
  maxEntries: number;
  maxBytes: number;
  /** The byte cap came from the free space: say so in the refusal. */
  byDisk: boolean;
}

async function defaultMaxBytes(fs: FileSystem, dir: string): Promise<number> {
  const free = await fs.freeBytes(dir);
  if (free === null) return DEFAULT_MAX_BYTES;
  return Math.max(0, Math.min(DEFAULT_MAX_BYTES, free - FREE_SPACE_RESERVE));
}

async function openZip(fs: FileSystem, zipPath: string): Promise<ZipFile> {
  try {
    return await openZipFile(fs, zipPath);
  } catch (e) {
    throw archiveError(e as Error, zipPath);
  }
}

async function unpack(fs: FileSystem, zipPath: string, into: string, caps: Caps): Promise<void> {
  const zip = await openZip(fs, zipPath);
  try {
    // The central directory's count is known before any byte is written.
    if (zip.entryCount > caps.maxEntries)
      throw tooBig(`${zip.entryCount} entries`, caps, 'entries');
    const written = { bytes: 0 };
    let entries = 0;
    await new Promise<void>((res, rej) => {
      zip.on('error', (err: Error) => rej(archiveError(err, zipPath)));
      zip.on('end', () => res());
      zip.on('entry', (entry: Entry) => {
        entries += 1;
        if (entries > caps.maxEntries) {
          rej(tooBig(`more than ${caps.maxEntries} entries`, caps, 'entries'));
          return;
        }
        writeEntry(fs, zip, entry, into, caps, written).then(
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

async function writeEntry(
  fs: FileSystem,
  zip: ZipFile,
  entry: Entry,
  into: string,
  caps: Caps,
  written: { bytes: number },
): Promise<void> {
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
      await fs.mkdir(target, { recursive: true });
      return;
    }
    await fs.mkdir(dirname(target), { recursive: true });
    const stream = await new Promise<NodeJS.ReadableStream>((res, rej) =>
      zip.openReadStream(entry, (err, s) => (err || !s ? rej(archiveError(err, name)) : res(s))),
    );
    // The pipeline takes the first error; an entry whose size lies can report a second one from
    // yauzl's chain after the pipeline ended, which must not surface as an unhandled error.
    stream.on('error', () => undefined);
    // Created new: two entries with one name, or a path through an existing file, is refused,
    // not merged.
    const out = await fs.open(target, 'create-new');
    try {
      await pipeline(stream, countBytes(written, caps, name), async (source) => {
        for await (const chunk of source as AsyncIterable<Uint8Array>) await out.write(chunk);
      });
    } finally {
      await out.close();
    }
  } catch (e) {
    if (e instanceof SyncError) throw e;
    if (errorCode(e) === 'EEXIST' || errorCode(e) === 'ENOTDIR')
      throw unsafe(name, 'collides with another entry');
    if (errorCode(e) === undefined) throw archiveError(e as Error, name);
    throw fsError(e, 'extract archive', target);
  }
}

/** Counts what really comes out of the decompressor; the headers' sizes are only a claim. */
function countBytes(written: { bytes: number }, caps: Caps, name: string): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      written.bytes += chunk.length;
      if (written.bytes > caps.maxBytes)
        done(tooBig(`more than ${caps.maxBytes} bytes (at "${name}")`, caps, 'bytes'));
      else done(null, chunk);
    },
  });
}

function tooBig(what: string, caps: Caps, which: 'entries' | 'bytes'): SyncError {
  const limit =
    which === 'entries'
      ? `the limit is ${caps.maxEntries} entries`
      : caps.byDisk && caps.maxBytes < DEFAULT_MAX_BYTES
        ? `the disk has room for ${caps.maxBytes} bytes (keeping ${FREE_SPACE_RESERVE} free)`
        : `the limit is ${caps.maxBytes} bytes`;
  return new SyncError(`Refused to extract the archive: it unpacks to ${what}; ${limit}.`, {
    code: 'archive-too-large',
    kind: 'item',
    operation: 'extract archive',
    hint:
      which === 'bytes' && caps.byDisk
        ? 'Free disk space or choose a downloads folder on a larger disk; the downloaded file is kept.'
        : 'The downloaded file is kept; open it with a tool you trust.',
  });
}

async function publishDir(
  fs: FileSystem,
  temp: string,
  parentDir: string,
  base: string,
): Promise<string> {
  for (let n = 1; ; n++) {
    const final = join(parentDir, collisionName(base, n));
    try {
      await fs.stat(final);
      continue;
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') throw fsError(e, 'extract archive', final);
    }
    try {
      await fs.rename(temp, final);
      return final;
    } catch (e) {
      // Another folder of that name appeared meanwhile (rename onto a non-empty dir fails).
      if (errorCode(e) === 'ENOTEMPTY' || errorCode(e) === 'EEXIST') continue;
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
  // yauzl checks names itself before we see the entry, and sizes against the headers.
  if (/too many bytes in the stream|not enough bytes in the stream/i.test(message)) {
    return new SyncError(
      `Refused to extract the archive: entry "${what}" does not match the size its header claims (${message})`,
      {
        code: 'unsafe-archive',
        kind: 'item',
        operation: 'extract archive',
        hint: 'The downloaded file is kept; open it with a tool you trust.',
      },
    );
  }
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
