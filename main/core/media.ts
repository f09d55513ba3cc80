// Media type by file extension, as CVAT decides it: a MIME guess from the file name
// (CVAT's cvat/apps/engine/media_extractors.py).
export type MediaKind =
  'image' | 'video' | 'audio' | 'zip' | 'archive' | 'pdf' | 'manifest' | 'pointcloud' | 'unknown';

const KINDS: Record<string, MediaKind> = {};
function add(kind: MediaKind, exts: string): void {
  for (const ext of exts.split(' ')) KINDS[ext] = kind;
}
add(
  'image',
  'jpg jpeg jpe jfif png bmp gif tif tiff webp ppm pgm pbm pnm jp2 j2k jpx ico heic heif avif',
);
add('video', 'mp4 m4v mov avi mkv webm mpg mpeg mpe ts m2ts mts flv wmv 3gp 3g2 ogv asf vob mxf');
add('audio', 'mp3 wav flac ogg oga m4a aac opus wma');
add('zip', 'zip');
add('archive', 'tar gz tgz bz2 tbz2 xz txz 7z rar cpio');
add('pdf', 'pdf');
add('manifest', 'jsonl');
add('pointcloud', 'pcd bin');

export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

export function mediaKindOf(name: string): MediaKind {
  return KINDS[extensionOf(name)] ?? 'unknown';
}

/** Kinds that must be alone in a task: exactly one per task (CVAT cannot mix them). */
export function isSoloKind(kind: MediaKind): boolean {
  return (
    kind === 'video' || kind === 'audio' || kind === 'zip' || kind === 'archive' || kind === 'pdf'
  );
}

const MIME: Partial<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  bmp: 'image/bmp',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  webp: 'image/webp',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  zip: 'application/zip',
  pdf: 'application/pdf',
};

export function mimeTypeOf(name: string): string {
  return MIME[extensionOf(name)] ?? 'application/octet-stream';
}
