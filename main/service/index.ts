// Composition root shared by the desktop app and the CLI/daemon: one data folder, one journal,
// one engine (guarded by a lock file), the CVAT client built from the stored credentials, and
// the service implementing the UI contract on top.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceOptions } from './host.js';
import { TokenBucket } from '../core/token-bucket.js';
import { createEngine } from '../engine/index.js';
import type { Engine, EngineJournal } from '../engine/index.js';
import { Journal } from '../journal/journal.js';
import { Connection } from './connection.js';
import { prepareDataDir, secureDataDir } from './data-dir.js';
import { acquireEngineLock } from './engine-lock.js';
import type { EngineLock } from './engine-lock.js';
import { createFileLogger } from './file-logger.js';
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
  let journal: EngineJournal | null = null;
  try {
    const journalPath = join(dataDir, JOURNAL_FILE);
    if (mode === 'engine') {
      lock = acquireEngineLock(
        dataDir,
        options.command ?? `CVAT Sync (${options.host})`,
        clock.now(),
      );
      journal = Journal.open(journalPath, clock);
    } else if (existsSync(journalPath)) {
      journal = Journal.open(journalPath, clock, { readonly: true });
    }
    const settingsRepo = journal?.settings ?? null;
    const settings = loadSettings(settingsRepo, dataDir);
    // One limit for uploads and results together: the user's setting bounds their sum.
    const throttle = new TokenBucket(clock, settings.bandwidthLimitBps);
    // Pauses outlive a restart: "pause all" in the settings, a folder's in its row.
    const paused = loadQueuePaused(settingsRepo);
    const secrets = options.secrets ?? options.credentials.secrets ?? new MemorySecretStore();
    const proxyPassword = await secrets.load('proxy-password');
    const network = new Network(settings, proxyPassword, options.resolveProxy, options.caFiles);
    const connection = new Connection({ credentials: options.credentials, clock, logger, network });
    // The engine reports folders through the service, which needs the engine to exist first.
    const report: { to: SyncServiceImpl | null } = { to: null };
    const engine = createEngine({
      clock,
      random,
      journal,
      logger,
      cvat: () => connection.api,
      run: lock !== null,
      throttle,
      uploads: {
        concurrency: settings.concurrency,
        chunkSize: settings.chunkSizeMiB * 1024 * 1024,
        ...(options.bulkThreshold ? { bulkThreshold: options.bulkThreshold } : {}),
        paused,
      },
      results: {
        downloadsDir: settings.downloadsDir,
        chunkSize: settings.chunkSizeMiB * 1024 * 1024,
      },
      onFolder: (f) => report.to?.pushFolder(f),
      onAdoptDecision: (folderId, batch, d) => report.to?.adoptDecided(folderId, batch, d),
    });
    const { uploads, results } = engine;
    const transfers = new TransferService({
      clock,
      uploads,
      results,
      batchRepo: journal?.batches ?? null,
      transferRepo: journal?.transfers ?? null,
      settingsRepo,
    });
    const openJournal = journal;
    const service = new SyncServiceImpl({
      dataDir,
      host: options.host,
      clock,
      logger,
      connection,
      network,
      secrets,
      proxyPasswordSet: proxyPassword !== null,
      settingsRepo,
      activityRepo: journal?.activity ?? null,
      lock,
      throttle,
      folders: engine.folders,
      transfers,
      chooseFolder: options.chooseFolder,
      openExternal: options.openExternal,
      closeJournal: () => openJournal?.close(),
    });
    report.to = service;
    if (paused) await results?.setPaused(true);

    wireEngines(service, engine, transfers);
    connection.onChange((info, api) => {
      void engine
        .setApi(api)
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
    await engine.folders.setServer(connection.api?.server ?? null);
    if (lock && options.autostart !== false) await engine.start();
    return service;
  } catch (e) {
    journal?.close();
    lock?.release();
    throw e;
  }
}

/**
 * Engine events -> contract events (what the UI shows). Nothing here changes the journal: the
 * engine has already done what a finished batch or a changed file needs.
 */
function wireEngines(service: SyncServiceImpl, engine: Engine, transfers: TransferService): void {
  const { uploads, results } = engine;
  if (uploads) {
    const seenDone = new Set<number>();
    uploads.events.on('batch', (b) => {
      service.pushTransfer(transfers.uploadView(b));
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
