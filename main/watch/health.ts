// The per-folder health the UI shows (contract FolderHealth), with the exact fix for each problem.
import type { FolderHealth } from '../model/index.js';

export const MAX_WATCHES_FIX =
  'Run `sudo sysctl fs.inotify.max_user_watches=524288`, and to keep it after a reboot: ' +
  '`echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/60-cvat-sync.conf && sudo sysctl --system`. Then resume the folder.';

export const MAX_FILES_FIX =
  'Raise the open-files limit (`ulimit -n 65536` for the daemon, or LimitNOFILE=65536 in its systemd unit; on macOS `sudo launchctl limit maxfiles 65536 200000`), or turn on polling for this folder.';

export function watchLimitHealth(code: string, fallbackMinutes: number): FolderHealth {
  const what =
    code === 'ENOSPC'
      ? 'The system ran out of file watches (inotify max_user_watches)'
      : 'Too many open files for file watching';
  return {
    state: 'watch-limit',
    message: `${what}. New files are found by a full scan every ${fallbackMinutes} min instead of at once.`,
    fix: code === 'ENOSPC' ? MAX_WATCHES_FIX : MAX_FILES_FIX,
  };
}

export function missingHealth(
  path: string,
  why: 'absent' | 'not-a-directory' | 'empty' | 'unreadable' | 'vanished',
): FolderHealth {
  const what =
    why === 'empty'
      ? `${path} is empty although files were seen there before: the drive or share is probably not mounted`
      : why === 'unreadable'
        ? `${path} cannot be read (permission denied)`
        : why === 'not-a-directory'
          ? `${path} is not a folder any more`
          : `${path} is missing: the drive or share may be unmounted, or the folder moved`;
  return {
    state: 'missing',
    message: `${what}. Syncing is paused for it and no file is treated as deleted.`,
    fix:
      why === 'unreadable'
        ? 'Give this user read access to the folder; syncing resumes by itself.'
        : 'Reconnect the drive or share (or move the folder back); syncing resumes by itself. If the folder moved for good, edit the rule to point at its new place.',
  };
}

export function networkFsHint(fsType: string): { message: string; fix: string } {
  return {
    message: `This folder is on a ${fsType} filesystem, where change notifications often do not arrive.`,
    fix: 'Turn on "Poll for changes" for this folder (network shares and FUSE mounts need it).',
  };
}

export function unreadableDirsMessage(dirs: readonly string[]): string {
  const shown = dirs
    .slice(0, 3)
    .map((d) => d || '(the folder itself)')
    .join(', ');
  return `${dirs.length} folder${dirs.length === 1 ? '' : 's'} could not be read (permission denied): ${shown}${dirs.length > 3 ? ', …' : ''}.`;
}
