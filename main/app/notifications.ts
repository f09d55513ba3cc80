// Desktop notifications for what happens while the user looks elsewhere: tasks created, failures,
// exports saved (auto-exports included). Rate-limited so a burst of a hundred finished batches
// is a few notifications and a count, not a hundred popups.
import type { Transfer, TransferKind, TransferState } from '../../preload/contract.js';
import { RateLimiter } from './rate-limiter.js';

export interface DesktopNotice {
  title: string;
  body: string;
}

const DONE_TITLE: Record<TransferKind, string> = {
  upload: 'Task created',
  download: 'Export saved',
  restore: 'Backup restored',
  import: 'Annotations imported',
};

const FAILED_TITLE: Record<TransferKind, string> = {
  upload: 'Upload failed',
  download: 'Export failed',
  restore: 'Restore failed',
  import: 'Import failed',
};

/** The notice for a transfer that has just become done or failed, or null. */
export function noticeForTransfer(
  previous: TransferState | undefined,
  t: Transfer,
): DesktopNotice | null {
  if (previous === t.state) return null;
  if (t.state === 'done') {
    if (t.kind === 'upload') {
      const files = `${t.filesTotal} file${t.filesTotal === 1 ? '' : 's'}`;
      return {
        title: DONE_TITLE.upload,
        body: `${t.title}${t.taskId === null ? '' : ` (task #${t.taskId})`}, ${files}`,
      };
    }
    return {
      title: DONE_TITLE[t.kind],
      body: t.destination === null ? t.title : `${t.title} → ${t.destination}`,
    };
  }
  if (t.state === 'failed') {
    return {
      title: FAILED_TITLE[t.kind],
      body: t.error === null ? t.title : `${t.title}: ${t.error.message}`,
    };
  }
  return null;
}

export interface NotifierOptions {
  show: (notice: DesktopNotice) => void;
  now: () => number;
  /** The user's "notifications" setting. */
  enabled: () => boolean;
  /** When the window has focus the UI shows the change itself. */
  windowFocused: () => boolean;
  limiter?: RateLimiter;
}

/** Remembered transfer states are bounded; the oldest are forgotten first. */
const MAX_TRACKED = 2_000;

export class Notifier {
  private readonly states = new Map<string, TransferState>();
  private readonly limiter: RateLimiter;
  private suppressed = 0;

  constructor(private readonly options: NotifierOptions) {
    this.limiter = options.limiter ?? new RateLimiter(4, 60_000);
  }

  onTransfer(t: Transfer): void {
    const previous = this.states.get(t.id);
    this.states.delete(t.id);
    this.states.set(t.id, t.state);
    if (this.states.size > MAX_TRACKED) {
      const oldest = this.states.keys().next();
      if (!oldest.done) this.states.delete(oldest.value);
    }
    const notice = noticeForTransfer(previous, t);
    if (notice !== null && this.options.enabled() && !this.options.windowFocused())
      this.notify(notice);
  }

  onTransferRemoved(id: string): void {
    this.states.delete(id);
  }

  /** Shows `notice` unless over the rate; refused notices are counted into the next one shown. */
  notify(notice: DesktopNotice): boolean {
    if (!this.limiter.take(this.options.now())) {
      this.suppressed += 1;
      return false;
    }
    const more = this.suppressed;
    this.suppressed = 0;
    this.options.show(
      more === 0 ? notice : { ...notice, body: `${notice.body}\n(+${more} more — see Activity)` },
    );
    return true;
  }

  /** Notices the user must see whatever the setting and rate (credentials, quitting). */
  notifyImportant(notice: DesktopNotice): void {
    this.options.show(notice);
  }
}
