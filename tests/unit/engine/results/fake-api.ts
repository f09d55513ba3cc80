// An in-memory stand-in for the parts of CvatApi the results engine uses. Each behaviour the
// engine must cope with (broken connections, no Range, expiry, failed requests) is a switch.
import { SyncError } from '../../../../main/core/errors.js';
import type {
  CvatApi,
  CvatRequest,
  CvatTask,
  DownloadOptions,
  DownloadResponse,
  ExportTargetRef,
  ListQuery,
  Page,
  TransferCallbacks,
  TusUploadOptions,
  UploadFile,
} from '../../../../main/cvat/api.js';

export interface FakeResult {
  bytes: Uint8Array;
  filename: string | null;
}

interface FakeRequest {
  record: CvatRequest;
  result: FakeResult | null;
}

export class FakeResultsApi {
  readonly server = 'http://fake.test';
  readonly org = null;
  readonly tasks = new Map<number, CvatTask>();
  readonly requests = new Map<string, FakeRequest>();
  /** What the next export produces. */
  nextResult: FakeResult = {
    bytes: new Uint8Array(1000).map((_, i) => i % 251),
    filename: 'task_1_dataset.zip',
  };
  /** Ends the next download bodies after this many bytes with a socket error (one entry per download). */
  breakAfter: number[] = [];
  rangeSupport = true;
  /** Makes the next waitForRequest answer null (the request expired). */
  expireRequests = 0;
  /** Makes the next downloads find their request expired: 400 "Unknown export request id", as CVAT. */
  expireDownloads = 0;
  /** Makes the next downloads find the request alive but its file gone: 404. */
  loseFiles = 0;
  /** Answers downloads of live requests with this 400 (e.g. a result saved to a cloud storage). */
  refuseDownloadsWith: string | null = null;
  failExportWith: string | null = null;
  exportCalls: Array<{ target: ExportTargetRef; format: string | null; saveImages: boolean }> = [];
  downloads: Array<{ url: string; resumeFrom: number; status: number }> = [];
  imports: Array<{
    kind: 'backup' | 'annotations';
    file: UploadFile;
    resumeUrl: string | null;
    projectId?: number | null;
    format?: string;
    mode?: string;
  }> = [];
  /** Fails the next import uploads after onCreated with a network error. */
  breakImports = 0;
  private seq = 0;

  addTask(id: number, patch: Partial<CvatTask> = {}): CvatTask {
    const task: CvatTask = {
      id,
      name: `task ${id}`,
      url: `${this.server}/api/tasks/${id}`,
      project_id: null,
      owner: null,
      assignee: null,
      status: 'annotation',
      size: 3,
      media_type: 'image',
      mode: 'annotation',
      subset: '',
      bug_tracker: '',
      segment_size: 0,
      overlap: 0,
      data: 1,
      created_date: '2026-01-01T00:00:00.000Z',
      updated_date: '2026-01-01T00:00:00.000Z',
      jobs: { count: 1, completed: 0, validation: 0 },
      ...patch,
    };
    this.tasks.set(id, task);
    return task;
  }

  asApi(): CvatApi {
    return this as unknown as CvatApi;
  }

  async findTask(id: number): Promise<CvatTask | null> {
    return this.tasks.get(id) ?? null;
  }

  async listTasks(query: ListQuery = {}): Promise<Page<CvatTask>> {
    const results = this.filterTasks(query);
    return { count: results.length, next: null, previous: null, results };
  }

  async *iterateTasks(query: ListQuery = {}): AsyncIterable<CvatTask> {
    yield* this.filterTasks(query);
  }

  private filterTasks(query: ListQuery): CvatTask[] {
    let tasks = [...this.tasks.values()];
    if (typeof query.project_id === 'number')
      tasks = tasks.filter((t) => t.project_id === query.project_id);
    const filter = query.filter as { in?: [unknown, number[]] } | undefined;
    if (filter?.in) tasks = tasks.filter((t) => filter.in?.[1].includes(t.id));
    return tasks;
  }

  async exportDataset(
    target: ExportTargetRef,
    format: string,
    saveImages: boolean,
  ): Promise<string> {
    this.exportCalls.push({ target, format, saveImages });
    if (format === 'Unknown 9.9') {
      throw new SyncError('export dataset: 400 ["Unknown format specified for the request"]', {
        code: 'bad-request',
        kind: 'item',
        status: 400,
        operation: 'export dataset',
      });
    }
    return this.newRequest('export:dataset', target, format);
  }

  async exportBackup(target: { kind: 'task' | 'project'; id: number }): Promise<string> {
    this.exportCalls.push({ target, format: null, saveImages: false });
    return this.newRequest('export:backup', target, null);
  }

  private newRequest(type: string, target: ExportTargetRef, format: string | null): string {
    const id = `rq-${++this.seq}`;
    const failed = this.failExportWith !== null;
    this.requests.set(id, {
      record: {
        id,
        status: failed ? 'failed' : 'finished',
        message: this.failExportWith ?? '',
        progress: 1,
        operation: {
          type,
          target: target.kind,
          task_id: target.kind === 'task' ? target.id : null,
          project_id: null,
          job_id: null,
          format,
        },
        created_date: '2026-01-01T00:00:00.000Z',
        started_date: null,
        finished_date: null,
        expiry_date: null,
        result_url: failed ? null : `${this.server}/api/download?rq_id=${id}`,
        result_id: null,
      },
      result: failed
        ? null
        : { bytes: this.nextResult.bytes.slice(), filename: this.nextResult.filename },
    });
    return id;
  }

  async getRequest(rqId: string): Promise<CvatRequest | null> {
    return this.requests.get(rqId)?.record ?? null;
  }

  async waitForRequest(rqId: string): Promise<CvatRequest | null> {
    if (this.expireRequests > 0) {
      this.expireRequests--;
      this.requests.delete(rqId);
      return null;
    }
    const r = this.requests.get(rqId);
    if (!r)
      throw new SyncError(`poll request: 404`, {
        code: 'not-found',
        kind: 'item',
        status: 404,
        operation: 'poll request',
      });
    return r.record;
  }

  async download(url: string, options: DownloadOptions = {}): Promise<DownloadResponse> {
    const rqId = new URL(url).searchParams.get('rq_id') ?? '';
    const resumeFrom = options.resumeFrom ?? 0;
    if (this.expireDownloads > 0) {
      this.expireDownloads--;
      this.requests.delete(rqId);
    }
    const result = this.requests.get(rqId)?.result;
    if (!result) {
      this.downloads.push({ url, resumeFrom, status: 400 });
      throw new SyncError('download failed: HTTP 400 Bad Request — Unknown export request id', {
        code: 'bad-request',
        kind: 'item',
        status: 400,
        operation: 'download',
      });
    }
    if (this.refuseDownloadsWith !== null) {
      this.downloads.push({ url, resumeFrom, status: 400 });
      throw new SyncError(`download failed: HTTP 400 — ${this.refuseDownloadsWith}`, {
        code: 'bad-request',
        kind: 'item',
        status: 400,
        operation: 'download',
      });
    }
    if (this.loseFiles > 0) {
      this.loseFiles--;
      this.downloads.push({ url, resumeFrom, status: 404 });
      throw new SyncError('download failed: HTTP 404', {
        code: 'not-found',
        kind: 'item',
        status: 404,
        operation: 'download',
      });
    }
    const ranged = this.rangeSupport && resumeFrom > 0 && resumeFrom < result.bytes.length;
    const from = ranged ? resumeFrom : 0;
    this.downloads.push({ url, resumeFrom, status: ranged ? 206 : 200 });
    const breakAt = this.breakAfter.shift();
    const bytes = result.bytes;
    const body = (async function* () {
      const chunk = 100;
      let sent = 0;
      for (let off = from; off < bytes.length; off += chunk) {
        const piece = bytes.subarray(off, Math.min(bytes.length, off + chunk));
        if (breakAt !== undefined && sent + piece.length > breakAt) {
          if (breakAt > sent) yield piece.subarray(0, breakAt - sent);
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        sent += piece.length;
        yield piece;
      }
    })();
    return {
      status: ranged ? 206 : 200,
      totalBytes: bytes.length,
      resumed: ranged,
      filename: result.filename,
      body,
    };
  }

  async importBackup(
    file: UploadFile,
    options: TransferCallbacks & {
      projectId?: number | null;
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
  ): Promise<string> {
    this.imports.push({
      kind: 'backup',
      file,
      resumeUrl: options.resumeUrl ?? null,
      projectId: options.projectId ?? null,
    });
    return this.finishImport(file, options, 'import:backup');
  }

  async importAnnotations(
    taskId: number,
    file: UploadFile,
    format: string,
    mode: 'replace' | 'append',
    options: TransferCallbacks & {
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
  ): Promise<string> {
    this.imports.push({
      kind: 'annotations',
      file,
      resumeUrl: options.resumeUrl ?? null,
      format,
      mode,
    });
    return this.finishImport(file, options, 'import:annotations', taskId);
  }

  private async finishImport(
    file: UploadFile,
    options: TransferCallbacks & {
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
    type: string,
    taskId: number | null = null,
  ): Promise<string> {
    if (!options.resumeUrl)
      await options.onCreated?.(
        `${this.server}/api/tasks/backup/1_upload-${++this.seq}`,
        `1_upload-${this.seq}`,
      );
    if (this.breakImports > 0) {
      this.breakImports--;
      throw new SyncError('PATCH upload: network error', {
        code: 'network',
        kind: 'transient',
        status: 0,
        operation: 'PATCH upload',
      });
    }
    options.onProgress?.(file.size, file.size);
    const id = `rq-${++this.seq}`;
    const newTask = type === 'import:backup' ? 100 + this.seq : null;
    this.requests.set(id, {
      record: {
        id,
        status: this.failExportWith ? 'failed' : 'finished',
        message: this.failExportWith ?? '',
        progress: 1,
        operation: {
          type,
          target: 'task',
          task_id: taskId,
          project_id: null,
          job_id: null,
          format: null,
        },
        created_date: '2026-01-01T00:00:00.000Z',
        started_date: null,
        finished_date: null,
        expiry_date: null,
        result_url: null,
        result_id: newTask,
      },
      result: null,
    });
    return id;
  }
}
