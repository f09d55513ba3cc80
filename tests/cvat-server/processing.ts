// The task-creation worker: CVAT's media rules evaluated in the background, frame list, data
// fields and the job split (segment_size/overlap or job_file_mapping), as CVAT's task.py does.
import type { Core } from './core.js';
import type { JobContext } from './requests.js';
import type { DataRec, FrameRec, TaskRec } from './store.js';
import type { MediaKind } from './media.js';
import {
  fileSize,
  imageSize,
  kindOf,
  listArchive,
  pdfPages,
  readHead,
  streamHead,
  videoFrameCount,
  videoOpens,
} from './media.js';
import { exists, mediaPath } from './tus.js';
import { openZipMember } from './zip.js';
import { createRng } from './prng.js';
import type { PoolPlan, ValidationParams } from './validation-create.js';
import { finishValidation, planHoneypots } from './validation-create.js';

export interface CreateParams {
  imageQuality: number | null;
  chunkSize: number | null;
  startFrame: number;
  stopFrame: number | null;
  frameFilter: string;
  sortingMethod: 'lexicographical' | 'natural' | 'predefined' | 'random';
  uploadFileOrder: string[] | null;
  jobFileMapping: string[][] | null;
  useZipChunks: boolean;
  serverFiles: string[];
  remoteFiles: string[];
  /** DataSerializer.validation_params (absent in requests stored before it was parsed). */
  validation?: ValidationParams | null;
}

const UNIQUE: MediaKind[] = ['video', 'audio', 'archive', 'pdf', 'zip'];
const MULTIPLE: MediaKind[] = ['image', 'pointcloud'];

function naturalKey(s: string): Array<string | number> {
  return s.split(/(\d+)/).map((p, i) => (i % 2 ? Number(p) : p.toLowerCase()));
}

function naturalCompare(a: string, b: string): number {
  const x = naturalKey(a);
  const y = naturalKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export function sortNames(
  names: string[],
  method: CreateParams['sortingMethod'],
  seed: number,
): string[] {
  if (method === 'predefined') return [...names];
  if (method === 'natural') return [...names].sort(naturalCompare);
  const sorted = [...names].sort();
  if (method === 'random') {
    const rng = createRng(seed);
    for (let i = sorted.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [sorted[i], sorted[j]] = [sorted[j] as string, sorted[i] as string];
    }
  }
  return sorted;
}

function defaultChunkSize(frames: FrameRec[]): number {
  const area = Math.max(0, ...frames.map((f) => f.width * f.height));
  if (!area) return 36;
  return Math.max(2, Math.min(72, Math.floor((36 * 1920 * 1080) / area)));
}

/** Runs CVAT's media checks and fills task.data / jobs. Throws with CVAT-like messages. */
export async function processTask(
  core: Core,
  task: TaskRec,
  p: CreateParams,
  job: JobContext,
): Promise<void> {
  const data = task.data as DataRec;
  if (p.remoteFiles.length)
    throw new Error('ValueError: The test server cannot download remote files');
  if (p.serverFiles.length)
    throw new Error(
      `FileNotFoundError: [Errno 2] No such file or directory: '/home/django/share/${p.serverFiles[0]}'`,
    );
  await job.progress(0.05, 'Media files are being checked');
  const names = [...new Set(data.clientFiles)];
  for (const name of names) {
    if (!(await exists(mediaPath(core, task.id, name)))) {
      throw new Error(
        `FileNotFoundError: [Errno 2] No such file or directory: '/home/django/data/data/${data.id}/raw/${name}'`,
      );
    }
  }
  const byKind = new Map<MediaKind, string[]>();
  for (const name of names) byKind.set(kindOf(name), [...(byKind.get(kindOf(name)) ?? []), name]);
  const manifests = byKind.get('manifest') ?? [];
  if (manifests.length > 1)
    throw new Error('ValueError: Only one manifest file can be attached to data');
  if (manifests.length && p.sortingMethod === 'random')
    throw new Error(
      "ValueError: It isn't supported to upload manifest file and use random sorting",
    );
  const unique = UNIQUE.reduce((n, k) => n + (byKind.get(k)?.length ?? 0), 0);
  const multiple = MULTIPLE.reduce((n, k) => n + (byKind.get(k)?.length ?? 0), 0);
  if ((unique === 1 && multiple > 0) || unique > 1) {
    const counts = ['image', 'video', 'audio', 'archive', 'pdf', 'zip', 'pointcloud']
      .map((k) => `${byKind.get(k as MediaKind)?.length ?? 0} ${k}(s)`)
      .join(', ');
    throw new Error(
      `ValueError: Only one video, audio, archive, pdf, zip or many image, pointcloud can be used simultaneously, but ${counts} found.`,
    );
  }
  if (unique === 0 && multiple === 0) throw new Error('ValueError: No media data found');

  const kind = (UNIQUE.find((k) => byKind.get(k)?.length) ??
    MULTIPLE.find((k) => byKind.get(k)?.length)) as MediaKind;
  const source = byKind.get(kind) ?? [];
  if (p.imageQuality === null && kind !== 'audio') {
    throw new Error(
      "ValueError: The 'image_quality' parameter is required for image and video tasks",
    );
  }
  const seed = task.id;
  let frames: FrameRec[] = [];
  if (kind === 'image' || kind === 'pointcloud') {
    let order = sortNames(source, p.sortingMethod, seed);
    if (p.sortingMethod === 'predefined' && p.uploadFileOrder?.length)
      order = p.uploadFileOrder.filter((n) => source.includes(n));
    for (const [i, name] of order.entries()) {
      const size =
        kind === 'image'
          ? imageSize(await readHead(mediaPath(core, task.id, name)), name)
          : { width: 1, height: 1 };
      if (!size)
        throw new Error(
          `PIL.UnidentifiedImageError: cannot identify image file '/home/django/data/data/${data.id}/raw/${name}'`,
        );
      frames.push({ name, ...size });
      if (i % 50 === 0)
        await job.progress(
          0.1 + (0.6 * i) / order.length,
          `Images are being processed ${i}/${order.length}`,
        );
    }
  } else if (kind === 'zip' || kind === 'archive') {
    const archive = source[0] as string;
    const path = mediaPath(core, task.id, archive);
    const members = (await listArchive(path, archive)).filter((e) => kindOf(e.name) === 'image');
    if (!members.length) throw new Error('ValueError: No media data found');
    for (const name of sortNames(
      members.map((m) => m.name),
      p.sortingMethod === 'predefined' ? 'lexicographical' : p.sortingMethod,
      seed,
    )) {
      const head =
        kind === 'zip' ? await streamHead(await openZipMember(path, name)) : Buffer.from([1]);
      const size = imageSize(head, name);
      if (!size)
        throw new Error(`PIL.UnidentifiedImageError: cannot identify image file '${name}'`);
      frames.push({ name, ...size });
    }
  } else if (kind === 'pdf') {
    const pdf = source[0] as string;
    const pages = await pdfPages(mediaPath(core, task.id, pdf));
    frames = Array.from({ length: pages }, (_, i) => ({
      name: `${pdf.replace(/\.pdf$/i, '')}_${String(i).padStart(6, '0')}.jpg`,
      width: 1240,
      height: 1754,
    }));
  } else {
    const file = source[0] as string;
    const bytes = await fileSize(mediaPath(core, task.id, file));
    if (bytes === 0) throw new Error(`ValueError: The '${file}' file is empty`);
    if (kind === 'video' && !(await videoOpens(mediaPath(core, task.id, file), bytes)))
      throw new Error(
        `av.error.InvalidDataError: [Errno 1094995529] Invalid data found when processing input: '/home/django/data/data/${data.id}/raw/${file}'`,
      );
    const count = videoFrameCount(bytes);
    frames = Array.from({ length: count }, (_, i) => ({
      name: `frame_${String(i).padStart(6, '0')}`,
      width: 1920,
      height: 1080,
    }));
  }
  await job.progress(0.75, 'Preparing the job list');

  // Frame range and step.
  const step = Number(/step\s*=\s*(\d+)/.exec(p.frameFilter)?.[1] ?? 1);
  const last = frames.length - 1;
  if (p.startFrame > last)
    throw new Error(
      `ValueError: The start frame ${p.startFrame} is out of the range of the data (0-${last})`,
    );
  const stop = Math.min(p.stopFrame ?? last, last);
  const selected = frames.filter(
    (_, i) => i >= p.startFrame && i <= stop && (i - p.startFrame) % step === 0,
  );
  if (!selected.length)
    throw new Error('ValueError: No media data found for the specified frame range');

  const isVideo = kind === 'video' || kind === 'audio';
  let size = selected.length;
  const jobs: Array<[number, number]> = [];
  const pool: PoolPlan | null =
    p.validation?.mode === 'gt_pool'
      ? planHoneypots(
          task,
          selected,
          p.validation,
          p.sortingMethod,
          !!p.jobFileMapping?.length,
          kind === 'image',
        )
      : null;
  if (pool) {
    // Honeypots are placed by a job file mapping of task.py's own (segment_size reads 0).
    selected.splice(0, selected.length, ...pool.frames);
    jobs.push(...pool.jobs);
    task.segmentSize = 0;
    task.overlap = 0;
  } else if (p.jobFileMapping?.length) {
    if (task.segmentSize)
      throw new Error("ValidationError: job_file_mapping can't be used together with segment_size");
    if (isVideo)
      throw new Error("ValidationError: job_file_mapping can't be used with video or audio");
    if (p.startFrame !== 0 || p.stopFrame !== null || step !== 1)
      throw new Error("ValidationError: job_file_mapping can't be used with a frame range or step");
    const ordered = p.jobFileMapping.flat();
    const known = new Set(selected.map((f) => f.name));
    const missing = ordered.filter((n) => !known.has(n));
    if (missing.length)
      throw new Error(
        `ValidationError: Job file mapping files are missing in the input files: ${missing.slice(0, 5).join(', ')}`,
      );
    if (ordered.length !== known.size)
      throw new Error('ValidationError: Some input files are not included in the job file mapping');
    const byName = new Map(selected.map((f) => [f.name, f]));
    selected.splice(0, selected.length, ...ordered.map((n) => byName.get(n) as FrameRec));
    let start = 0;
    for (const files of p.jobFileMapping) {
      jobs.push([start, start + files.length - 1]);
      start += files.length;
    }
    task.segmentSize = 0;
    task.overlap = 0;
  } else {
    let segment = task.segmentSize;
    if (segment === 0 || segment > size) segment = size;
    const overlap = Math.min(task.overlap ?? (isVideo ? 5 : 0), Math.floor(segment / 2));
    const stepSize = Math.max(1, segment - overlap);
    for (let start = 0; start < Math.max(1, size - overlap); start += stepSize)
      jobs.push([start, Math.min(start + segment - 1, size - 1)]);
    task.segmentSize = segment;
    task.overlap = overlap;
  }
  if (jobs.length > 5000)
    throw new Error(
      'ValidationError: Too many jobs would be created for this task (limit is 5000)',
    );

  const now = core.now();
  size = selected.length;
  data.frames = selected;
  data.size = size;
  data.imageQuality = p.imageQuality ?? 70;
  data.chunkSize = p.chunkSize || defaultChunkSize(selected);
  data.stopFrame = p.startFrame + (size - 1) * step;
  data.mediaType =
    kind === 'pointcloud'
      ? 'point_cloud'
      : kind === 'audio'
        ? 'audio'
        : kind === 'video'
          ? 'video'
          : 'image';
  data.originalChunkType = kind === 'audio' ? 'audio_mp3' : kind === 'video' ? 'video' : 'imageset';
  data.compressedChunkType =
    kind === 'audio' ? 'audio_mp3' : kind === 'video' && !p.useZipChunks ? 'video' : 'imageset';
  task.mode = isVideo ? 'interpolation' : 'annotation';
  // Audio tasks are 1d (fixture tasks.json task 36, jobs.json job 65).
  task.dimension = kind === 'pointcloud' ? '3d' : kind === 'audio' ? '1d' : '2d';
  task.updatedDate = now;
  for (const [start, stopFrame] of jobs) {
    core.state.jobs.push({
      id: core.store.nextId('job'),
      taskId: task.id,
      startFrame: start,
      stopFrame,
      frameCount: stopFrame - start + 1,
      stage: 'annotation',
      state: 'new',
      assigneeId: null,
      assigneeUpdatedDate: null,
      createdDate: now,
      updatedDate: now,
    });
  }
  if (p.validation) finishValidation(core, task, p.validation, pool);
  await job.progress(0.95, 'Finalizing');
}
