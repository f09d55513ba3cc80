// The local files a batch sends are re-checked right before (and after) sending: a file that
// changed since it was planned must never reach CVAT in its changed state. Size and mtime are
// looked at here; content is hashed as it streams into the request (the file is read once).
import type { FileSystem } from '../../fs/file-system.js';

export interface FileStat {
  size: number;
  mtimeMs: number;
}

/** The file's size and mtime now; null when it is gone, unreadable or not a file. */
export async function probeFile(fs: FileSystem, path: string): Promise<FileStat | null> {
  try {
    const s = await fs.stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** Why a file no longer matches its plan, or null when it still does. */
export function changedSincePlan(planned: FileStat, now: FileStat | null): string | null {
  if (now === null) return 'the file is gone or unreadable';
  if (now.size !== planned.size) return `its size changed (${planned.size} -> ${now.size} bytes)`;
  // Planners may store mtime with sub-millisecond digits or without: compare whole milliseconds.
  if (Math.trunc(now.mtimeMs) !== Math.trunc(planned.mtimeMs))
    return 'it was modified after it was planned';
  return null;
}
