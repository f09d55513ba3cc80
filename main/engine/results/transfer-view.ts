// A journal row as the UI contract's Transfer.
import { basename } from 'node:path';
import type { Transfer, TransferState } from '../../model/index.js';
import type { TransferRow } from '../../journal/download-repo.js';
import { etaSeconds } from '../transfer-speed.js';
import { describeTarget } from './download-job.js';

export function toContractTransfer(row: TransferRow, now: number, speedBps = 0): Transfer {
  const total = row.bytesTotal ?? 0;
  const active = row.state === 'downloading' || row.state === 'uploading';
  return {
    id: row.id,
    kind: row.kind,
    title: titleOf(row),
    state: stateOf(row, now),
    stage: stageOf(row),
    folderId: row.folderId,
    taskId: row.kind === 'restore' ? row.resultId : row.targetKind === 'task' ? row.targetId : null,
    bytesDone: row.bytesDone,
    bytesTotal: total,
    filesDone: row.state === 'done' ? 1 : 0,
    filesTotal: 1,
    speedBps: active ? speedBps : 0,
    etaSeconds: active ? etaSeconds(total, row.bytesDone, speedBps) : null,
    error: row.error,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'queued' ? row.nextAttemptAt : null,
    destination:
      row.kind === 'download' ? (row.extractedPath ?? row.finalPath ?? row.localPath) : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function stateOf(row: TransferRow, now: number): TransferState {
  switch (row.state) {
    case 'queued':
      return row.nextAttemptAt !== null && row.nextAttemptAt > now ? 'waiting-retry' : 'queued';
    case 'downloading':
    case 'uploading':
      return 'active';
    case 'exporting':
    case 'processing':
      return 'processing';
    default:
      return row.state;
  }
}

function stageOf(row: TransferRow): string | null {
  switch (row.state) {
    case 'exporting':
    case 'downloading':
    case 'uploading':
      return row.state;
    case 'processing':
      return row.kind === 'download'
        ? 'extracting'
        : row.kind === 'restore'
          ? 'restoring'
          : 'importing';
    default:
      return null;
  }
}

export function titleOf(row: TransferRow): string {
  switch (row.kind) {
    case 'download': {
      const what = describeTarget(row);
      return what.charAt(0).toUpperCase() + what.slice(1);
    }
    case 'restore':
      return `Restore ${basename(row.localPath)}${row.projectId !== null ? ` into project ${row.projectId}` : ''}`;
    case 'import':
      return `Import ${basename(row.localPath)} into task ${row.targetId} (${row.format}, ${row.importMode ?? 'replace'})`;
  }
}
