// Greedy grouping of small files into Upload-Multiple requests, as cvat-core does: files in
// order, a new request whenever the next file would exceed the byte or count bound. A file
// larger than the bound still goes, alone.

export interface Sized {
  size: number;
}

export function nextBulkGroup<T extends Sized>(
  pending: readonly T[],
  maxBytes: number,
  maxFiles: number,
): T[] {
  const group: T[] = [];
  let bytes = 0;
  for (const f of pending) {
    if (group.length > 0 && (bytes + f.size > maxBytes || group.length >= maxFiles)) break;
    group.push(f);
    bytes += f.size;
  }
  return group;
}
