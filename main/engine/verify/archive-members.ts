// What CVAT makes of a local archive or PDF, read without unpacking it, so that verify can compare
// it with the task's frames:
// - an archive's frames are its image members, named by their path inside the archive under the
//   archive's own upload folder (CVAT's cvat/apps/engine/media_extractors.py: ZipReader.get_path
//   joins the zip's folder and the member name; ArchiveReader unpacks next to the archive and
//   walks it). Members whose path holds __MACOSX, __MSOSX or .DS_Store are left out
//   (files_to_ignore there).
// - a PDF's frames are its pages, one per page.
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Entry } from 'yauzl';
import { mediaKindOf } from '../../core/media.js';
import type { FileSystem } from '../../fs/file-system.js';
import { openZipFile } from '../results/zip-reader.js';

const IGNORED = ['__MSOSX', '._.DS_Store', '__MACOSX', '.DS_Store'];

const isFrame = (member: string) =>
  !member.endsWith('/') &&
  mediaKindOf(member) === 'image' &&
  !IGNORED.some((part) => member.includes(part));

/** Image member paths of a zip, tar or tar.gz, in archive order; null for other archives. */
export async function archiveImageMembers(
  fs: FileSystem,
  path: string,
  name: string,
): Promise<string[] | null> {
  const lower = name.toLowerCase();
  let members: string[];
  if (lower.endsWith('.zip')) members = await zipMembers(fs, path);
  else if (lower.endsWith('.tar')) members = await tarMembers(fs.readStream(path));
  else if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz'))
    members = await tarMembers(fs.readStream(path).pipe(createGunzip()));
  else return null;
  return members.map((m) => m.replace(/^\.\//, '')).filter(isFrame);
}

/** The central directory's names, read through the port as the results engine reads archives. */
async function zipMembers(fs: FileSystem, path: string): Promise<string[]> {
  const zip = await openZipFile(fs, path);
  return new Promise((resolve, reject) => {
    const names: string[] = [];
    zip.on('entry', (entry: Entry) => {
      names.push(entry.fileName);
      zip.readEntry();
    });
    zip.on('end', () => resolve(names));
    zip.on('error', reject);
    zip.readEntry();
  });
}

/** ustar headers only: names (with the ustar prefix) of regular files; data blocks skipped. */
async function tarMembers(stream: Readable): Promise<string[]> {
  const names: string[] = [];
  let buf = Buffer.alloc(0);
  let skip = 0;
  let longName: string | null = null;
  for await (const chunk of stream) {
    buf = Buffer.concat([buf, chunk as Buffer]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip > 0) break;
      }
      if (buf.length < 512) break;
      const header = buf.subarray(0, 512);
      buf = buf.subarray(512);
      if (header.every((b) => b === 0)) return names;
      const field = (from: number, len: number) =>
        header.toString('utf8', from, from + len).replace(/\0.*$/s, '');
      const size = parseInt(field(124, 12).trim() || '0', 8);
      const type = String.fromCharCode(header[156] ?? 0);
      const padded = Math.ceil(size / 512) * 512;
      if (type === 'L') {
        // GNU long name: the next entry's name is this entry's data; wait until it is read.
        if (buf.length < padded) {
          buf = Buffer.concat([header, buf]);
          break;
        }
        longName = buf.toString('utf8', 0, size).replace(/\0.*$/s, '');
        buf = buf.subarray(padded);
        continue;
      }
      const prefix = field(345, 155);
      const entry = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      longName = null;
      if (type === '0' || type === '\0' || type === '7') names.push(entry);
      skip = padded;
    }
  }
  return names;
}

const PAGE = /\/Type\s*\/Page(?![a-zA-Z])/g;

/**
 * Pages of a PDF: its page objects (/Type /Page), counted in the file as stored. null when none
 * is readable that way (pages only inside compressed object streams): the count is unknown.
 */
export async function pdfPageCount(fs: FileSystem, path: string): Promise<number | null> {
  const fh = await fs.open(path, 'read');
  try {
    let count = 0;
    let tail = '';
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const bytesRead = await fh.read(buf, 0, buf.length, null);
      if (!bytesRead) break;
      const text = tail + buf.toString('latin1', 0, bytesRead);
      // Matches in the kept tail are counted once, with the next read.
      const keep = text.slice(-32);
      count += (text.match(PAGE) ?? []).length - (keep.match(PAGE) ?? []).length;
      tail = keep;
    }
    count += (tail.match(PAGE) ?? []).length;
    return count || null;
  } finally {
    await fh.close();
  }
}
