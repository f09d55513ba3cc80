// A task's frames for browsing and for `tasks frames`: data/meta as frame rows (task frame
// number, source frame with start and step, name, size, deleted), single frames, and marking
// frames deleted or restored.
import type { FrameInfo, TaskFrames } from '../../preload/contract.js';
import { SyncError } from '../core/errors.js';
import type { CvatApi } from '../cvat/api.js';
import type { DataMeta, FrameQuality } from '../cvat/task-calls.js';
import { taskApiOf } from './task-edit.js';

export function framesOf(taskId: number, meta: DataMeta): TaskFrames {
  const step = Number(/step\s*=\s*(\d+)/.exec(meta.frame_filter)?.[1] ?? 1) || 1;
  const deleted = new Set(meta.deleted_frames);
  // A video's meta lists its one file: its frames are named after it.
  const single = meta.frames.length === 1 && meta.size > 1 ? meta.frames[0] : undefined;
  const frames: FrameInfo[] = [];
  for (let i = 0; i < meta.size; i++) {
    const f = single ?? meta.frames[i];
    const source = meta.start_frame + i * step;
    frames.push({
      index: i,
      sourceFrame: source,
      name: single ? `${single.name} #${source}` : (f?.name ?? `frame ${i}`),
      width: f?.width ?? null,
      height: f?.height ?? null,
      deleted: deleted.has(i),
    });
  }
  return {
    taskId,
    size: meta.size,
    chunkSize: meta.chunk_size,
    startFrame: meta.start_frame,
    stopFrame: meta.stop_frame,
    frameStep: step,
    deleted: [...deleted].sort((a, b) => a - b),
    frames,
  };
}

export async function taskFrames(api: CvatApi, taskId: number): Promise<TaskFrames> {
  return framesOf(taskId, await taskApiOf(api).dataMeta(taskId));
}

export async function frameDataUrl(
  api: CvatApi,
  taskId: number,
  frame: number,
  quality: FrameQuality,
): Promise<string> {
  const m = await taskApiOf(api).frame(taskId, frame, quality);
  return `data:${m.contentType};base64,${Buffer.from(m.bytes).toString('base64')}`;
}

export async function changeDeletedFrames(
  api: CvatApi,
  taskId: number,
  del: number[],
  restore: number[],
): Promise<TaskFrames> {
  const calls = taskApiOf(api);
  const meta = await calls.dataMeta(taskId);
  const outside = [...del, ...restore].filter((f) => f >= meta.size);
  if (outside.length)
    throw new SyncError(
      `Task #${taskId} has frames 0-${meta.size - 1}; ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among them.`,
      { code: 'usage', kind: 'item', hint: 'List the frames with `cvat-sync tasks frames ID`.' },
    );
  const next = new Set(meta.deleted_frames);
  for (const f of del) next.add(f);
  for (const f of restore) next.delete(f);
  return framesOf(taskId, await calls.setDeletedFrames(taskId, [...next]));
}

/** "0-99,120,130-140" -> frame numbers (sorted, unique). */
export function parseFrameList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m)
      throw new SyncError(`"${part}" is not a frame number or range (like 3 or 0-99).`, {
        code: 'usage',
        kind: 'item',
      });
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a)
      throw new SyncError(`Range ${part} runs backwards.`, { code: 'usage', kind: 'item' });
    if (b - a > 1_000_000)
      throw new SyncError(`Range ${part} is too long.`, { code: 'usage', kind: 'item' });
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}
