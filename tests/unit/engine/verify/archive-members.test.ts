// What verify reads from a local archive or PDF: image members by path (zip, tar, tar.gz, GNU
// long names), the members CVAT ignores left out, and PDF page objects across read boundaries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../../../../main/fs/node-file-system.js';
import {
  archiveImageMembers,
  pdfPageCount,
} from '../../../../main/engine/verify/archive-members.js';

const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-members-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tarHeader(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function tar(entries: Array<{ name: string; data: Buffer; type?: string }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const pad = Buffer.alloc((512 - (e.data.length % 512)) % 512);
    parts.push(tarHeader(e.name, e.data.length, e.type ?? '0'), e.data, pad);
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

describe('archiveImageMembers', () => {
  it('lists the image members of a zip by path, leaving out what CVAT ignores', async () => {
    const path = join(dir, 'a.zip');
    const bytes = new Uint8Array([1, 2, 3]);
    writeFileSync(
      path,
      zipSync({
        'x/1.png': bytes,
        'x/notes.txt': bytes,
        '2.JPG': bytes,
        '__MACOSX/x/._1.png': bytes,
        'y/.DS_Store': bytes,
        'y/': new Uint8Array(),
      }),
    );
    expect(await archiveImageMembers(nodeFileSystem, path, 'a.zip')).toEqual(['x/1.png', '2.JPG']);
  });

  it('reads tar and tar.gz headers, GNU long names included', async () => {
    const long = `${'deep/'.repeat(30)}frame.png`;
    const body = tar([
      { name: 'dir', data: Buffer.alloc(0), type: '5' },
      { name: './dir/a.png', data: Buffer.alloc(700, 1) },
      { name: '././@LongLink', data: Buffer.from(`${long}\0`), type: 'L' },
      { name: long.slice(0, 100), data: Buffer.alloc(10, 2) },
      { name: 'readme.md', data: Buffer.alloc(3) },
    ]);
    writeFileSync(join(dir, 'b.tar'), body);
    writeFileSync(join(dir, 'b.tgz'), gzipSync(body));
    expect(await archiveImageMembers(nodeFileSystem, join(dir, 'b.tar'), 'b.tar')).toEqual([
      'dir/a.png',
      long,
    ]);
    expect(await archiveImageMembers(nodeFileSystem, join(dir, 'b.tgz'), 'b.tgz')).toEqual([
      'dir/a.png',
      long,
    ]);
  });

  it('answers null for an archive it cannot read without unpacking', async () => {
    writeFileSync(join(dir, 'c.7z'), Buffer.alloc(10));
    expect(await archiveImageMembers(nodeFileSystem, join(dir, 'c.7z'), 'c.7z')).toBeNull();
  });
});

describe('pdfPageCount', () => {
  it('counts page objects, not the /Pages node, also across 1 MiB reads', async () => {
    const page = '<< /Type /Page /Parent 2 0 R >>\n';
    // Pad so that one /Type /Page straddles the first read boundary.
    const head = '%PDF-1.4\n<< /Type /Pages /Count 3 >>\n';
    const pad = ' '.repeat((1 << 20) - head.length - 5);
    writeFileSync(
      join(dir, 'd.pdf'),
      Buffer.from(head + pad + page + page + page + '%%EOF', 'latin1'),
    );
    expect(await pdfPageCount(nodeFileSystem, join(dir, 'd.pdf'))).toBe(3);
    writeFileSync(
      join(dir, 'e.pdf'),
      Buffer.from('%PDF-1.5\n<< /Type /ObjStm >>\n%%EOF', 'latin1'),
    );
    expect(await pdfPageCount(nodeFileSystem, join(dir, 'e.pdf'))).toBeNull();
  });
});
