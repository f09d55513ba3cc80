// Composition root shared by the desktop app and the CLI/daemon: one data folder, one journal,
// one engine (guarded by a lock file), the CVAT client built from the stored credentials, and
// the service implementing the UI contract on top.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceOptions } from './host.js';
import { TokenBucket } from '../core/token-bucket.js';
import { ResultsEngine } from '../engine/results/results-engine.js';
import { UploadEngine } from '../engine/upload/upload-engine.js';
import { ActivityRepo } from '../journal/activity-repo.js';
import { BatchRepo } from '../journal/batch-repo.js';
import { FolderRepo } from '../journal/folder-repo.js';
import type { Db } from '../journal/database.js';
import { openJournal } from '../journal/database.js';
import { TransferRepo } from '../journal/download-repo.js';
import { SettingsRepo } from '../journal/settings-repo.js';
import { Connection } from './connection.js';
import { prepareDataDir, secureDataDir } from './data-dir.js';
import { acquireEngineLock } from './engine-lock.js';
import type { EngineLock } from './engine-lock.js';
import { createFileLogger } from './file-logger.js';
import { FolderService } from './folder-service.js';
import { loadQueuePaused, loadSettings, logsDirOf } from './settings.js';
import { SyncServiceImpl } from './sync-service.js';
import { systemClock } from './system-clock.js';
import { TransferService } from './transfer-service.js';
import { MemorySecretStore } from './credential-stores.js';
import { Network } from './network.js';

export const JOURNAL_FILE = 'journal.db';

export type { SyncServiceImpl } from './sync-service.js';

export async function createSyncService(options: ServiceOptions): Promise<SyncServiceImpl> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const mode = options.mode ?? 'engine';
  const dataDir = options.dataDir;
  prepareDataDir(dataDir);
  const logger = options.logger ?? createFileLogger(logsDirOf(dataDir), clock);
  secureDataDir(dataDir, logger);

  let lock: EngineLock | null = null;
  let db: Db | null = null;
  try {
    const journalPath = join(dataDir, JOURNAL_FILE);
    if (mode === 'engine') {
      lock = acquireEngineLock(
        dataDir,
        options.command ?? `CVAT Sync (${options.host})`,
        clock.now(),
      );
      db = openJournal(journalPath);
    } else if (existsSync(journalPath)) {
      db = openJournal(journalPath, { readonly: true });
    }
    const settingsRepo = db ? new SettingsRepo(db) : null;
    const settings = loadSettings(settingsRepo, dataDir);
    // One limit for uploads and results together: the user's setting bounds their sum.
    const throttle = new TokenBucket(clock, settings.bandwidthLimitBps);
    // Pauses outlive a restart: "pause all" in the settings, a folder's in its row.
    const paused = loadQueuePaused(settingsRepo);
    const batchRepo = db ? new BatchRepo(db, clock) : null;
    let folders: FolderService | null = null;
    const uploads =
      db && lock
        ? new UploadEngine({
            db,
            api: null,
            clock,
            random,
            logger,
            concurrency: settings.concurrency,
            throttle,
            chunkSize: settings.chunkSizeMiB * 1024 * 1024,
            ...(options.bulkThreshold ? { bulkThreshold: options.bulkThreshold } : {}),
            paused,
            pausedFolders: new FolderRepo(db, clock)
              .list()
              .filter((f) => f.paused)
              .map((f) => f.id),
          })
        : null;
    const results =
      db && lock
        ? new ResultsEngine({
            db,
            api: null,
            clock,
            random,
            logger,
            throttle,
            downloadsDir: settings.downloadsDir,
            chunkSize: settings.chunkSizeMiB * 1024 * 1024,
            folderAutoExports: () => folders?.autoExports() ?? [],
          })
        : null;
    const transfers = new TransferService({
      clock,
      uploads,
      results,
      batchRepo,
      transferRepo: db ? new TransferRepo(db) : null,
      settingsRepo,
    });
    const secrets = options.secrets ?? options.credentials.secrets ?? new MemorySecretStore();
    const proxyPassword = await secrets.load('proxy-password');
    const network = new Network(settings, proxyPassword, options.resolveProxy, options.caFiles);
    const connection = new Connection({ credentials: options.credentials, clock, logger, network });
    const activityRepo = db ? new ActivityRepo(db) : null;
    // The folder service reports through the service, which needs it to exist first.
    const emitFolder: { to: SyncServiceImpl | null } = { to: null };
    const folderService = new FolderService({
      db,
      clock,
      logger,
      uploads,
      batchRepo,
      emit: (f) => emitFolder.to?.pushFolder(f),
      api: () => connection.api,
      onAdoptDecision: (folderId, batch, d) => emitFolder.to?.adoptDecided(folderId, batch, d),
    });
    folders = folderService;
    const openDb = db;
    const service = new SyncServiceImpl({
      dataDir,
      host: options.host,
      clock,
      logger,
      connection,
      network,
      secrets,
      proxyPasswordSet: proxyPassword !== null,
      settingsRepo: db ? new SettingsRepo(db) : null,
      activityRepo,
      lock,
      throttle,
      folders: folderService,
      transfers,
      chooseFolder: options.chooseFolder,
      openExternal: options.openExternal,
      closeJournal: () => openDb?.close(),
    });
    emitFolder.to = service;
    if (paused) await results?.setPaused(true);

    wireEngines(service, { uploads, results, transfers, folders: folderService });
    connection.onChange((info, api) => {
      void transfers.setApi(api);
      void folderService
        .setServer(api ? api.server : null)
        .catch((e: unknown) => logger.error('folders did not start', { error: String(e) }));
      if (info.state === 'auth-failed' && info.error) {
        service.record(
          'error',
          'auth',
          `Signed out of ${info.server ?? 'the server'}: ${info.error.message}`,
          { hint: info.error.hint ?? null },
        );
      }
    });
    // What the entry point found before the service existed (e.g. no keyring): in the activity log.
    for (const n of options.startupNotices ?? [])
      service.record(n.level, n.kind, n.message, n.hint ? { hint: n.hint } : {});
    await connection.restore();
    await folderService.setServer(connection.api?.server ?? null);
    if (lock && options.autostart !== false) {
      transfers.start();
      await folderService.start();
    }
    return service;
  } catch (e) {
    db?.close();
    lock?.release();
    throw e;
  }
}

/** Engine events -> contract events. */
function wireEngines(
  service: SyncServiceImpl,
  p: {
    uploads: UploadEngine | null;
    results: ResultsEngine | null;
    transfers: TransferService;
    folders: FolderService;
  },
): void {
  const { uploads, results, transfers, folders } = p;
  if (uploads) {
    const seenDone = new Set<number>();
    uploads.events.on('batch', (b) => {
      service.pushTransfer(transfers.uploadView(b));
      // Its files become uploaded (or set aside) now, not at the folder's next scan.
      if (b.state === 'done' || b.state === 'cancelled') folders.batchSettled(b.folderId);
      if (
        (b.state === 'done' || b.state === 'created') &&
        b.taskId !== null &&
        !seenDone.has(b.id * 2 + (b.state === 'done' ? 1 : 0))
      ) {
        seenDone.add(b.id * 2 + (b.state === 'done' ? 1 : 0));
        service.tasksChanged([b.taskId]);
      }
    });
    uploads.events.on('progress', (pr) => {
      transfers.trackProgress(pr);
      const b = uploads.getBatch(pr.batchId);
      if (b) service.pushTransfer(transfers.uploadView(b, pr));
    });
    uploads.events.on('activity', (a) => service.pushActivity(a.entry));
    uploads.events.on('auth-required', () => void service.connection.refresh());
    uploads.events.on('replan-needed', (r) => folders.replanNeeded(r.folderId));
    uploads.events.on('status', () => service.emitStatus());
  }
  if (results) {
    results.events.on('transfer', (row) => {
      service.pushTransfer(transfers.resultsView(row));
      if (row.kind === 'restore' && row.state === 'done' && row.resultId !== null)
        service.tasksChanged([row.resultId]);
    });
    results.events.on('activity', (row) => service.pushActivity(row));
  }
}
