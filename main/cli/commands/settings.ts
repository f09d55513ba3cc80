// settings, activity and debug-archive: the Settings and Activity views on the command line.
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ActivityLevel, Settings } from '../../../preload/contract.js';
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { table } from '../output.js';
import { usageError } from '../rule-options.js';
import { parseSetting, settingKey, settingRows } from '../setting-values.js';
import { parseLimit } from './queue.js';
import { promptHidden, readStdin } from '../prompt.js';

/** A secret typed at a hidden prompt, or piped on stdin: never an argument. */
async function readSecret(prompt: string): Promise<string> {
  const v = process.stdin.isTTY ? await promptHidden(prompt) : await readStdin();
  if (v === '') throw usageError('No password given.');
  return v;
}

function printSettings(ctx: CliContext, s: Settings, key?: string): void {
  const rows = settingRows(s);
  if (key !== undefined) {
    const row = rows.find(([k]) => k === key);
    ctx.out.record({ type: 'settings', ...s }, () => row?.[1] ?? '');
    return;
  }
  ctx.out.record({ type: 'settings', ...s }, () =>
    table(
      ['SETTING', 'VALUE'],
      rows.map(([k, v]) => [k, v]),
    ),
  );
}

export async function settingsGet(ctx: CliContext, key?: string): Promise<ExitCode> {
  if (key !== undefined && key !== 'data-dir' && key !== 'logs-dir') settingKey(key);
  const client = await ctx.client({ write: false, offline: true });
  printSettings(ctx, unwrap(await client.api.getSettings()), key);
  return EXIT.ok;
}

export async function settingsSet(ctx: CliContext, key: string, value: string): Promise<ExitCode> {
  if (key === 'data-dir' || key === 'logs-dir')
    throw usageError(
      `${key} cannot be changed here.`,
      'Pick another data folder with --data-dir or CVAT_SYNC_HOME.',
    );
  const patch =
    key === 'proxy-password' && value === '-'
      ? { proxyPassword: await readSecret('Proxy password: ') }
      : parseSetting(key, value);
  const client = await ctx.client({ write: true, offline: true });
  const s = unwrap(await client.api.updateSettings(patch));
  const shown = settingRows(s).find(([k]) => k === key)?.[1] ?? value;
  ctx.out.record(
    { type: 'settings', ...s, via: client.via },
    () => `${key} = ${shown}${client.via === 'daemon' ? ' (the running daemon uses it now)' : ''}.`,
  );
  return EXIT.ok;
}

const LEVELS: readonly ActivityLevel[] = ['info', 'warn', 'error'];

/** The options of `cvat-sync activity`, as commander gives them. */
export interface ActivityFlags {
  level?: string[];
  kind?: string;
  search?: string;
  folder?: string;
  limit?: string;
  before?: string;
}

export async function activity(ctx: CliContext, o: ActivityFlags): Promise<ExitCode> {
  const levels: ActivityLevel[] = [];
  for (const l of (o.level ?? []).flatMap((x) => x.split(',')).map((x) => x.trim())) {
    if (l === '') continue;
    if (!LEVELS.includes(l as ActivityLevel))
      throw usageError(`--level must be info, warn or error; not "${l}".`);
    if (!levels.includes(l as ActivityLevel)) levels.push(l as ActivityLevel);
  }
  const positive = (flag: string, v: string | undefined): number | null => {
    if (v === undefined) return null;
    if (!/^\d+$/.test(v.trim()) || Number(v) <= 0)
      throw usageError(`${flag} must be a positive whole number, not "${v}".`);
    return Number(v);
  };
  const folderId = positive('--folder', o.folder);
  const beforeId = positive('--before', o.before);
  const limit = parseLimit(o.limit, 1000) ?? 50;
  const client = await ctx.client({ write: false, offline: true });
  const entries = unwrap(
    await client.api.listActivity({
      ...(levels.length ? { levels } : {}),
      ...(o.kind ? { kind: o.kind } : {}),
      ...(o.search ? { search: o.search } : {}),
      folderId,
      beforeId,
      limit,
    }),
  );
  if (ctx.out.json) {
    for (const e of entries) ctx.out.record({ type: 'activity', ...e }, () => null);
    return EXIT.ok;
  }
  if (entries.length === 0) {
    ctx.out.line('No activity.');
    return EXIT.ok;
  }
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(
      `${new Date(e.at).toISOString()}  ${e.level.padEnd(5)}  ${e.kind.padEnd(10)}  ${e.message}`,
    );
    if (e.hint) lines.push(`${' '.repeat(24)}hint: ${e.hint}`);
  }
  ctx.out.line(lines.join('\n'));
  return EXIT.ok;
}

/** Moves a file, also across file systems (the downloads folder may be another disk). */
function move(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(from, to);
    rmSync(from, { force: true });
  }
}

export async function debugArchive(ctx: CliContext, o: { output?: string }): Promise<ExitCode> {
  let target: string | null = null;
  if (o.output !== undefined) {
    const out = resolve(o.output);
    if (existsSync(out) && statSync(out).isDirectory()) target = out;
    else if (!existsSync(dirname(out)))
      throw usageError(
        `The folder ${dirname(out)} does not exist.`,
        'Create it first, or pass another -o.',
        'missing-path',
      );
    else target = out;
  }
  const client = await ctx.client({ write: false });
  let { path } = unwrap(await client.api.exportDebugArchive());
  if (target !== null) {
    const dest = statSync(target, { throwIfNoEntry: false })?.isDirectory()
      ? join(target, basename(path))
      : target;
    if (dest !== path) {
      move(path, dest);
      path = dest;
    }
  }
  ctx.out.record({ type: 'debug-archive', path }, () => path);
  ctx.out.note('Credentials were removed from the archive; look through it before you share it.');
  return EXIT.ok;
}
