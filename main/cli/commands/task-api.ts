// tasks edit, verify: the task API beyond create/list/delete.
import { resolve } from 'node:path';
import type { TaskEdit, TaskLabelEdit, VerifyReport } from '../../../preload/contract.js';
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { table } from '../output.js';
import { usageError } from '../rule-options.js';
import { taskId } from './results.js';
import { plural } from '../../core/plural.js';

export interface EditFlags {
  name?: string;
  assignee?: string;
  subset?: string;
  project?: string;
  bugTracker?: string;
  addLabel?: string[];
  renameLabel?: string[];
  deleteLabel?: string[];
}

export async function tasksEdit(ctx: CliContext, id: string, o: EditFlags): Promise<ExitCode> {
  const edit: TaskEdit = { taskId: taskId(id) };
  if (o.name !== undefined) {
    if (!o.name.trim()) throw usageError('--name must not be empty.');
    edit.name = o.name;
  }
  if (o.subset !== undefined) edit.subset = o.subset;
  if (o.bugTracker !== undefined) edit.bugTracker = o.bugTracker;
  if (o.project?.trim() === 'none')
    // CVAT answers project_id: null with a 500 (TaskWriteSerializer.validate in CVAT's
    // cvat/apps/engine/serializers.py looks up a project with id None) and has no other way out.
    throw usageError(
      `CVAT cannot take task #${edit.taskId} out of its project.`,
      'A task can only be moved into another project. For a task without a project, back it up (`cvat-sync backup ID`) and restore it without --project (`cvat-sync restore FILE`).',
    );
  if (o.project !== undefined) edit.projectId = taskId(o.project);
  const labelEdits =
    (o.addLabel?.length ?? 0) + (o.renameLabel?.length ?? 0) + (o.deleteLabel?.length ?? 0);
  if (
    edit.name === undefined &&
    edit.subset === undefined &&
    edit.bugTracker === undefined &&
    edit.projectId === undefined &&
    o.assignee === undefined &&
    labelEdits === 0
  )
    throw usageError(
      'Nothing to change.',
      'Give at least one of --name, --assignee, --subset, --project, --bug-tracker, --add-label, --rename-label, --delete-label.',
    );
  const client = await ctx.client({ write: false, requireAuth: true });
  const api = client.api;
  if (o.assignee !== undefined) {
    const wanted = o.assignee.trim();
    if (wanted === '' || wanted === 'none') edit.assigneeId = null;
    else {
      const users = unwrap(await api.searchUsers({ search: wanted }));
      const user = users.find((u) => u.username === wanted);
      if (!user)
        throw usageError(
          `No user "${wanted}" on the server.`,
          users.length
            ? `Did you mean ${users
                .slice(0, 5)
                .map((u) => u.username)
                .join(', ')}?`
            : 'Give the exact user name (or "none" to unassign).',
        );
      edit.assigneeId = user.id;
    }
  }
  if (labelEdits > 0) {
    const labels = unwrap(await api.listTaskLabels({ taskId: edit.taskId }));
    const byName = (n: string) => {
      const l = labels.find((x) => x.name === n);
      if (!l)
        throw usageError(
          `Task #${edit.taskId} has no label "${n}".`,
          `Its labels: ${labels.map((x) => x.name).join(', ') || 'none'}.`,
        );
      return l.id;
    };
    const out: TaskLabelEdit[] = [];
    for (const r of o.renameLabel ?? []) {
      const eq = r.indexOf('=');
      if (eq <= 0 || eq === r.length - 1)
        throw usageError(`--rename-label takes OLD=NEW, not "${r}".`);
      out.push({ id: byName(r.slice(0, eq)), name: r.slice(eq + 1) });
    }
    for (const d of o.deleteLabel ?? []) out.push({ id: byName(d), deleted: true });
    for (const a of o.addLabel ?? []) out.push({ name: a });
    edit.labels = out;
  }
  const t = unwrap(await api.editTask(edit));
  ctx.out.record({ type: 'task', ...t }, () =>
    [
      `Task #${t.id} “${t.name}” updated.`,
      `  project: ${t.projectName ?? (t.projectId === null ? '-' : `#${t.projectId}`)}`,
      `  assignee: ${t.assignee ?? '-'}`,
      `  subset: ${t.subset || '-'}`,
    ].join('\n'),
  );
  return EXIT.ok;
}

const STATE_TEXT: Record<string, string> = {
  'in-cvat': 'in CVAT',
  missing: 'MISSING from CVAT',
  'not-uploaded': 'NOT in CVAT',
  foreign: 'in CVAT, not from this folder',
};

export async function verifyCommand(
  ctx: CliContext,
  dir: string,
  o: { all?: boolean },
): Promise<ExitCode> {
  const client = await ctx.client({ write: false, requireAuth: true });
  const report = unwrap(await client.api.verifyFolder({ path: resolve(dir) }));
  printReport(ctx, report, Boolean(o.all));
  return report.totals.missing + report.totals.notUploaded > 0 ? EXIT.itemsFailed : EXIT.ok;
}

function printReport(ctx: CliContext, r: VerifyReport, all: boolean): void {
  if (ctx.out.json) {
    for (const t of r.tasks) ctx.out.record({ type: 'task', ...t }, () => null);
    for (const e of r.entries) ctx.out.record({ type: 'file', ...e }, () => null);
    ctx.out.record({ type: 'summary', path: r.path, ...r.totals }, () => null);
    return;
  }
  const shown = all ? r.entries : r.entries.filter((e) => e.state !== 'in-cvat');
  const lines: string[] = [];
  if (r.tasks.length)
    lines.push(
      table(
        ['TASK', 'NAME', 'FRAMES', 'IN CVAT', 'MISSING', 'NOT FROM FOLDER'],
        r.tasks.map((t) => [
          String(t.taskId),
          t.name,
          t.reachable ? String(t.frames) : `unreadable: ${t.error?.message ?? ''}`,
          String(t.inCvat),
          String(t.missing),
          String(t.foreign),
        ]),
      ),
    );
  if (shown.length)
    lines.push(
      table(
        ['FILE', 'STATE', 'TASK', 'FRAME', 'SIZE', 'DETAIL'],
        shown.map((e) => [
          e.path,
          STATE_TEXT[e.state] ?? e.state,
          e.taskId === null ? '-' : String(e.taskId),
          e.frame === null ? '-' : String(e.frame),
          e.width !== null && e.height !== null ? `${e.width}×${e.height}` : '-',
          e.detail ?? '',
        ]),
      ),
    );
  const t = r.totals;
  lines.push(
    `${r.path ?? 'Task'}: ${plural(t.inCvat, 'file')} in CVAT, ${t.missing} missing from CVAT, ${t.notUploaded} not in CVAT, ${plural(t.foreign, 'frame')} in CVAT but not from this folder.`,
  );
  ctx.out.record({}, () => lines.join('\n'));
}

export async function annotationsPull(
  ctx: CliContext,
  id: string,
  o: { output?: string },
): Promise<ExitCode> {
  const taskIdValue = taskId(id);
  const client = await ctx.client({ write: false, requireAuth: true });
  const path = resolve(o.output ?? `task-${taskIdValue}-annotations.json`);
  const r = unwrap(await client.api.pullAnnotations({ taskId: taskIdValue, path }));
  ctx.out.record(
    { type: 'annotations', taskId: taskIdValue, ...r },
    () =>
      `Saved ${plural(r.counts.shapes, 'shape')}, ${plural(r.counts.tags, 'tag')} and ${plural(r.counts.tracks, 'track')} of task #${taskIdValue} to ${r.path}.`,
  );
  return EXIT.ok;
}

export async function annotationsPush(
  ctx: CliContext,
  file: string,
  id: string,
  o: { mode: 'replace' | 'append' | 'update' | 'delete' },
): Promise<ExitCode> {
  const taskIdValue = taskId(id);
  const path = resolve(file);
  // Checked here first: a bad file is a usage error before any connection is made.
  const { readFileSync } = await import('node:fs');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw usageError(
      `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`,
      undefined,
      'missing-path',
    );
  }
  const { parseAnnotationsFile } = await import('../../service/annotations.js');
  try {
    parseAnnotationsFile(text, file);
  } catch (e) {
    const err = e as Error & { hint?: string };
    throw usageError(err.message, err.hint);
  }
  const client = await ctx.client({ write: false, requireAuth: true });
  const counts = unwrap(
    await client.api.pushAnnotations({ taskId: taskIdValue, mode: o.mode, path }),
  );
  ctx.out.record(
    { type: 'annotations', taskId: taskIdValue, mode: o.mode, counts },
    () =>
      `Task #${taskIdValue} (${o.mode}): CVAT applied ${plural(counts.shapes, 'shape')}, ${plural(counts.tags, 'tag')} and ${plural(counts.tracks, 'track')}.`,
  );
  return EXIT.ok;
}

export interface FramesFlags {
  frames?: string;
  quality: 'compressed' | 'original';
  output?: string;
  delete?: string;
  restore?: string;
  yes?: boolean;
}

const EXT: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/bmp': '.bmp',
  'image/tiff': '.tif',
  'image/webp': '.webp',
};

export async function tasksFrames(ctx: CliContext, id: string, o: FramesFlags): Promise<ExitCode> {
  const tid = taskId(id);
  const { parseFrameList } = await import('../../service/task-frames.js');
  const asList = (flag: string, v: string | undefined) => {
    if (v === undefined) return [];
    try {
      return parseFrameList(v);
    } catch (e) {
      throw usageError(`${flag}: ${(e as Error).message}`);
    }
  };
  const del = asList('--delete', o.delete);
  const restore = asList('--restore', o.restore);
  const wanted = o.frames === undefined ? null : asList('--frames', o.frames);
  if ((del.length || restore.length) && o.output)
    throw usageError('Either download frames (-o DIR) or change deleted frames, not both at once.');
  const client = await ctx.client({ write: false, requireAuth: true });
  const api = client.api;
  const info = unwrap(await api.getTaskFrames({ taskId: tid }));
  const name = (i: number) => info.frames[i]?.name ?? `frame ${i}`;
  if (del.length || restore.length) {
    const out = [...del, ...restore].filter((f) => f >= info.size);
    if (out.length)
      throw usageError(
        `Task #${tid} has frames 0-${info.size - 1}; ${out.join(', ')} is not one of them.`,
      );
    const lines: string[] = [];
    if (del.length)
      lines.push(
        `Annotators of task #${tid} will no longer see ${plural(del.length, 'frame')}: ${del
          .slice(0, 20)
          .map((f) => `${f} (${name(f)})`)
          .join(', ')}${del.length > 20 ? ', …' : ''}. Their annotations stay, hidden with them.`,
      );
    if (restore.length)
      lines.push(
        `Annotators will see again ${plural(restore.length, 'frame')}: ${restore.map((f) => `${f} (${name(f)})`).join(', ')}.`,
      );
    if (!o.yes) {
      if (!process.stdin.isTTY)
        throw usageError(lines.join('\n'), 'Add --yes to confirm without a terminal.');
      const { promptLine } = await import('../prompt.js');
      const answer = await promptLine(`${lines.join('\n')}\nContinue? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) {
        ctx.out.line('Nothing changed.');
        return EXIT.ok;
      }
    } else ctx.out.note(lines.join('\n'));
    const next = unwrap(await api.setDeletedFrames({ taskId: tid, delete: del, restore }));
    ctx.out.record(
      { type: 'frames', taskId: tid, deleted: next.deleted },
      () =>
        `Task #${tid}: deleted frames now ${next.deleted.length ? next.deleted.join(', ') : 'none'}.`,
    );
    return EXIT.ok;
  }
  const frames = info.frames.filter((f) => wanted === null || wanted.includes(f.index));
  if (!o.output) {
    if (ctx.out.json) {
      for (const f of frames) ctx.out.record({ type: 'frame', taskId: tid, ...f }, () => null);
      return EXIT.ok;
    }
    ctx.out.line(
      table(
        ['FRAME', 'SOURCE', 'NAME', 'SIZE', 'DELETED'],
        frames.map((f) => [
          String(f.index),
          String(f.sourceFrame),
          f.name,
          f.width !== null ? `${f.width}×${f.height}` : '-',
          f.deleted ? 'deleted' : '',
        ]),
      ),
    );
    ctx.out.line(
      `${plural(info.size, 'frame')} (source frames ${info.startFrame}-${info.stopFrame}, step ${info.frameStep}), ${info.deleted.length} deleted.`,
    );
    return EXIT.ok;
  }
  const missing = (wanted ?? []).filter((f) => f >= info.size);
  if (missing.length)
    throw usageError(
      `Task #${tid} has frames 0-${info.size - 1}; ${missing.join(', ')} is not one of them.`,
    );
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = resolve(o.output);
  mkdirSync(dir, { recursive: true });
  let saved = 0;
  const skipped: number[] = [];
  for (const f of frames) {
    if (f.deleted) {
      skipped.push(f.index);
      continue;
    }
    const url = unwrap(await api.getFrame({ taskId: tid, frame: f.index, quality: o.quality }));
    const comma = url.indexOf(',');
    const mime = url.slice(5, url.indexOf(';'));
    const file = join(dir, `frame_${String(f.index).padStart(6, '0')}${EXT[mime] ?? '.bin'}`);
    writeFileSync(file, Buffer.from(url.slice(comma + 1), 'base64'));
    saved++;
    ctx.out.record({ type: 'frame-saved', frame: f.index, path: file }, () => null);
  }
  ctx.out.record(
    { type: 'summary', saved, skippedDeleted: skipped },
    () =>
      `Saved ${plural(saved, 'frame')} of task #${tid} to ${dir}${skipped.length ? `; skipped ${plural(skipped.length, 'deleted frame')} (${skipped.join(', ')})` : ''}.`,
  );
  return EXIT.ok;
}

export async function tasksValidation(
  ctx: CliContext,
  id: string,
  o: { shuffleHoneypots?: boolean; disableFrames?: string },
): Promise<ExitCode> {
  const tid = taskId(id);
  const { parseFrameList } = await import('../../service/task-frames.js');
  let disable: number[] = [];
  try {
    disable = o.disableFrames === undefined ? [] : parseFrameList(o.disableFrames);
  } catch (e) {
    throw usageError(`--disable-frames: ${(e as Error).message}`);
  }
  const client = await ctx.client({ write: false, requireAuth: true });
  const api = client.api;
  const v =
    o.shuffleHoneypots || disable.length
      ? unwrap(
          await api.updateValidationLayout({
            taskId: tid,
            ...(o.shuffleHoneypots ? { shuffleHoneypots: true } : {}),
            ...(disable.length ? { disableFrames: disable } : {}),
          }),
        )
      : unwrap(await api.getValidationLayout({ taskId: tid }));
  const frames = (xs: number[]) => (xs.length ? xs.join(', ') : 'none');
  ctx.out.record({ type: 'validation', ...v }, () =>
    v.mode === null
      ? `Task #${tid} has no validation (no ground truth, no honeypots).`
      : [
          `Task #${tid}: validation mode ${v.mode}${v.framesPerJob !== null ? `, ${plural(v.framesPerJob, 'frame')} per job` : ''}`,
          `  ground-truth frames: ${frames(v.validationFrames)}`,
          `  disabled: ${frames(v.disabledFrames)}`,
          `  honeypots: ${v.honeypotCount}${v.honeypotFrames.length ? ` (${v.honeypotFrames.map((f, i) => `${f}→${v.honeypotRealFrames[i] ?? '?'}`).join(', ')})` : ''}`,
        ].join('\n'),
  );
  return EXIT.ok;
}
