// The folder editor's fields and the rule they describe. The checks are the contract's folder-rule
// schema (the one the service and the planner use), never a copy: what the editor refuses, the
// service refuses. Plain functions, no runes, so a Node test can hold the two side by side.
import type {
  AutoExportRule,
  FolderRule,
  FormatInfo,
  LabelSpec,
  RuleProblem,
  SplitPolicy,
} from '../../../preload/contract.js';
import { DEFAULT_TEMPLATES, folderRuleProblems } from '../../../preload/contract.js';

/** The schema's bounds, for the inputs' min/max hints. */
export {
  MAX_FILES_PER_TASK,
  MAX_INTERVAL_MINUTES,
  MAX_SETTLE_SECONDS,
} from '../../../preload/contract.js';

const MIB = 1024 * 1024;

/** What the form edits; the parts that are not fields of the rule as stored. */
export interface FolderFormFields {
  /** Edited in place: path, polling, adoptExisting, nameTemplate, settleSeconds, taskOptions. */
  rule: FolderRule;
  includeText: string;
  excludeText: string;
  targetKind: FolderRule['target']['kind'];
  projectId: number | null;
  labels: LabelSpec[];
  splitKind: SplitPolicy['kind'];
  /** null while the number field is empty. */
  splitCount: number | null;
  maxFileMiB: number | null;
  autoExport: AutoExportRule | null;
}

/** The fields for a rule; `rule` must be a plain copy the form may change. */
export function fieldsFromRule(rule: FolderRule): FolderFormFields {
  return {
    rule,
    includeText: rule.include.join('\n'),
    excludeText: rule.exclude.join('\n'),
    targetKind: rule.target.kind,
    projectId: rule.target.kind === 'project' ? rule.target.projectId : null,
    labels: rule.target.kind === 'labels' ? rule.target.labels : [],
    splitKind: rule.split.kind,
    splitCount: rule.split.kind === 'count' ? rule.split.count : 100,
    maxFileMiB: rule.maxFileSizeBytes ? Math.round(rule.maxFileSizeBytes / MIB) : null,
    autoExport: rule.autoExport ?? null,
  };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * The rule as the form describes it. Nothing is clamped or guessed: an empty or bad number goes
 * through as it is, and the schema names it.
 */
export function ruleFromFields(fields: FolderFormFields): FolderRule {
  const { rule } = fields;
  return {
    ...rule,
    path: rule.path.trim(),
    nameTemplate: rule.nameTemplate?.trim() || null,
    target:
      fields.targetKind === 'project'
        ? { kind: 'project', projectId: fields.projectId ?? 0 }
        : { kind: 'labels', labels: fields.labels },
    split:
      fields.splitKind === 'count'
        ? { kind: 'count', count: fields.splitCount ?? 0 }
        : { kind: fields.splitKind },
    include: lines(fields.includeText),
    exclude: lines(fields.excludeText),
    // Whole bytes: a fractional MiB must not become a fractional byte count.
    maxFileSizeBytes: fields.maxFileMiB ? Math.round(fields.maxFileMiB * MIB) : null,
    autoExport: fields.autoExport,
  };
}

/** Every problem of the rule the form describes, in the words the service would use. */
export function formProblems(fields: FolderFormFields): RuleProblem[] {
  return folderRuleProblems(ruleFromFields(fields));
}

/** The name template used when the field is left empty. */
export function defaultTemplate(split: SplitPolicy['kind']): string {
  return DEFAULT_TEMPLATES[split];
}

/** A fresh auto-export rule: the first enabled exporter, after completion. */
export function newAutoExport(exporters: FormatInfo[]): AutoExportRule {
  return {
    formats: exporters[0] ? [exporters[0].name] : [],
    withImages: false,
    backup: false,
    destination: '',
    trigger: 'completed',
    intervalMinutes: null,
    extract: false,
  };
}
