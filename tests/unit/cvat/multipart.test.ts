import { mkdtemp, rm, writeFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { multipartBody, quoteFormValue } from '../../../main/cvat/multipart.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cvat-multipart-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe('multipartBody', () => {
  it('declares exactly the length it produces, with indexed part names', async () => {
    await writeFile(join(dir, 'a.jpg'), Buffer.alloc(1000, 1));
    await writeFile(join(dir, 'b.png'), Buffer.alloc(300_000, 2));
    await writeFile(join(dir, 'e.jpg'), Buffer.alloc(0));
    const files = [
      { path: join(dir, 'a.jpg'), name: 'a.jpg', size: 1000 },
      { path: join(dir, 'b.png'), name: 'bé "x".png', size: 300_000 },
      { path: join(dir, 'e.jpg'), name: 'e.jpg', size: 0 },
    ];
    const body = multipartBody(files, (i) => `client_files[${i}]`, 'BOUNDARY');
    let fileBytes = 0;
    const bytes = await collect(body.chunks('test', (n) => (fileBytes += n)));
    expect(bytes.length).toBe(body.length);
    expect(body.fileBytes).toBe(301_000);
    expect(fileBytes).toBe(301_000);
    const text = bytes.toString('latin1');
    expect(
      text.startsWith(
        '--BOUNDARY\r\nContent-Disposition: form-data; name="client_files[0]"; filename="a.jpg"\r\n',
      ),
    ).toBe(true);
    expect(bytes.toString('utf8')).toContain('name="client_files[1]"; filename="bé %22x%22.png"');
    expect(text).toContain('name="client_files[2]"; filename="e.jpg"');
    expect(text.endsWith('\r\n--BOUNDARY--\r\n')).toBe(true);
    expect(body.contentType).toBe('multipart/form-data; boundary=BOUNDARY');
  });

  it('puts plain fields (image_quality) before the files; the length is exact', async () => {
    await writeFile(join(dir, 'f.jpg'), Buffer.alloc(10, 2));
    const body = multipartBody(
      [{ path: join(dir, 'f.jpg'), name: 'f.jpg', size: 10 }],
      (i) => `client_files[${i}]`,
      'B',
      { image_quality: '70' },
    );
    const bytes = await collect(body.chunks('upload'));
    expect(bytes.length).toBe(body.length);
    expect(bytes.toString('latin1')).toBe(
      '--B\r\nContent-Disposition: form-data; name="image_quality"\r\n\r\n70\r\n' +
        '--B\r\nContent-Disposition: form-data; name="client_files[0]"; filename="f.jpg"\r\n' +
        'Content-Type: application/octet-stream\r\n\r\n' +
        '\x02'.repeat(10) +
        '\r\n--B--\r\n',
    );
    expect(body.fileBytes).toBe(10);
  });

  it('fails with file-changed when a file shrank after planning', async () => {
    await writeFile(join(dir, 'a.jpg'), Buffer.alloc(5000, 1));
    const body = multipartBody(
      [{ path: join(dir, 'a.jpg'), name: 'a.jpg', size: 5000 }],
      (i) => `client_files[${i}]`,
    );
    await truncate(join(dir, 'a.jpg'), 100);
    await expect(collect(body.chunks('upload'))).rejects.toMatchObject({
      code: 'file-changed',
      kind: 'item',
    });
  });

  it('fails with file-unreadable for a missing file', async () => {
    const body = multipartBody(
      [{ path: join(dir, 'nope.jpg'), name: 'nope.jpg', size: 10 }],
      (i) => `client_files[${i}]`,
    );
    await expect(collect(body.chunks('upload'))).rejects.toMatchObject({ code: 'file-unreadable' });
  });
});

describe('quoteFormValue', () => {
  it('percent-encodes quotes and line breaks as browsers do', () => {
    expect(quoteFormValue('a"b\r\nc')).toBe('"a%22b%0D%0Ac"');
  });
});
