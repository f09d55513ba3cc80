// The task side of the contract: listing, previews, deleting and editing tasks, frames,
// validation layouts, annotations, verification, and the checks in front of exports, backups
// and imports. Methods throw SyncErrors; SyncServiceImpl turns them into Results.
import { join } from 'node:path';
import type {
  AnnotationCounts,
  BackupRequest,
  ExportRequest,
  FormatList,
  ImportAnnotationsRequest,
  ProjectSummary,
  PushAnnotationsRequest,
  RestoreRequest,
  TaskEdit,
  TaskFrames,
  TaskLabel,
  TaskPage,
  TaskQuery,
  TaskSummary,
  Transfer,
  UserSummary,
  ValidationLayoutInfo,
  VerifyReport,
} from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import { SyncError } from '../core/errors.js';
import type { CvatApi, Formats } from '../cvat/api.js';
import { verifyFolder } from '../engine/verify/verify.js';
import { pullAnnotations, pushAnnotations } from './annotations.js';
import type { Connection } from './connection.js';
import type { Folders } from '../engine/folders/folders.js';
import type { StatusReporter } from './status-snapshot.js';
import { closeMatches } from './suggest.js';
import { editTask, listTaskLabels, searchUsers, taskApiOf } from './task-edit.js';
import { changeDeletedFrames, frameDataUrl, taskFrames } from './task-frames.js';
import { toListQuery, toTaskSummary, webUrlOf } from './task-view.js';
import type { TransferService } from './transfer-service.js';
import { updateValidationLayout, validationLayout } from './validation.js';

export interface TasksServiceParts {
  clock: Clock;
  connection: Connection;
  folders: Folders;
  transfers: TransferService;
  reporter: StatusReporter;
  /** Where exports, backups and pulled annotations go unless the call names a place. */
  downloadsDir: () => string;
  /** Throws when this service may not change anything (another engine holds the journal). */
  writable: () => void;
  openExternal?: ((url: string) => void) | undefined;
}

type Side = 'importers' | 'exporters';

export class TasksService {
  private formatsCache: { api: CvatApi; formats: Promise<Formats> } | null = null;

  constructor(private readonly parts: TasksServiceParts) {}

  async listTasks(query: TaskQuery): Promise<TaskPage> {
    const api = this.api();
    const page = await api.listTasks(toListQuery(query));
    const local = this.parts.folders.localFolderLookup();
    return {
      count: page.count,
      results: page.results.map((task) => toTaskSummary(task, api.server, local)),
    };
  }

  async listProjects(): Promise<ProjectSummary[]> {
    const page = await this.api().listProjects({ page_size: 'all', sort: 'name' });
    return page.results.map((project) => ({ id: project.id, name: project.name }));
  }

  async preview(taskId: number): Promise<string | null> {
    const image = await this.api().preview(taskId);
    return image
      ? `data:${image.contentType};base64,${Buffer.from(image.bytes).toString('base64')}`
      : null;
  }

  async deleteTasks(ids: number[]): Promise<{ deleted: number[] }> {
    const api = this.api();
    const deleted: number[] = [];
    for (const id of ids) {
      if ((await api.findTask(id)) === null) throw notFoundTask(id);
      await api.deleteTask(id);
      deleted.push(id);
    }
    const what = `${deleted.length === 1 ? 'task' : 'tasks'} ${deleted.join(', ')}`;
    this.parts.reporter.record('info', 'tasks', `Deleted ${what} on the server.`);
    this.parts.reporter.tasksChanged(deleted);
    return { deleted };
  }

  openInCvat(taskId: number): string {
    const server = this.parts.connection.credentials?.server;
    if (!server) throw this.parts.connection.require();
    const url = webUrlOf(server, taskId);
    this.parts.openExternal?.(url);
    return url;
  }

  async listFormats(): Promise<FormatList> {
    const formats = await this.formats();
    const view = (entry: Formats['exporters'][number]) => ({
      name: entry.name,
      ext: entry.ext,
      dimension: entry.dimension,
      enabled: entry.enabled,
    });
    return { importers: formats.importers.map(view), exporters: formats.exporters.map(view) };
  }

  async exportDataset(request: ExportRequest): Promise<Transfer> {
    this.parts.writable();
    await this.checkTarget(request.target);
    await this.checkFormat('exporters', request.format);
    return this.parts.transfers.exportDataset({
      ...request,
      destination: request.destination ?? this.parts.downloadsDir(),
    });
  }

  async backup(request: BackupRequest): Promise<Transfer> {
    this.parts.writable();
    await this.checkTarget(request.target);
    return this.parts.transfers.backup({
      ...request,
      destination: request.destination ?? this.parts.downloadsDir(),
    });
  }

  restoreBackup(request: RestoreRequest): Transfer {
    this.parts.writable();
    this.api();
    return this.parts.transfers.restore(request);
  }

  async importAnnotations(request: ImportAnnotationsRequest): Promise<Transfer> {
    this.parts.writable();
    await this.checkTarget({ kind: 'task', id: request.taskId });
    await this.checkFormat('importers', request.format);
    return this.parts.transfers.importAnnotations(request);
  }

  async editTask(edit: TaskEdit): Promise<TaskSummary> {
    const api = this.api();
    const task = await editTask(api, edit);
    this.changed(task.id, 'tasks', `Edited task #${task.id} “${task.name}” on the server.`);
    return toTaskSummary(task, api.server, this.parts.folders.localFolderLookup());
  }

  searchUsers(search: string): Promise<UserSummary[]> {
    return searchUsers(this.api(), search);
  }

  listTaskLabels(taskId: number): Promise<TaskLabel[]> {
    return listTaskLabels(this.api(), taskId);
  }

  verifyFolder(which: { id?: number; path?: string }): Promise<VerifyReport> {
    const calls = taskApiOf(this.api());
    return verifyFolder(this.parts.folders.verifySource(which), calls, this.parts.clock);
  }

  verifyTask(taskId: number): Promise<VerifyReport> {
    const calls = taskApiOf(this.api());
    const source = this.parts.folders.verifySourceOfTask(taskId);
    if (!source)
      throw new SyncError(`Task #${taskId} was not created from a sync folder of this app.`, {
        code: 'not-from-folder',
        kind: 'item',
        hint: 'Verify compares a task with the local files it came from; this task has none here.',
      });
    return verifyFolder(source, calls, this.parts.clock);
  }

  frames(taskId: number): Promise<TaskFrames> {
    return taskFrames(this.api(), taskId);
  }

  frame(request: {
    taskId: number;
    frame: number;
    quality: 'compressed' | 'original';
  }): Promise<string> {
    return frameDataUrl(this.api(), request.taskId, request.frame, request.quality);
  }

  async setDeletedFrames(request: {
    taskId: number;
    delete?: number[];
    restore?: number[];
  }): Promise<TaskFrames> {
    const { taskId } = request;
    const frames = await changeDeletedFrames(
      this.api(),
      taskId,
      request.delete ?? [],
      request.restore ?? [],
    );
    const changes = [
      request.delete?.length ? `marked frames ${request.delete.join(', ')} deleted` : '',
      request.restore?.length ? `restored frames ${request.restore.join(', ')}` : '',
    ].filter(Boolean);
    this.changed(taskId, 'frames', `Task #${taskId}: ${changes.join('; ')}.`);
    return frames;
  }

  validationLayout(taskId: number): Promise<ValidationLayoutInfo> {
    return validationLayout(this.api(), taskId);
  }

  async updateValidationLayout(request: {
    taskId: number;
    shuffleHoneypots?: boolean;
    disableFrames?: number[];
  }): Promise<ValidationLayoutInfo> {
    const layout = await updateValidationLayout(this.api(), request);
    const message = `Updated the validation layout of task #${request.taskId}.`;
    this.parts.reporter.record('info', 'validation', message, { taskId: request.taskId });
    return layout;
  }

  async pullAnnotations(request: {
    taskId: number;
    path?: string | null;
  }): Promise<{ path: string; counts: AnnotationCounts }> {
    const { taskId } = request;
    const target =
      request.path ?? join(this.parts.downloadsDir(), `task-${taskId}-annotations.json`);
    const pulled = await pullAnnotations(this.api(), taskId, target);
    const message = `Saved the annotations of task #${taskId} to ${pulled.path}.`;
    this.parts.reporter.record('info', 'annotations', message, { taskId });
    return pulled;
  }

  async pushAnnotations(request: PushAnnotationsRequest): Promise<AnnotationCounts> {
    const counts = await pushAnnotations(this.api(), request);
    this.changed(
      request.taskId,
      'annotations',
      `Sent annotations to task #${request.taskId} (${request.mode}): ${counts.shapes} shapes, ${counts.tags} tags, ${counts.tracks} tracks.`,
    );
    return counts;
  }

  private api(): CvatApi {
    return this.parts.connection.require();
  }

  /** A change to one task: in the activity log, and a tasks-changed event. */
  private changed(taskId: number, kind: string, message: string): void {
    this.parts.reporter.record('info', kind, message, { taskId });
    this.parts.reporter.tasksChanged([taskId]);
  }

  /** The server's formats, asked once per client. */
  private formats(): Promise<Formats> {
    const api = this.api();
    if (this.formatsCache?.api !== api) {
      const formats = api.formats();
      this.formatsCache = { api, formats };
      formats.catch(() => {
        if (this.formatsCache?.formats === formats) this.formatsCache = null;
      });
    }
    return this.formatsCache.formats;
  }

  /** Unknown format names fail here with the closest names the server knows. */
  private async checkFormat(side: Side, name: string): Promise<void> {
    const list = (await this.formats())[side];
    const found = list.find((format) => format.name === name);
    if (found && found.enabled) return;
    const operation = side === 'exporters' ? 'export' : 'import';
    if (found) {
      throw new SyncError(`The format "${name}" is disabled on this server.`, {
        code: 'format-disabled',
        kind: 'item',
        operation,
      });
    }
    const enabled = list.filter((format) => format.enabled).map((format) => format.name);
    const near = closeMatches(name, enabled);
    throw new SyncError(`Unknown ${operation} format "${name}".`, {
      code: 'unknown-format',
      kind: 'item',
      operation,
      hint: near.length
        ? `Did you mean ${near.map((n) => `"${n}"`).join(', ')}? \`cvat-sync formats\` lists them all.`
        : '`cvat-sync formats` lists the formats this server knows.',
    });
  }

  private async checkTarget(target: { kind: 'task' | 'project'; id: number }): Promise<void> {
    const api = this.api();
    if (target.kind === 'task') {
      if ((await api.findTask(target.id)) === null) throw notFoundTask(target.id);
      return;
    }
    const page = await api.listProjects({
      filter: { '==': [{ var: 'id' }, target.id] },
      page_size: 1,
    });
    if (page.count === 0) {
      throw new SyncError(`Project ${target.id} does not exist, or this account cannot see it.`, {
        code: 'not-found',
        kind: 'item',
        operation: 'find project',
        status: 404,
        hint: 'Check the id in CVAT (Projects page) and the organization (--org).',
      });
    }
  }
}

function notFoundTask(id: number): SyncError {
  return new SyncError(`Task ${id} does not exist, or this account cannot see it.`, {
    code: 'not-found',
    kind: 'item',
    operation: 'find task',
    status: 404,
    hint: 'Check the id with `cvat-sync tasks ls` (and the organization, --org).',
  });
}
