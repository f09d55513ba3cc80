// What the scanner and the stability gate need from the journal; journal/file-repo.ts's FileRepo
// provides it (watch may not import the journal, so the port lives here).
import type { FileRow, FileWrite } from '../core/file-record.js';

export interface FileStore {
  write(folderId: number, writes: readonly FileWrite[]): void;
  inDir(folderId: number, dir: string): FileRow[];
  knowsDir(folderId: number, dir: string): boolean;
  presentDirs(folderId: number): string[];
  hasPresent(folderId: number): boolean;
  markMissing(folderId: number, dir: string, recursive: boolean, now: number): number;
  dueForSettle(
    folderId: number,
    before: number,
    limit: number,
    after?: { changedAt: number; id: number },
  ): FileRow[];
  oldestSettling(folderId: number): number | null;
}
