// The journal's view of one file under a sync folder, shared by the scanner, the stability gate
// and the planner (the journal stores it; watch and engine reason about it).
export type FileState = 'seen' | 'stable' | 'planned' | 'uploaded' | 'ignored' | 'failed';

export interface FileRow {
  id: number;
  folderId: number;
  relPath: string;
  dir: string;
  size: number;
  mtimeMs: number;
  state: FileState;
  reason: string | null;
  detail: string | null;
  sha256: string | null;
  firstSeenAt: number;
  lastSeenAt: number;
  changedAt: number;
  missingSince: number | null;
  batchId: number | null;
}

/** The fields a scan, the stability gate or the planner may change. */
export type FileFields = Pick<
  FileRow,
  | 'size'
  | 'mtimeMs'
  | 'state'
  | 'reason'
  | 'detail'
  | 'sha256'
  | 'lastSeenAt'
  | 'changedAt'
  | 'missingSince'
  | 'batchId'
>;

export type FileWrite =
  | { kind: 'insert'; relPath: string; dir: string; fields: FileFields }
  | { kind: 'update'; id: number; fields: FileFields };

export interface FileCounts {
  /** Present files (ignored ones included). */
  files: number;
  uploaded: number;
  /** Present files still on their way: seen, stable, planned. */
  pending: number;
  ignored: number;
  failed: number;
}
