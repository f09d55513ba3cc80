// sync --once, watch, folders …, daemon: the commands that run the engine.
import { spawn } from 'node:child_process';
import type { FolderInfo, Transfer } from '../../../preload/contract.js';
import type { SyncServiceImpl } from '../../service/sync-service.js';
import type { SyncOnceSummary } from '../../engine/folders/folders.js';
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import { SyncError } from '../../core/errors.js';
import { mintSignInLink } from '../contract-client.js';
import { startDaemon } from '../daemon.js';
import { readDaemonFile } from '../daemon-file.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { table } from '../output.js';
import { folderId } from './folders.js';
import type { RuleFlags } from '../rule-options.js';
import { ruleFromFlags, usageError } from '../rule-options.js';

function orgOf(ctx: CliContext, service: SyncServiceImpl): string | null {
  return ctx.flags.org !== undefined ? ctx.flags.org : service.connection.current.org;
}

/** Shows transfer progress until the returned function is called. */
function showProgress(ctx: CliContext, service: SyncServiceImpl): () => void {
  const view = ctx.out.progress();
  const off = service.subscribe((name, payload) => {
    if (name === 'transfer') view.update(payload as Transfer);
  });
  return () => {
    off();
    view.done();
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

function printSummary(ctx: CliContext, s: SyncOnceSummary): void {
  ctx.out.record({ type: 'summary', ...s }, () => {
    const lines = [
      `${s.tasks.length} task${s.tasks.length === 1 ? '' : 's'}: ${s.uploadedFiles} file${s.uploadedFiles === 1 ? '' : 's'} uploaded, ${s.alreadyUploaded} already in CVAT${s.adoptedFiles ? `, ${s.adoptedFiles} found in existing tasks (not uploaded again)` : ''}, ${s.failedFiles} failed, ${s.pendingFiles} not uploaded, ${s.ignored} ignored.`,
    ];
    if (s.tasks.length) {
      lines.push(
        table(
          ['TASK', 'NAME', 'FILES', 'STATE'],
          s.tasks.map((t) => [
            t.taskId === null ? '-' : String(t.taskId),
            t.name,
            String(t.files),
            t.state + (t.error ? `: ${t.error}` : ''),
          ]),
        ),
      );
    }
    if (s.leftOut.length) {
      lines.push(`Left out (${s.leftOut.length}):`);
      lines.push(
        table(
          ['FILE', 'REASON'],
          s.leftOut.map((f) => [f.path, f.reason]),
        ),
      );
    }
    return lines.join('\n');
  });
}

export async function syncOnce(
  ctx: CliContext,
  dir: string,
  flags: RuleFlags & { once?: boolean },
): Promise<ExitCode> {
  if (!flags.once)
    throw usageError('sync runs once: add --once (or use `cvat-sync watch DIR` to keep watching).');
  const service = await ctx.service();
  const rule = ruleFromFlags(dir, flags, orgOf(ctx, service));
  const stopProgress = showProgress(ctx, service);
  const controller = new AbortController();
  const onSignal = (): void => {
    ctx.out.note(
      'Stopping: the journal keeps what was done; run the same command again to continue.',
    );
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let summary: SyncOnceSummary;
  try {
    summary = await service.folderService.syncOnce(rule, controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopProgress();
  }
  printSummary(ctx, summary);
  const allIn =
    summary.failedFiles === 0 && summary.pendingFiles === 0 && summary.leftOutProblems === 0;
  return allIn ? EXIT.ok : EXIT.itemsFailed;
}

export async function watch(ctx: CliContext, dir: string, flags: RuleFlags): Promise<ExitCode> {
  const service = await ctx.service();
  const rule = ruleFromFlags(dir, flags, orgOf(ctx, service));
  const folder = await service.folderService.watchAdHoc(rule);
  service.transferService.start();
  ctx.out.note(`Watching ${rule.path} (folder #${folder.id}); stop with Ctrl-C.`);
  const stopProgress = showProgress(ctx, service);
  const sig = await untilSignal();
  stopProgress();
  ctx.out.note(
    `${sig}: finishing the current step; the journal stays consistent and the next run continues.`,
  );
  await ctx.close();
  return EXIT.ok;
}

function folderRow(f: FolderInfo): string[] {
  const target =
    f.rule.target.kind === 'project'
      ? `project ${f.rule.target.projectId}`
      : `${f.rule.target.labels.length} labels`;
  const split = f.rule.split.kind === 'count' ? `count:${f.rule.split.count}` : f.rule.split.kind;
  return [
    String(f.id),
    f.rule.path,
    target,
    split,
    f.paused ? 'paused' : f.health.state,
    `${f.counts.uploaded}/${f.counts.files}`,
    String(f.counts.failed),
  ];
}

export async function foldersAdd(
  ctx: CliContext,
  dir: string,
  flags: RuleFlags,
): Promise<ExitCode> {
  const client = await ctx.client({ write: true });
  const org =
    ctx.flags.org !== undefined ? ctx.flags.org : unwrap(await client.api.getConnection()).org;
  const rule = ruleFromFlags(dir, flags, org);
  const f = unwrap(await client.api.addFolder(rule));
  ctx.out.record({ type: 'folder', ...f }, () =>
    client.via === 'daemon'
      ? `Added folder #${f.id}: ${f.rule.path}. The running daemon syncs it now.`
      : `Added folder #${f.id}: ${f.rule.path}. \`cvat-sync daemon\` (or the desktop app) syncs it.`,
  );
  return EXIT.ok;
}

export async function foldersLs(ctx: CliContext): Promise<ExitCode> {
  const client = await ctx.client({ write: false });
  const list = unwrap(await client.api.listFolders());
  if (ctx.out.json) {
    for (const f of list) ctx.out.record({ type: 'folder', ...f }, () => null);
    return EXIT.ok;
  }
  ctx.out.line(
    list.length
      ? table(['ID', 'PATH', 'TARGET', 'SPLIT', 'STATE', 'UPLOADED', 'FAILED'], list.map(folderRow))
      : 'No saved folders.',
  );
  return EXIT.ok;
}

export async function foldersChange(
  ctx: CliContext,
  action: 'rm' | 'pause' | 'resume',
  id: string,
): Promise<ExitCode> {
  const n = folderId(id);
  const client = await ctx.client({ write: true });
  if (action === 'rm') {
    unwrap(await client.api.removeFolder({ id: n }));
    ctx.out.record(
      { type: 'folder-removed', id: n },
      () => `Removed folder #${n} (nothing was deleted on disk or in CVAT).`,
    );
    return EXIT.ok;
  }
  const f = unwrap(
    action === 'pause'
      ? await client.api.pauseFolder({ id: n })
      : await client.api.resumeFolder({ id: n }),
  );
  ctx.out.record(
    { type: 'folder', ...f },
    () => `Folder #${f.id} ${f.paused ? 'paused' : 'resumed'}.`,
  );
  return EXIT.ok;
}

export async function daemon(
  ctx: CliContext,
  o: { guiPort?: string; open?: boolean; printUrl?: boolean },
): Promise<ExitCode> {
  const port = o.guiPort === undefined ? 0 : Number(o.guiPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(`--gui-port must be a port number, not "${o.guiPort}".`);
  const service = await ctx.service({ requireAuth: false, autostart: true });
  const d = await startDaemon({ dataDir: ctx.dataDir, port, service });
  // A printed link lands in terminals and journals: it signs in once, within a minute, and
  // --no-print-url (for services) prints only the address. The browser gets a link of its own.
  const link = o.printUrl === false ? null : d.signInLink();
  ctx.out.record({ type: 'daemon', url: d.url, port: d.port, ...(link ? { link } : {}) }, () =>
    link
      ? `CVAT Sync is running. Open the web UI (the link signs in once, within a minute; \`cvat-sync open\` makes a new one):\n  ${link}`
      : `CVAT Sync is running on ${d.url} (\`cvat-sync open\` opens the web UI).`,
  );
  if (link && (ctx.out.quiet || ctx.out.json)) process.stderr.write(`${link}\n`);
  if (o.open) openBrowser(d.signInLink());
  const sig = await untilSignal();
  ctx.out.note(`${sig}: stopping; the journal stays consistent and the next run continues.`);
  await d.close();
  await ctx.close();
  return EXIT.ok;
}

/** Opens (or with --print, prints) a fresh sign-in link to the running daemon's web UI. */
export async function openGui(ctx: CliContext, o: { print?: boolean }): Promise<ExitCode> {
  const endpoint = readDaemonFile(ctx.dataDir);
  if (!endpoint) {
    throw new SyncError(`No \`cvat-sync daemon\` is running on ${ctx.dataDir}.`, {
      code: 'no-daemon',
      kind: 'fatal',
      hint: 'Start it with `cvat-sync daemon --open` (or pass the --data-dir it uses).',
    });
  }
  const link = unwrap(await mintSignInLink(endpoint));
  if (o.print) ctx.out.record({ type: 'link', link }, () => link);
  else {
    openBrowser(link);
    ctx.out.note('Opened the web UI in the browser (the link works once, within a minute).');
  }
  return EXIT.ok;
}

/** The link travels on the opener's command line, readable by every local user: a one-time code. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}
