// What may be queued as a results transfer, checked before it reaches the journal: the request
// shapes of the results engine and the journal rows they become.
import { isAbsolute } from 'node:path';
import { SyncError } from '../../core/errors.js';
import type { NewTransfer } from '../../journal/download-repo.js';
import type { ImportAnnotationsRequest, RestoreRequest } from '../../model/index.js';

export interface ExportDatasetRequest {
  target: { kind: 'task' | 'project' | 'job'; id: number };
  format: string;
  withImages: boolean;
  /** Folder to save into; the downloads folder when null. */
  destination?: string | null;
  /** Also unpack the archive into a folder next to it. */
  extract?: boolean;
}

export interface BackupRequest {
  target: { kind: 'task' | 'project'; id: number };
  destination?: string | null;
  extract?: boolean;
}

export type { ImportAnnotationsRequest, RestoreRequest };

/** Who asked for an export: the user, or an auto-export scope (with its sync folder). */
export interface ExportOrigin {
  origin: string;
  folderId?: number | null;
}

/** An export of either kind: a dataset (format named) or a backup (format null). */
export type ExportRequest = Omit<ExportDatasetRequest, 'format' | 'withImages'> & {
  format: string | null;
  withImages?: boolean;
};

export type TransferFields = Omit<NewTransfer, 'id' | 'createdAt'>;

export function exportTransfer(
  req: ExportRequest,
  origin: ExportOrigin,
  downloadsDir: string,
): TransferFields {
  requireId(req.target.id, req.target.kind);
  if (!['task', 'project', 'job'].includes(req.target.kind))
    throw invalid(`Unknown export target "${String(req.target.kind)}"`);
  const destination = req.destination ?? downloadsDir;
  requireAbsolute(destination, 'The destination folder');
  const backup = req.format === null;
  if (backup && req.target.kind === 'job')
    throw invalid('Jobs have no backups; back up their task');
  if (!backup) requireFormat(req.format as string);
  return {
    kind: 'download',
    subject: backup ? 'backup' : 'dataset',
    localPath: destination,
    targetKind: req.target.kind,
    targetId: req.target.id,
    format: req.format,
    withImages: !backup && (req.withImages ?? false),
    extract: req.extract ?? false,
    origin: origin.origin,
    folderId: origin.folderId ?? null,
  };
}

export function restoreTransfer(req: RestoreRequest): TransferFields {
  requireAbsolute(req.path, 'The backup file');
  if (req.projectId != null) requireId(req.projectId, 'project');
  return {
    kind: 'restore',
    subject: 'backup',
    localPath: req.path,
    projectId: req.projectId ?? null,
  };
}

export function importTransfer(req: ImportAnnotationsRequest): TransferFields {
  requireAbsolute(req.path, 'The annotation file');
  requireId(req.taskId, 'task');
  requireFormat(req.format);
  if (req.mode !== 'replace' && req.mode !== 'append')
    throw invalid(`Unknown import mode "${String(req.mode)}"`);
  return {
    kind: 'import',
    subject: 'annotations',
    localPath: req.path,
    targetKind: 'task',
    targetId: req.taskId,
    format: req.format,
    importMode: req.mode,
  };
}

function invalid(message: string): SyncError {
  return new SyncError(message, {
    code: 'invalid-argument',
    kind: 'item',
    operation: 'queue transfer',
  });
}

function requireId(id: unknown, what: string): void {
  if (!Number.isInteger(id) || (id as number) <= 0)
    throw invalid(`Invalid ${what} id: ${String(id)}`);
}

function requireFormat(format: string): void {
  if (typeof format !== 'string' || format.trim() === '') throw invalid('Choose a format');
}

function requireAbsolute(path: string, what: string): void {
  if (typeof path !== 'string' || !isAbsolute(path))
    throw invalid(`${what} must be an absolute path: ${String(path)}`);
}
