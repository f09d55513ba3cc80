// Why a file under a sync folder is not uploaded. Every ignored file is recorded with one of
// these codes and a sentence for the user (FolderPreview, listIgnored).
export type IgnoreReason =
  | 'hidden'
  | 'partial-download'
  | 'excluded'
  | 'not-included'
  | 'unsupported-type'
  | 'too-large'
  | 'empty'
  | 'bad-name'
  | 'symlink-outside'
  | 'symlink-loop'
  | 'broken-symlink'
  | 'not-a-file'
  | 'permission-denied'
  | 'duplicate'
  | 'cancelled'
  | 'read-error'
  | 'unreadable'
  | 'wrong-type';

export interface IgnoreVerdict {
  reason: IgnoreReason;
  detail: string;
}

/** Reasons the scanner derives from the path, the rule and a stat: recomputed on every scan. */
export function isScanReason(reason: string | null): boolean {
  return (
    reason !== null &&
    reason !== 'duplicate' &&
    reason !== 'cancelled' &&
    // Found by reading the bytes (media-sniff): stays until the file changes.
    reason !== 'unreadable' &&
    reason !== 'wrong-type'
  );
}

const LABELS: Record<IgnoreReason, string> = {
  hidden: 'hidden file',
  'partial-download': 'partial download or temporary file',
  excluded: 'excluded by pattern',
  'not-included': 'not matched by the include patterns',
  'unsupported-type': 'unsupported type',
  'too-large': 'too large',
  empty: 'zero bytes',
  'bad-name': 'name rejected by CVAT or the OS',
  'symlink-outside': 'symlink pointing outside the folder',
  'symlink-loop': 'symlink loop',
  'broken-symlink': 'broken symlink',
  'not-a-file': 'not a regular file',
  'permission-denied': 'permission denied',
  duplicate: 'duplicate content',
  cancelled: 'upload cancelled',
  'read-error': 'read error',
  unreadable: 'cannot be opened (CVAT would fail its whole task)',
  'wrong-type': 'content does not match the name',
};

/** "unsupported type: .txt" — the label, then the specifics when they add something. */
export function describeIgnore(reason: string, detail: string | null): string {
  const label = (LABELS as Record<string, string | undefined>)[reason] ?? reason;
  return detail ? `${label}: ${detail}` : label;
}
