// export, backup, restore, import-annotations: one results transfer each, followed to its end.
import { existsSync, linkSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Result, Transfer } from '../../../preload/contract.js';
import { SyncError } from '../../core/errors.js';
import { collisionName } from '../../core/safe-filename.js';
import type { SyncServiceImpl } from '../../service/sync-service.js';
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { requireFile, usageError } from '../rule-options.js';

export function taskId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw usageError(`"${value}" is not a task id (a positive whole number).`);
  return Number(value);
}

/** Where -o points: a folder (keep the server's file name) or a file name in an existing folder. */
function outputTarget(o: string | undefined): { dir: string; file: string | null } {
  const path = resolve(o ?? '.');
  if (existsSync(path) && statSync(path).isDirectory()) return { dir: path, file: null };
  const dir = dirname(path);
  if (!existsSync(dir))
    throw usageError(
      `The folder ${dir} does not exist.`,
      'Create it first, or pass another -o.',
      'missing-path',
    );
  return { dir, file: path };
}

/**
 * Follows one results transfer to its end with progress, and returns it. A finished transfer
 * goes through `publish` (which may move the file) before its "done" line is shown, so that
 * line names the file that is there.
 */
async function follow(
  ctx: CliContext,
  service: SyncServiceImpl,
  started: Transfer,
  publish: (done: Transfer) => Transfer = (done) => done,
): Promise<Transfer> {
  const view = ctx.out.progress();
  const show = (transfer: Transfer): void => {
    if (transfer.state !== 'done') view.update(transfer);
  };
  show(started);
  const off = service.subscribe((name, payload) => {
    if (name === 'transfer' && (payload as Transfer).id === started.id) show(payload as Transfer);
  });
  const stop = (): void => {
    void service.pauseTransfer({ id: started.id });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const ended = await service.transferService.waitForResult(started.id);
    const result = ended.state === 'done' ? publish(ended) : ended;
    view.update(result);
    return result;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    off();
    view.done();
  }
}

function finish(
  ctx: CliContext,
  t: Transfer,
  extra: Record<string, unknown>,
  human: string,
): ExitCode {
  if (t.state === 'done') {
    ctx.out.record({ type: 'result', ...extra, transfer: t }, () => human);
    return EXIT.ok;
  }
  if (t.state === 'paused') {
    ctx.out.note(
      `Interrupted: "${t.title}" is paused and continues with the next engine run (daemon or desktop app) or \`cvat-sync\` retry.`,
    );
    return EXIT.itemsFailed;
  }
  throw new SyncError(`${t.title}: ${t.error?.message ?? t.state}`, {
    code: t.error?.code ?? 'failed',
    kind: t.error?.kind ?? 'item',
    ...(t.error?.hint ? { hint: t.error.hint } : {}),
    ...(t.error?.status !== undefined ? { status: t.error.status } : {}),
  });
}

/**
 * The finished transfer with its file at -o FILE, or at the first free numbered name next to it
 * ("coco (2).zip"): as everywhere else, an existing file is never overwritten.
 */
function publishAt(file: string | null): (done: Transfer) => Transfer {
  return (done) => {
    const from = done.destination ?? '';
    if (!file || from === '' || from === file) return done;
    return { ...done, destination: moveWithoutOverwrite(from, file) };
  };
}

function moveWithoutOverwrite(from: string, file: string): string {
  const dir = dirname(file);
  const name = basename(file);
  for (let n = 1; ; n++) {
    const candidate = join(dir, collisionName(name, n));
    if (candidate === from) return from;
    try {
      // A hard link fails when the name is taken, also when another process just took it.
      linkSync(from, candidate);
      unlinkSync(from);
      return candidate;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (!NO_HARD_LINKS.has(code ?? '')) throw e;
      // Filesystems without hard links (FAT, some network shares): check, then rename.
      if (existsSync(candidate)) continue;
      renameSync(from, candidate);
      return candidate;
    }
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Starts an export or backup into -o's folder, follows it, and puts the file where -o says. */
async function downloadTo(
  ctx: CliContext,
  output: string | undefined,
  start: (service: SyncServiceImpl, dir: string) => Promise<Result<Transfer>>,
): Promise<ExitCode> {
  const target = outputTarget(output);
  const service = await ctx.service();
  service.transferService.startResults();
  const started = unwrap(await start(service, target.dir));
  const t = await follow(ctx, service, started, publishAt(target.file));
  if (t.state !== 'done') return finish(ctx, t, {}, '');
  const path = t.destination ?? '';
  return finish(ctx, t, { path }, path);
}

export function exportCommand(
  ctx: CliContext,
  id: string,
  o: { format: string; withImages?: boolean; output?: string },
): Promise<ExitCode> {
  return downloadTo(ctx, o.output, (service, destination) =>
    service.exportDataset({
      target: { kind: 'task', id: taskId(id) },
      format: o.format,
      withImages: Boolean(o.withImages),
      destination,
    }),
  );
}

export function backupCommand(
  ctx: CliContext,
  id: string,
  o: { output?: string },
): Promise<ExitCode> {
  return downloadTo(ctx, o.output, (service, destination) =>
    service.backup({ target: { kind: 'task', id: taskId(id) }, destination }),
  );
}

export async function restoreCommand(
  ctx: CliContext,
  file: string,
  o: { project?: string },
): Promise<ExitCode> {
  const path = requireFile(file);
  const projectId = o.project === undefined ? null : taskIdOf('--project', o.project);
  const service = await ctx.service();
  service.transferService.startResults();
  const started = unwrap(await service.restoreBackup({ path, projectId }));
  const t = await follow(ctx, service, started);
  return finish(ctx, t, { taskId: t.taskId }, String(t.taskId));
}

export async function importCommand(
  ctx: CliContext,
  id: string,
  file: string,
  o: { format: string; mode: 'replace' | 'append' },
): Promise<ExitCode> {
  const path = requireFile(file);
  const service = await ctx.service();
  service.transferService.startResults();
  const started = unwrap(
    await service.importAnnotations({ taskId: taskId(id), path, format: o.format, mode: o.mode }),
  );
  const t = await follow(ctx, service, started);
  return finish(ctx, t, { taskId: t.taskId }, `Imported ${basename(path)} into task ${id}.`);
}

function taskIdOf(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw usageError(`${flag} must be a positive whole number, not "${value}".`);
  return Number(value);
}
