// The task sub-resources beyond create/list/delete: partial update, users for the assignee
// picker, labels, data meta and frames, annotations and the validation layout. Every answer is
// validated; CVAT's refusals reach the caller as SyncErrors carrying CVAT's own message.
import type { AbortSignalLike } from '../core/signal.js';
import type { z } from 'zod';
import type { CvatTask, CvatUser, LabelAttributeSpec } from './api.js';
import { getJson, sig } from './client-context.js';
import type { Transport } from './http.js';
import { taskSchema } from './schemas.js';
import type { labeledDataSchema } from './task-api-schemas.js';
import {
  annotationsReadSchema,
  dataMetaSchema,
  labelsPageSchema,
  usersPageSchema,
  validationLayoutSchema,
} from './task-api-schemas.js';

/** PatchedTaskWriteRequest (schema.yml): only the fields this app edits. */
export interface TaskPatch {
  name?: string;
  assignee_id?: number | null;
  subset?: string;
  project_id?: number;
  bug_tracker?: string;
  labels?: LabelPatch[];
}

/** PatchedLabelRequest: with id an existing label (renamed, or deleted: true), without a new one. */
export interface LabelPatch {
  id?: number;
  name?: string;
  color?: string;
  deleted?: boolean;
  attributes?: LabelAttributeSpec[];
}

export type CvatLabel = z.output<typeof labelsPageSchema>['results'][number];
export type DataMeta = z.output<typeof dataMetaSchema>;
export type LabeledData = z.output<typeof labeledDataSchema>;
export type AnnotationsRead = z.output<typeof annotationsReadSchema>;
export type ValidationLayout = z.output<typeof validationLayoutSchema>;
export type FrameQuality = 'compressed' | 'original';
export type AnnotationAction = 'create' | 'update' | 'delete';

export interface Media {
  contentType: string;
  bytes: Uint8Array;
}

export interface ValidationLayoutPatch {
  disabled_frames?: number[];
  frame_selection_method?: 'random_uniform' | 'random_per_job' | 'manual';
  honeypot_real_frames?: number[];
}

export interface CvatTaskApi {
  updateTask(id: number, patch: TaskPatch, signal?: AbortSignalLike): Promise<CvatTask>;
  /** Users matching `search` (username, first or last name), at most `limit`. */
  searchUsers(search: string, limit?: number, signal?: AbortSignalLike): Promise<CvatUser[]>;
  labels(
    of: { taskId: number } | { projectId: number },
    signal?: AbortSignalLike,
  ): Promise<CvatLabel[]>;
  dataMeta(taskId: number, signal?: AbortSignalLike): Promise<DataMeta>;
  setDeletedFrames(taskId: number, frames: number[], signal?: AbortSignalLike): Promise<DataMeta>;
  frame(
    taskId: number,
    number: number,
    quality: FrameQuality,
    signal?: AbortSignalLike,
  ): Promise<Media>;
  chunk(
    taskId: number,
    index: number,
    quality: FrameQuality,
    signal?: AbortSignalLike,
  ): Promise<Media>;
  annotations(taskId: number, signal?: AbortSignalLike): Promise<AnnotationsRead>;
  /** PUT: the task's annotations become exactly `data`. */
  replaceAnnotations(
    taskId: number,
    data: LabeledData,
    signal?: AbortSignalLike,
  ): Promise<AnnotationsRead>;
  /** PATCH ?action=create|update|delete. */
  patchAnnotations(
    taskId: number,
    action: AnnotationAction,
    data: LabeledData,
    signal?: AbortSignalLike,
  ): Promise<AnnotationsRead>;
  validationLayout(taskId: number, signal?: AbortSignalLike): Promise<ValidationLayout>;
  patchValidationLayout(
    taskId: number,
    patch: ValidationLayoutPatch,
    signal?: AbortSignalLike,
  ): Promise<ValidationLayout>;
}

export class TaskCalls implements CvatTaskApi {
  constructor(private readonly transport: Transport) {}

  updateTask(id: number, patch: TaskPatch, signal?: AbortSignalLike): Promise<CvatTask> {
    return this.sendJson(
      `update task ${id}`,
      'PATCH',
      `/api/tasks/${id}`,
      patch,
      taskSchema,
      signal,
    );
  }

  async searchUsers(search: string, limit = 20, signal?: AbortSignalLike): Promise<CvatUser[]> {
    const page = await this.transport.json(
      {
        operation: 'search users',
        method: 'GET',
        path: '/api/users',
        query: { search: search || undefined, page_size: limit, sort: 'username' },
        ...sig(signal),
      },
      usersPageSchema,
    );
    return page.results;
  }

  async labels(
    of: { taskId: number } | { projectId: number },
    signal?: AbortSignalLike,
  ): Promise<CvatLabel[]> {
    const query = 'taskId' in of ? { task_id: of.taskId } : { project_id: of.projectId };
    const out: CvatLabel[] = [];
    for (let page = 1; ; page++) {
      const r = await this.transport.json(
        {
          operation: 'list labels',
          method: 'GET',
          path: '/api/labels',
          query: { ...query, page, page_size: 100 },
          ...sig(signal),
        },
        labelsPageSchema,
      );
      out.push(...r.results);
      if (!r.next || r.results.length === 0) return out;
    }
  }

  dataMeta(taskId: number, signal?: AbortSignalLike): Promise<DataMeta> {
    return this.getJson(
      `get data meta of task ${taskId}`,
      `/api/tasks/${taskId}/data/meta`,
      dataMetaSchema,
      signal,
    );
  }

  setDeletedFrames(taskId: number, frames: number[], signal?: AbortSignalLike): Promise<DataMeta> {
    return this.sendJson(
      `update deleted frames of task ${taskId}`,
      'PATCH',
      `/api/tasks/${taskId}/data/meta`,
      { deleted_frames: [...new Set(frames)].sort((a, b) => a - b) },
      dataMetaSchema,
      signal,
    );
  }

  frame(
    taskId: number,
    number: number,
    quality: FrameQuality,
    signal?: AbortSignalLike,
  ): Promise<Media> {
    return this.media(
      `get frame ${number} of task ${taskId}`,
      taskId,
      { type: 'frame', number, quality },
      signal,
    );
  }

  chunk(
    taskId: number,
    index: number,
    quality: FrameQuality,
    signal?: AbortSignalLike,
  ): Promise<Media> {
    return this.media(
      `get chunk ${index} of task ${taskId}`,
      taskId,
      { type: 'chunk', number: index, quality },
      signal,
    );
  }

  annotations(taskId: number, signal?: AbortSignalLike): Promise<AnnotationsRead> {
    return this.getJson(
      `get annotations of task ${taskId}`,
      `/api/tasks/${taskId}/annotations`,
      annotationsReadSchema,
      signal,
    );
  }

  replaceAnnotations(
    taskId: number,
    data: LabeledData,
    signal?: AbortSignalLike,
  ): Promise<AnnotationsRead> {
    const operation = `replace annotations of task ${taskId}`;
    return this.writeAnnotations(operation, 'PUT', taskId, data, { signal });
  }

  patchAnnotations(
    taskId: number,
    action: AnnotationAction,
    data: LabeledData,
    signal?: AbortSignalLike,
  ): Promise<AnnotationsRead> {
    const operation = `${action} annotations of task ${taskId}`;
    return this.writeAnnotations(operation, 'PATCH', taskId, data, { signal, query: { action } });
  }

  validationLayout(taskId: number, signal?: AbortSignalLike): Promise<ValidationLayout> {
    return this.getJson(
      `get validation layout of task ${taskId}`,
      `/api/tasks/${taskId}/validation_layout`,
      validationLayoutSchema,
      signal,
    );
  }

  patchValidationLayout(
    taskId: number,
    patch: ValidationLayoutPatch,
    signal?: AbortSignalLike,
  ): Promise<ValidationLayout> {
    return this.sendJson(
      `update validation layout of task ${taskId}`,
      'PATCH',
      `/api/tasks/${taskId}/validation_layout`,
      patch,
      validationLayoutSchema,
      signal,
    );
  }

  private getJson<T extends z.ZodType>(
    operation: string,
    path: string,
    schema: T,
    signal: AbortSignalLike | undefined,
  ): Promise<z.output<T>> {
    return getJson(this.transport, operation, path, schema, signal);
  }

  private sendJson<T extends z.ZodType>(
    operation: string,
    method: 'PATCH' | 'PUT',
    path: string,
    json: unknown,
    schema: T,
    signal: AbortSignalLike | undefined,
  ): Promise<z.output<T>> {
    return this.transport.json({ operation, method, path, json, ...sig(signal) }, schema);
  }

  /** PUT replaces all of a task's annotations, PATCH ?action= creates, updates or deletes some. */
  private writeAnnotations(
    operation: string,
    method: 'PUT' | 'PATCH',
    taskId: number,
    data: LabeledData,
    extra: { signal: AbortSignalLike | undefined; query?: { action: AnnotationAction } },
  ): Promise<AnnotationsRead> {
    return this.transport.json(
      {
        operation,
        method,
        path: `/api/tasks/${taskId}/annotations`,
        ...(extra.query ? { query: extra.query } : {}),
        json: data,
        ...sig(extra.signal),
      },
      annotationsReadSchema,
    );
  }

  private async media(
    operation: string,
    taskId: number,
    query: { type: 'frame' | 'chunk'; number: number; quality: FrameQuality },
    signal?: AbortSignalLike,
  ): Promise<Media> {
    const open = await this.transport.open({
      operation,
      method: 'GET',
      path: `/api/tasks/${taskId}/data`,
      query,
      ...sig(signal),
    });
    return this.transport.bytes(operation, open);
  }
}
