// folders preview and folders ignored: what a rule would make of a folder, and what a saved
// folder leaves out and why (the add-folder form's preview and the ignored-files list).
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { formatBytes, table } from '../output.js';
import type { RuleFlags } from '../rule-options.js';
import { ruleFromFlags, usageError } from '../rule-options.js';
import { parseLimit } from './queue.js';

export function folderId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw usageError(`"${value}" is not a folder id (see \`cvat-sync folders ls\`).`);
  return Number(value);
}

export async function foldersPreview(
  ctx: CliContext,
  dir: string,
  flags: RuleFlags,
): Promise<ExitCode> {
  // Nothing is saved or sent: any engine (or none) can answer.
  const rule = ruleFromFlags(dir, flags, ctx.flags.org ?? null);
  const client = await ctx.client({ write: false, offline: true });
  const p = unwrap(await client.api.previewFolder(rule));
  ctx.out.record({ type: 'preview', ...p }, () => {
    const lines = [
      p.tasks.length
        ? table(
            ['TASK NAME', 'FILES', 'SIZE', 'MEDIA'],
            p.tasks.map((t) => [t.name, String(t.files), formatBytes(t.bytes), t.media]),
          )
        : 'No tasks: nothing in this folder would be uploaded.',
    ];
    if (p.ignored.length) {
      lines.push('', `Ignored (${p.ignored.length}):`);
      for (const f of p.ignored) lines.push(`  ${f.path}: ${f.reason}`);
    }
    if (p.truncated) lines.push('', 'The folder holds more files than the preview looked at.');
    return lines.join('\n');
  });
  return EXIT.ok;
}

export async function foldersIgnored(
  ctx: CliContext,
  id: string,
  o: { limit?: string },
): Promise<ExitCode> {
  const n = folderId(id);
  const limit = parseLimit(o.limit, 10_000) ?? 500;
  const client = await ctx.client({ write: false });
  const files = unwrap(await client.api.listIgnored({ id: n, limit }));
  if (ctx.out.json) {
    for (const f of files) ctx.out.record({ type: 'ignored', folderId: n, ...f }, () => null);
    return EXIT.ok;
  }
  ctx.out.line(
    files.length
      ? table(
          ['PATH', 'REASON'],
          files.map((f) => [f.path, f.reason]),
        )
      : `No ignored files in folder #${n}.`,
  );
  return EXIT.ok;
}
