// Streaming zip writing (fflate, one member at a time with back-pressure) and reading (yauzl).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import yauzl from 'yauzl';

export interface ZipMember {
  name: string;
  /** Small generated content (compressed) or a stream factory for media (stored as is). */
  data: Buffer | (() => Readable | Promise<Readable>);
}

/** Writes members to `path`; returns the byte size. Media members are stored without compression. */
export async function writeZip(
  path: string,
  members: Iterable<ZipMember> | AsyncIterable<ZipMember>,
  signal?: AbortSignal,
): Promise<number> {
  const out = createWriteStream(path);
  let size = 0;
  let failed: Error | null = null;
  let pendingDrain = false;
  const zip = new Zip((err, chunk, _final) => {
    if (err) {
      failed = err;
      return;
    }
    size += chunk.length;
    if (!out.write(chunk)) pendingDrain = true;
  });
  const flush = async () => {
    if (pendingDrain) {
      pendingDrain = false;
      await once(out, 'drain');
    }
  };
  try {
    for await (const m of members) {
      if (signal?.aborted) throw new Error('cancelled');
      if (Buffer.isBuffer(m.data)) {
        const f = new ZipDeflate(m.name, { level: 6 });
        zip.add(f);
        f.push(new Uint8Array(m.data), true);
        await flush();
        continue;
      }
      const f = new ZipPassThrough(m.name);
      zip.add(f);
      const stream = await m.data();
      for await (const chunk of stream) {
        if (signal?.aborted) {
          stream.destroy();
          throw new Error('cancelled');
        }
        f.push(new Uint8Array(chunk as Buffer), false);
        await flush();
      }
      f.push(new Uint8Array(0), true);
      await flush();
    }
    zip.end();
    await flush();
    if (failed) throw failed;
    out.end();
    await once(out, 'finish');
    return size;
  } catch (err) {
    out.destroy();
    throw err;
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zf) =>
      err || !zf ? reject(err ?? new Error('zip open failed')) : resolve(zf),
    ),
  );
}

/** Visits every member; `visit` may consume the member's stream (or ignore it). */
export async function walkZip(
  path: string,
  visit: (entry: yauzl.Entry, open: () => Promise<Readable>) => Promise<void>,
): Promise<void> {
  const zf = await openZip(path);
  try {
    await new Promise<void>((resolve, reject) => {
      zf.on('error', reject);
      zf.on('end', resolve);
      zf.on('entry', (entry: yauzl.Entry) => {
        const openStream = () =>
          new Promise<Readable>((res, rej) =>
            zf.openReadStream(entry, (err, s) =>
              err || !s ? rej(err ?? new Error('zip read failed')) : res(s),
            ),
          );
        visit(entry, openStream).then(() => zf.readEntry(), reject);
      });
      zf.readEntry();
    });
  } finally {
    zf.close();
  }
}

export async function listZip(path: string): Promise<Array<{ name: string; size: number }>> {
  const out: Array<{ name: string; size: number }> = [];
  await walkZip(path, async (e) => {
    out.push({ name: e.fileName, size: e.uncompressedSize });
  });
  return out;
}

/** Opens one member as a stream (the archive stays open until the stream closes). */
export async function openZipMember(path: string, member: string): Promise<Readable> {
  const zf = await openZip(path);
  return new Promise<Readable>((resolve, reject) => {
    zf.on('error', reject);
    zf.on('end', () => {
      zf.close();
      reject(new Error(`member ${member} not found`));
    });
    zf.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName !== member) {
        zf.readEntry();
        return;
      }
      zf.openReadStream(entry, (err, s) => {
        if (err || !s) {
          zf.close();
          reject(err ?? new Error('zip read failed'));
          return;
        }
        s.on('close', () => zf.close());
        resolve(s);
      });
    });
    zf.readEntry();
  });
}

export async function readZipText(path: string, member: string): Promise<string | null> {
  try {
    const s = await openZipMember(path, member);
    const parts: Buffer[] = [];
    for await (const c of s) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  } catch {
    return null;
  }
}
