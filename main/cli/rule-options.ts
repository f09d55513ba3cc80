// Sync-rule options shared by `sync`, `watch` and `folders add`, turned into the contract's
// FolderRule and validated by the same schema the UI's calls go through.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { FolderRule, LabelSpec, SplitPolicy, TaskOptions } from '../../preload/contract.js';
import { SyncError } from '../core/errors.js';
import type { RuleProblem } from '../engine/planner/rule-validation.js';
import { validateFolderRule } from '../engine/planner/rule-validation.js';
import { parseMethodArg } from '../service/contract-schemas.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addRuleOptions(cmd: Command): Command {
  return cmd
    .option('--project <id>', 'create the tasks in this CVAT project (uses its labels)')
    .option(
      '--labels <file>',
      'a JSON file with the labels, in CVAT format ([{"name": "car"}, ...])',
    )
    .option('--split <policy>', 'subfolder | count:N | file', 'subfolder')
    .option(
      '--name <template>',
      'task name template: {folder} {subfolder} {file} {index} {date} {time}',
    )
    .option('--include <glob>', 'only files matching this glob (repeatable)', collect, [])
    .option('--exclude <glob>', 'skip files matching this glob (repeatable)', collect, [])
    .option('--settle <seconds>', 'a file must be unchanged this long before it is uploaded', '10')
    .option('--polling', 'poll for changes instead of OS events (network shares)')
    .option('--image-quality <n>', 'JPEG quality of the compressed copies, 1-100', '70')
    .option('--segment-size <n>', 'frames per job (0 = one job)')
    .option('--overlap <n>', 'frames shared by consecutive jobs')
    .addOption(
      new Option('--sorting-method <method>', 'frame order').choices([
        'lexicographical',
        'natural',
        'predefined',
        'random',
      ]),
    )
    .option('--chunk-size <n>', 'frames per data chunk')
    .option('--subset <name>', 'dataset subset, e.g. train')
    .option('--start-frame <n>', 'first frame to use')
    .option('--stop-frame <n>', 'last frame to use')
    .option('--frame-step <n>', 'use every N-th frame')
    .option('--bug-tracker <url>', 'issue tracker link of the tasks')
    .option(
      '--adopt-existing',
      'after the data folder was lost: record tasks already in CVAT (same name, same frame names and count) as done instead of uploading them again',
    );
}

export interface RuleFlags {
  project?: string;
  labels?: string;
  split: string;
  name?: string;
  include: string[];
  exclude: string[];
  settle: string;
  polling?: boolean;
  imageQuality: string;
  segmentSize?: string;
  overlap?: string;
  sortingMethod?: TaskOptions['sortingMethod'];
  chunkSize?: string;
  subset?: string;
  startFrame?: string;
  stopFrame?: string;
  frameStep?: string;
  bugTracker?: string;
  adoptExisting?: boolean;
}

export function usageError(message: string, hint?: string, code = 'usage'): SyncError {
  return new SyncError(message, {
    code,
    kind: 'item',
    operation: 'read command line',
    ...(hint ? { hint } : {}),
  });
}

function int(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw usageError(`${flag} must be a whole number, not "${value}".`);
  return Number(value);
}

function parseSplit(value: string): SplitPolicy {
  if (value === 'subfolder' || value === 'file') return { kind: value };
  const m = /^count:(\d+)$/.exec(value);
  if (m && Number(m[1]) > 0) return { kind: 'count', count: Number(m[1]) };
  throw usageError(`--split must be subfolder, count:N or file, not "${value}".`);
}

function readLabels(file: string): LabelSpec[] {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usageError(
      `Cannot read the labels file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}.`,
      undefined,
      code === 'ENOENT' ? 'missing-path' : 'unreadable-path',
    );
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]) as LabelSpec[];
  } catch {
    throw usageError(
      `The labels file ${path} is not JSON.`,
      'Write the labels as CVAT does, e.g. [{"name": "car"}, {"name": "person"}].',
    );
  }
}

/** An existing, readable directory, as an absolute path; a clear usage error otherwise. */
export function requireFolder(dir: string): string {
  const path = resolve(dir);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw usageError(
        `The folder ${path} does not exist.`,
        'Check the path (is the drive mounted?).',
        'missing-path',
      );
    throw usageError(
      `Cannot open ${path}: ${code ?? (e as Error).message}.`,
      undefined,
      'unreadable-path',
    );
  }
  if (!st.isDirectory()) throw usageError(`${path} is not a folder.`, undefined, 'not-a-folder');
  try {
    accessSync(path, constants.R_OK | constants.X_OK);
  } catch {
    throw usageError(
      `The folder ${path} is not readable by this user.`,
      'Fix its permissions (chmod u+rx) or run as its owner.',
      'unreadable-path',
    );
  }
  return path;
}

/** An existing, readable file, as an absolute path. */
export function requireFile(file: string): string {
  const path = resolve(file);
  try {
    const st = statSync(path);
    if (!st.isFile()) throw usageError(`${path} is not a file.`, undefined, 'not-a-file');
    accessSync(path, constants.R_OK);
  } catch (e) {
    if (e instanceof SyncError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw usageError(`The file ${path} does not exist.`, undefined, 'missing-path');
    throw usageError(
      `Cannot read ${path}: ${code ?? (e as Error).message}.`,
      undefined,
      'unreadable-path',
    );
  }
  return path;
}

export function ruleFromFlags(dir: string, flags: RuleFlags, org: string | null): FolderRule {
  const path = requireFolder(dir);
  if ((flags.project === undefined) === (flags.labels === undefined)) {
    throw usageError('Choose where the tasks go: --project ID or --labels FILE (one of them).');
  }
  const taskOptions: TaskOptions = {
    imageQuality: int('--image-quality', flags.imageQuality) ?? 70,
  };
  const optional: Array<[keyof TaskOptions, string, string | undefined]> = [
    ['segmentSize', '--segment-size', flags.segmentSize],
    ['overlap', '--overlap', flags.overlap],
    ['chunkSize', '--chunk-size', flags.chunkSize],
    ['startFrame', '--start-frame', flags.startFrame],
    ['stopFrame', '--stop-frame', flags.stopFrame],
    ['frameStep', '--frame-step', flags.frameStep],
  ];
  for (const [key, flag, value] of optional) {
    const n = int(flag, value);
    if (n !== undefined) (taskOptions as unknown as Record<string, number>)[key] = n;
  }
  if (flags.sortingMethod) taskOptions.sortingMethod = flags.sortingMethod;
  if (flags.subset) taskOptions.subset = flags.subset;
  if (flags.bugTracker) taskOptions.bugTracker = flags.bugTracker;
  const settle = Number(flags.settle);
  if (!Number.isFinite(settle) || settle < 0)
    throw usageError(`--settle must be a number of seconds, not "${flags.settle}".`);
  const rule: FolderRule = {
    path,
    target:
      flags.project !== undefined
        ? { kind: 'project', projectId: int('--project', flags.project) ?? 0 }
        : { kind: 'labels', labels: readLabels(flags.labels ?? '') },
    org,
    split: parseSplit(flags.split),
    nameTemplate: flags.name ?? null,
    include: flags.include,
    exclude: flags.exclude,
    settleSeconds: settle,
    polling: flags.polling ?? false,
    taskOptions,
    ...(flags.adoptExisting ? { adoptExisting: true } : {}),
  };
  // The checks the service makes on save, one line per problem named by its option; the
  // contract's schema catches anything else.
  const problems = validateFolderRule(rule);
  if (problems.length)
    throw usageError(
      `Invalid sync rule:\n${problems.map((p) => `  ${optionOf(p)}: ${p.message}`).join('\n')}`,
      undefined,
      'invalid-rule',
    );
  const checked = parseMethodArg('addFolder', rule);
  if (!checked.ok)
    throw usageError(
      checked.error.message.replace(/^Invalid argument for addFolder: /, 'Invalid sync rule: '),
    );
  return checked.arg as FolderRule;
}

/** The command-line option a rule field comes from ('taskOptions.chunkSize' -> --chunk-size). */
function optionOf(p: RuleProblem): string {
  if (p.field === 'path') return 'DIR';
  if (p.field === 'target') return '--project/--labels';
  if (p.field === 'nameTemplate') return '--name';
  if (p.field === 'settleSeconds') return '--settle';
  const name = p.field.replace(/^taskOptions\./, '');
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
