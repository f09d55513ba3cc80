// Annotations as CVAT's own JSON (LabeledData): pull a task's into a file, push a file into a
// task (PUT to replace; PATCH ?action=create|update|delete). The file is checked against CVAT's
// schema before anything is sent, so model pre-annotations reach CVAT without a converter.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { AnnotationCounts, PushAnnotationsRequest } from '../../preload/contract.js';
import { SyncError } from '../core/errors.js';
import type { CvatApi } from '../cvat/api.js';
import { labeledDataSchema } from '../cvat/task-api-schemas.js';
import type { AnnotationsRead, LabeledData } from '../cvat/task-calls.js';
import { taskApiOf } from './task-edit.js';

const bad = (message: string, hint?: string) =>
  new SyncError(message, {
    code: 'invalid-annotations',
    kind: 'item',
    hint:
      hint ??
      'The file must be CVAT annotation JSON: {"tags": [...], "shapes": [...], "tracks": [...]}, as `cvat-sync annotations pull` writes it.',
  });

/** Parses and checks an annotation file; the error names the first offending field. */
export function parseAnnotationsFile(text: string, name: string): LabeledData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(`${name} is not JSON: ${(e as Error).message}`);
  }
  const r = labeledDataSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = (issue?.path ?? []).reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
  throw bad(`${name}: ${field || 'file'}: ${issue?.message ?? 'not CVAT annotations'}`);
}

export function countsOf(d: Pick<AnnotationsRead, 'tags' | 'shapes' | 'tracks'>): AnnotationCounts {
  return { tags: d.tags.length, shapes: d.shapes.length, tracks: d.tracks.length };
}

/** Objects without ids: CVAT gives new ones on create. */
function withoutIds(d: LabeledData): LabeledData {
  const strip = <T extends { id?: number | null | undefined }>(xs: T[] | undefined) =>
    xs?.map(({ id: _id, ...rest }) => rest as T);
  const out: LabeledData = { ...d };
  if (d.tags) out.tags = strip(d.tags);
  if (d.shapes) out.shapes = strip(d.shapes);
  if (d.tracks) out.tracks = strip(d.tracks);
  if (d.intervals) out.intervals = strip(d.intervals);
  return out;
}

function requireIds(d: LabeledData, mode: string): void {
  for (const kind of ['tags', 'shapes', 'tracks'] as const) {
    const i = (d[kind] ?? []).findIndex((o) => typeof o.id !== 'number');
    if (i >= 0)
      throw bad(
        `${kind}[${i}] has no id: --mode ${mode} changes existing objects by their id.`,
        'Pull the annotations first (they carry ids), edit that file, and push it back.',
      );
  }
}

export async function pullAnnotations(
  api: CvatApi,
  taskId: number,
  path: string,
): Promise<{ path: string; counts: AnnotationCounts }> {
  const data = await taskApiOf(api).annotations(taskId);
  // Written next to the target first, then renamed: an interrupted pull leaves no half file.
  const tmp = join(dirname(path), `.${basename(path)}.part`);
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
  await rename(tmp, path);
  return { path, counts: countsOf(data) };
}

export async function pushAnnotations(
  api: CvatApi,
  req: PushAnnotationsRequest,
): Promise<AnnotationCounts> {
  let text = req.content;
  const name = req.path ? basename(req.path) : (req.name ?? 'annotations');
  if (text === undefined) {
    if (!req.path) throw bad('Give an annotation file.');
    try {
      text = await readFile(req.path, 'utf8');
    } catch (e) {
      throw new SyncError(
        `Cannot read ${req.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`,
        {
          code: 'missing-path',
          kind: 'item',
          hint: 'Check the path of the annotation file.',
        },
      );
    }
  }
  const data = parseAnnotationsFile(text, name);
  const calls = taskApiOf(api);
  let answer: AnnotationsRead;
  if (req.mode === 'replace') answer = await calls.replaceAnnotations(req.taskId, withoutIds(data));
  else if (req.mode === 'append')
    answer = await calls.patchAnnotations(req.taskId, 'create', withoutIds(data));
  else {
    requireIds(data, req.mode);
    answer = await calls.patchAnnotations(req.taskId, req.mode, data);
  }
  return countsOf(answer);
}
