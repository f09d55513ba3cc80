// pause, resume and transfers …: the queue as the Transfers view shows it, acting on the running
// daemon when there is one, else on the data folder's journal directly.
import type { Transfer } from '../../../preload/contract.js';
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import type { ContractClient } from '../contract-client.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { formatBytes, formatDuration, table } from '../output.js';
import { usageError } from '../rule-options.js';

import { TRANSFER_KINDS, TRANSFER_STATES } from '../../../preload/contract.js';

export { TRANSFER_KINDS, TRANSFER_STATES };

/** Where the change happened, for the human line: the next engine run picks up a local one. */
function whereNote(client: ContractClient): string {
  return client.via === 'daemon'
    ? ' (in the running daemon)'
    : '; the next engine run (daemon, desktop app, sync or watch) follows it';
}

export async function pauseAll(ctx: CliContext, paused: boolean): Promise<ExitCode> {
  const client = await ctx.client({ write: true, offline: true });
  const r = unwrap(paused ? await client.api.pauseAll() : await client.api.resumeAll());
  ctx.out.record({ type: 'queue', paused: r.paused, via: client.via }, () =>
    r.paused
      ? `All transfers paused${whereNote(client)}. They stay paused across restarts until \`cvat-sync resume\`.`
      : `Transfers resumed${whereNote(client)}.`,
  );
  return EXIT.ok;
}

/** "a,b" and repeated flags, each checked against the allowed names. */
function listOf<T extends string>(flag: string, values: string[], allowed: readonly T[]): T[] {
  const out: T[] = [];
  for (const v of values.flatMap((x) => x.split(',')).map((x) => x.trim())) {
    if (v === '') continue;
    if (!(allowed as readonly string[]).includes(v))
      throw usageError(`${flag} must be one of ${allowed.join(', ')}; not "${v}".`);
    out.push(v as T);
  }
  return out;
}

export function parseLimit(value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw usageError(`--limit must be a whole number from 1 to ${max}, not "${value}".`);
  return n;
}

function progressOf(t: Transfer): string {
  const pct = t.bytesTotal > 0 ? Math.min(100, Math.floor((t.bytesDone / t.bytesTotal) * 100)) : 0;
  const files = t.filesTotal > 1 ? ` ${t.filesDone}/${t.filesTotal} files` : '';
  return `${pct}% ${formatBytes(t.bytesDone)}/${formatBytes(t.bytesTotal)}${files}`;
}

export async function transfersLs(
  ctx: CliContext,
  o: { state?: string[]; kind?: string[]; limit?: string },
): Promise<ExitCode> {
  const states = listOf('--state', o.state ?? [], TRANSFER_STATES);
  const kinds = listOf('--kind', o.kind ?? [], TRANSFER_KINDS);
  const limit = parseLimit(o.limit, 10_000);
  const client = await ctx.client({ write: false, offline: true });
  const list = unwrap(
    await client.api.listTransfers({
      ...(states.length ? { states } : {}),
      ...(kinds.length ? { kinds } : {}),
      ...(limit !== undefined ? { limit } : {}),
    }),
  );
  if (ctx.out.json) {
    for (const t of list) ctx.out.record({ type: 'transfer', transfer: t }, () => null);
    return EXIT.ok;
  }
  if (list.length === 0) {
    ctx.out.line('No transfers.');
    return EXIT.ok;
  }
  const lines = [
    table(
      ['ID', 'KIND', 'STATE', 'PROGRESS', 'SPEED', 'ETA', 'TITLE'],
      list.map((t) => [
        t.id,
        t.kind,
        t.stage && t.stage !== t.state ? `${t.state} (${t.stage})` : t.state,
        progressOf(t),
        t.speedBps > 0 ? `${formatBytes(t.speedBps)}/s` : '-',
        t.etaSeconds !== null ? formatDuration(t.etaSeconds) : '-',
        t.title,
      ]),
    ),
  ];
  const failing = list.filter((t) => t.error);
  if (failing.length) {
    lines.push('', 'Errors:');
    for (const t of failing) {
      const retry =
        t.state === 'waiting-retry' && t.nextAttemptAt !== null
          ? ` (attempt ${t.attempts}, next at ${new Date(t.nextAttemptAt).toISOString()})`
          : '';
      lines.push(`  ${t.id}: ${t.error?.message ?? ''}${retry}`);
      if (t.error?.hint) lines.push(`    hint: ${t.error.hint}`);
    }
  }
  const recovered = list.filter(
    (t) => t.recovery && (t.recovery.resends > 0 || t.recovery.discardedTasks > 0),
  );
  if (recovered.length) {
    lines.push('', 'Recovered from interruptions:');
    for (const t of recovered) {
      const r = t.recovery;
      if (!r) continue;
      lines.push(
        `  ${t.id}: ${r.resends} request(s) re-sent (${formatBytes(r.resentBytes)}), ` +
          `${r.ambiguousEvents} lost answer(s), ${r.discardedTasks} task(s) discarded`,
      );
    }
  }
  ctx.out.line(lines.join('\n'));
  return EXIT.ok;
}

export type TransferAction = 'retry' | 'cancel' | 'pause' | 'resume';

const DONE_TEXT: Record<TransferAction, string> = {
  retry: 'Retrying',
  cancel: 'Cancelled',
  pause: 'Paused',
  resume: 'Resumed',
};

export async function transferChange(
  ctx: CliContext,
  action: TransferAction,
  id: string,
): Promise<ExitCode> {
  if (id.trim() === '' || id.length > 200)
    throw usageError(`"${id}" is not a transfer id (see \`cvat-sync transfers ls\`).`);
  // Cancelling may delete the half-created task on the server: keep the credentials at hand.
  const client = await ctx.client({ write: true });
  const arg = { id };
  const t = unwrap(
    action === 'retry'
      ? await client.api.retryTransfer(arg)
      : action === 'cancel'
        ? await client.api.cancelTransfer(arg)
        : action === 'pause'
          ? await client.api.pauseTransfer(arg)
          : await client.api.resumeTransfer(arg),
  );
  ctx.out.record(
    { type: 'transfer', transfer: t, via: client.via },
    () =>
      `${DONE_TEXT[action]} ${t.kind} "${t.title}" (${t.state})${action === 'cancel' || action === 'pause' ? '' : whereNote(client)}.`,
  );
  return EXIT.ok;
}
