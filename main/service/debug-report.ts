// What the service puts in a debug archive: who runs where, the connection, settings, recent
// activity, folders and transfers. debug-archive.ts zips it with the logs and removes secrets.
import type { Settings } from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import type { ActivityRepo } from '../journal/activity-repo.js';
import type { Connection } from './connection.js';
import { writeDebugArchive } from './debug-archive.js';
import type { Folders } from '../engine/folders/folders.js';
import type { TransferService } from './transfer-service.js';

export interface DebugSources {
  host: 'desktop' | 'daemon';
  clock: Clock;
  connection: Connection;
  activityRepo: ActivityRepo | null;
  folders: Folders;
  transfers: TransferService;
}

/** Writes the archive into the downloads folder; returns its path. */
export function writeServiceDebugArchive(sources: DebugSources, settings: Settings): string {
  const auth = sources.connection.credentials?.auth;
  const secrets: string[] = [];
  if (auth?.kind === 'token') secrets.push(auth.token);
  if (auth?.kind === 'key') secrets.push(auth.key);
  if (auth?.kind === 'basic') secrets.push(auth.password);
  return writeDebugArchive({
    outDir: settings.downloadsDir,
    now: sources.clock.now(),
    secrets,
    logsDir: settings.logsDir,
    documents: {
      'about.json': {
        app: 'CVAT Sync',
        host: sources.host,
        platform: process.platform,
        arch: process.arch,
        node: process.versions.node,
        at: new Date(sources.clock.now()).toISOString(),
      },
      'connection.json': sources.connection.current,
      'settings.json': settings,
      'activity.json': sources.activityRepo?.list({ limit: 1000 }) ?? [],
      'folders.json': sources.folders.list(),
      'transfers.json': sources.transfers.list({ limit: 10_000 }),
    },
  });
}
