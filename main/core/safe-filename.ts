// File names that come from a server (Content-Disposition, parsed by cvat/content-disposition.ts)
// are untrusted input: they must not pick the directory we write into, nor produce a name some
// OS refuses or treats specially.
import { copyMark, numberedName } from './unique-name.js';
import type { Numbering } from './unique-name.js';
import { utf8Length } from './utf8.js';

/** Longest name we produce, in UTF-8 bytes: 255 is the common limit, minus room for " (99)" and ".part". */
export const MAX_NAME_BYTES = 230;

const RESERVED_CHARS = /[<>:"/\\|?*]/g;
// C0 and C1 controls, DEL, and the bidi/format marks that make a name display differently than it is.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// Device names Windows resolves no matter the extension ("CON.zip" is the console).
const WINDOWS_DEVICES = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const DOUBLE_EXTENSIONS = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tar.zst'];

/**
 * Reduces an untrusted name to one plain file name: the last path component, no control or
 * reserved characters, no Windows device name, no leading dots, no trailing dots or spaces,
 * at most MAX_NAME_BYTES; `fallback` when nothing usable is left.
 */
export function safeFilename(raw: string | null | undefined, fallback = 'download'): string {
  const cleaned = clean(raw ?? '');
  if (cleaned !== '') return cleaned;
  const fb = clean(fallback);
  return fb === '' ? 'download' : fb;
}

/** How downloaded files are numbered when their name is taken (unique-name.ts). */
export const FILE_COPIES: Numbering = { mark: copyMark, split: splitExtension };

/** `n`-th candidate for a name already taken: 1 → "a.zip", 2 → "a (2).zip", "b.tar.gz" → "b (2).tar.gz". */
export function collisionName(name: string, n: number): string {
  return numberedName(name, n, FILE_COPIES);
}

/** Splits "a.b.zip" into ["a.b", ".zip"]; known double extensions stay together; dotfiles have none. */
export function splitExtension(name: string): [string, string] {
  const lower = name.toLowerCase();
  for (const ext of DOUBLE_EXTENSIONS) {
    if (lower.endsWith(ext) && lower.length > ext.length)
      return [name.slice(0, -ext.length), name.slice(-ext.length)];
  }
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

function clean(raw: string): string {
  const parts = raw.split(/[/\\]/);
  let name = (parts[parts.length - 1] ?? '').normalize('NFC');
  name = name.replace(CONTROL_CHARS, '').replace(RESERVED_CHARS, '_');
  name = name.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (name === '') return '';
  const [stem] = splitExtension(name);
  const base = stem.split('.')[0] ?? stem;
  if (WINDOWS_DEVICES.test(base.trim())) name = `_${name}`;
  return truncate(name);
}

function truncate(name: string): string {
  if (utf8Length(name) <= MAX_NAME_BYTES) return name;
  const [stem, ext] = splitExtension(name);
  // A long "extension" is just part of the name.
  const keepExt = utf8Length(ext) <= 16 ? ext : '';
  const budget = MAX_NAME_BYTES - utf8Length(keepExt);
  const source = keepExt === '' ? name : stem;
  let out = '';
  let bytes = 0;
  for (const ch of source) {
    const n = utf8Length(ch);
    if (bytes + n > budget) break;
    out += ch;
    bytes += n;
  }
  return out.replace(/[\s.]+$/, '') + keepExt;
}
