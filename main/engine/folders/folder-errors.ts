// What the folder operations refuse, with the fix the user can apply.
import { SyncError } from '../../core/errors.js';

export const folderErrors = {
  exists: (path: string, id: number): SyncError =>
    new SyncError(`${path} is already sync folder #${id}.`, {
      code: 'folder-exists',
      kind: 'item',
      operation: 'add folder',
      hint: 'Change its rule instead, or remove it first.',
    }),
  notFound: (id: number): SyncError =>
    new SyncError(`No sync folder #${id}.`, {
      code: 'not-found',
      kind: 'item',
      operation: 'find folder',
      hint: 'List them with `cvat-sync folders ls`.',
    }),
  notAtPath: (path: string): SyncError =>
    new SyncError(`${path} is not a sync folder of this app.`, {
      code: 'not-found',
      kind: 'item',
      operation: 'find folder',
      hint: 'Verify checks folders this app synced (`cvat-sync folders ls`, or a folder of `cvat-sync sync --once`).',
    }),
  noJournal: (): SyncError =>
    new SyncError('No journal: this view of the data folder is read-only.', {
      code: 'read-only',
      kind: 'fatal',
    }),
  signedOut: (): SyncError =>
    new SyncError('Sign in first: a sync folder belongs to a CVAT server.', {
      code: 'signed-out',
      kind: 'fatal',
      operation: 'add folder',
      hint: 'Run `cvat-sync login` (or pass --server with CVAT_ACCESS_TOKEN).',
    }),
  engineNotHere: (): SyncError =>
    new SyncError('The engine is not running in this process.', {
      code: 'read-only',
      kind: 'fatal',
    }),
};
