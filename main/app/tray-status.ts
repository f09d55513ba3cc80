// What the tray shows, derived from the service's status snapshots.
import type { StatusSnapshot } from '../../preload/contract.js';

export type TrayState = 'idle' | 'syncing' | 'paused' | 'error';

export interface TrayStatus {
  state: TrayState;
  /** Upload/download progress of the active work, when known. */
  percent: number | null;
  tooltip: string;
}

export function trayStatusOf(s: StatusSnapshot): TrayStatus {
  const { totals, connection } = s;
  if (connection.state === 'auth-failed') {
    return {
      state: 'error',
      percent: null,
      tooltip: 'CVAT Sync — sign-in failed: check your credentials',
    };
  }
  if (connection.state === 'offline') {
    return {
      state: 'error',
      percent: null,
      tooltip: 'CVAT Sync — offline: waiting for the server',
    };
  }
  const brokenFolder = s.folders.find(
    (f) => f.health.state === 'error' || f.health.state === 'missing',
  );
  if (brokenFolder) {
    return {
      state: 'error',
      percent: null,
      tooltip: `CVAT Sync — folder problem: ${brokenFolder.path}`,
    };
  }
  if (s.paused) return { state: 'paused', percent: null, tooltip: 'CVAT Sync — paused' };
  if (totals.active + totals.queued > 0) {
    const percent =
      totals.bytesTotal > 0
        ? Math.min(100, Math.floor((totals.bytesDone / totals.bytesTotal) * 100))
        : null;
    const count = totals.active + totals.queued;
    const what = `${count} transfer${count === 1 ? '' : 's'}`;
    return {
      state: 'syncing',
      percent,
      tooltip: `CVAT Sync — syncing ${what}${percent === null ? '' : `, ${percent} %`}`,
    };
  }
  if (totals.failed > 0) {
    return {
      state: 'error',
      percent: null,
      tooltip: `CVAT Sync — ${totals.failed} failed transfer${totals.failed === 1 ? '' : 's'}`,
    };
  }
  if (connection.state === 'signed-out')
    return { state: 'idle', percent: null, tooltip: 'CVAT Sync — not signed in' };
  return { state: 'idle', percent: null, tooltip: 'CVAT Sync — up to date' };
}
