// Frame and chunk bytes as CVAT's frame provider serves them (cvat/apps/engine/frame_provider.py,
// media_extractors.py ZipChunkWriter/ZipCompressedChunkWriter, cache.py prepare_chunk):
// - original image frames are the stored image bytes, typed by the file extension;
// - compressed image frames are a JPEG re-encode at the task's image_quality (PIL
//   `save(format='JPEG', quality=…)`); here PNG and JPEG sources are decoded and re-encoded with
//   the pure-JS codecs bundled in playwright-core. Other formats (GIF, BMP, WebP, …) cannot be
//   decoded here, so their compressed frame is the stored bytes (documented in the README);
// - video frames are PNG-encoded decoded frames (IFrameProvider.VIDEO_FRAME_MIME). Videos are not
//   decoded here, so each frame is a deterministic synthetic PNG of the size the meta reports;
// - image chunks are stored zips of `{index:06d}.{ext}` members (compressed: `.jpeg`), video
//   chunks are mp4 segments; here a video chunk is the slice of the stored file that the
//   64 KiB-per-frame emulation assigns to the chunk's frames.
import { createRequire } from 'node:module';
import { readFile, open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { zipSync } from 'fflate';
import type { Core } from './core.js';
import type { DataRec, TaskRec } from './store.js';
import { BYTES_PER_VIDEO_FRAME, kindOf, makePng } from './media.js';
import { mediaPath } from './tus.js';
import { openZipMember } from './zip.js';

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}
interface Codecs {
  jpegjs: {
    encode(img: Rgba, quality: number): { data: Buffer };
    decode(buf: Buffer, opts: { useTArray: true; formatAsRGBA: true }): Rgba;
  };
  PNG: { sync: { read(buf: Buffer): Rgba } };
}
const codecs = createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as Codecs;

/** Python's mimetypes.guess_type for the image extensions CVAT accepts. */
const MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  jfif: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  dib: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  webp: 'image/webp',
  ppm: 'image/x-portable-pixmap',
  pgm: 'image/x-portable-graymap',
  pbm: 'image/x-portable-bitmap',
  pnm: 'image/x-portable-anymap',
  ico: 'image/vnd.microsoft.icon',
  pcd: 'image/x-photo-cd',
};

export function extOf(name: string): string {
  return /\.([^./\\]+)$/.exec(name)?.[1] ?? '';
}

export function mimeOf(name: string): string {
  return MIME[extOf(name).toLowerCase()] ?? 'application/octet-stream';
}

export interface FrameBytes {
  body: Buffer;
  mime: string;
  /** Extension used for the frame's member name in a chunk. */
  ext: string;
}

export type Quality = 'original' | 'compressed';

/** The one media file of a video/audio/pdf/archive task, or null for an image task. */
function containerOf(data: DataRec): string | null {
  const names = [...new Set(data.clientFiles)];
  return names.find((n) => !['image', 'pointcloud', 'manifest'].includes(kindOf(n))) ?? null;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function synthetic(task: TaskRec, index: number): Buffer {
  const f = task.data?.frames[index];
  return makePng(f?.width ?? 1920, f?.height ?? 1080, task.id * 100_003 + index);
}

async function storedImage(core: Core, task: TaskRec, index: number): Promise<Buffer> {
  const data = task.data as DataRec;
  const name = (data.frames[index] as { name: string }).name;
  const container = containerOf(data);
  if (container === null) return readFile(mediaPath(core, task.id, name));
  if (kindOf(container) === 'zip')
    return readAll(await openZipMember(mediaPath(core, task.id, container), name));
  // Members of tar archives are listed, not extracted, by this server.
  throw new Error(`the test server cannot extract '${name}' from '${container}'`);
}

function decode(bytes: Buffer, name: string): Rgba | null {
  const ext = extOf(name).toLowerCase();
  if (ext === 'png') return codecs.PNG.sync.read(bytes);
  if (['jpg', 'jpeg', 'jpe', 'jfif'].includes(ext))
    return codecs.jpegjs.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return null;
}

/** ZipCompressedChunkWriter._compress_image: RGB JPEG at the task's image quality. */
function compress(rgba: Rgba, quality: number): Buffer {
  return Buffer.from(codecs.jpegjs.encode(rgba, quality).data);
}

/** Frame `index` (0-based, within the task's frames) in the given quality. */
export async function frameBytes(
  core: Core,
  task: TaskRec,
  index: number,
  quality: Quality,
): Promise<FrameBytes> {
  const data = task.data as DataRec;
  const frame = data.frames[index] as { name: string };
  const container = containerOf(data);
  const decoded = container !== null && ['video', 'audio', 'pdf'].includes(kindOf(container));
  const imageChunks = quality === 'original' ? data.originalChunkType : data.compressedChunkType;
  if (decoded) {
    const png = synthetic(task, index);
    if (quality === 'original' || imageChunks !== 'imageset')
      return { body: png, mime: 'image/png', ext: 'png' };
    return {
      body: compress(codecs.PNG.sync.read(png), data.imageQuality ?? 70),
      mime: 'image/jpeg',
      ext: 'jpeg',
    };
  }
  const stored = await storedImage(core, task, index);
  if (quality === 'original' || task.dimension === '3d')
    return { body: stored, mime: mimeOf(frame.name), ext: extOf(frame.name) };
  const rgba = decode(stored, frame.name);
  if (!rgba) return { body: stored, mime: mimeOf(frame.name), ext: extOf(frame.name) };
  return { body: compress(rgba, data.imageQuality ?? 70), mime: 'image/jpeg', ext: 'jpeg' };
}

export interface ChunkBytes {
  body: Buffer;
  mime: string;
}

/** The chunk holding frames `first`…`last` (task frame indexes) in the given quality. */
export async function chunkBytes(
  core: Core,
  task: TaskRec,
  first: number,
  last: number,
  quality: Quality,
): Promise<ChunkBytes> {
  const data = task.data as DataRec;
  const type = quality === 'original' ? data.originalChunkType : data.compressedChunkType;
  const container = containerOf(data);
  if (type !== 'imageset' && container !== null) {
    // Frame i of the emulated video covers bytes [i*64 KiB, (i+1)*64 KiB) of the stored file.
    const fh = await open(mediaPath(core, task.id, container), 'r');
    try {
      const total = (await fh.stat()).size;
      const start = Math.min(total, first * BYTES_PER_VIDEO_FRAME);
      const end = Math.min(total, (last + 1) * BYTES_PER_VIDEO_FRAME);
      const buf = Buffer.alloc(end - start);
      await fh.read(buf, 0, buf.length, start);
      return { body: buf, mime: type === 'audio_mp3' ? 'audio/mpeg' : 'video/mp4' };
    } finally {
      await fh.close();
    }
  }
  const members: Record<string, Uint8Array> = {};
  for (let i = first; i <= last; i++) {
    const f = await frameBytes(core, task, i, quality);
    members[`${String(i - first).padStart(6, '0')}.${f.ext}`] = new Uint8Array(f.body);
  }
  // zipfile.ZipFile(..., 'x') writes ZIP_STORED members.
  return { body: Buffer.from(zipSync(members, { level: 0 })), mime: 'application/zip' };
}

/** views.py _DataGetter._get_chunk_checksum: crc32 of the first 1000 bytes, seeded by the length. */
export function chunkChecksum(body: Buffer): string {
  const seed = crc32(String(body.length));
  return String(crc32(body.subarray(0, 1000), seed) >>> 0);
}
