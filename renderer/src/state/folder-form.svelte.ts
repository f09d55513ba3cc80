// The state of the folder editor: its fields, the rule they describe and its problems, the live
// preview and saving. The field components bind to `fields`; nothing is stored until save().
import type {
  ContractError,
  FolderInfo,
  FolderPreview,
  FolderRule,
  FormatInfo,
  RuleProblem,
} from '../../../preload/contract.js';
import type { FolderFormFields } from '../lib/folder-form.js';
import { folderRuleProblems } from '../../../preload/contract.js';
import { fieldsFromRule, newAutoExport, ruleFromFields } from '../lib/folder-form.js';
import type { FoldersState } from './folders.svelte.js';

/** The preview waits until typing pauses this long. */
const PREVIEW_DELAY_MS = 400;

export class FolderForm {
  // A private deep copy: nothing changes until save().
  fields = $state<FolderFormFields>() as FolderFormFields;
  /** Fields the user has changed; their problems are shown next to them. */
  touched = $state<Record<string, boolean>>({});
  saving = $state(false);
  error = $state<ContractError | null>(null);
  preview = $state<FolderPreview | null>(null);
  previewError = $state<ContractError | null>(null);
  previewing = $state(false);

  /** The rule as the form currently describes it (plain data, safe to send). */
  readonly rule: FolderRule = $derived(
    ruleFromFields($state.snapshot(this.fields) as FolderFormFields),
  );
  readonly problems: RuleProblem[] = $derived(folderRuleProblems(this.rule));
  /** The first problem, shown beside the save button; null when the rule can be saved. */
  readonly blocker: string | null = $derived(this.problems[0]?.message ?? null);

  private previewSeq = 0;

  constructor(
    private readonly folders: FoldersState,
    initial: FolderRule,
    /** Editing an existing folder; absent when adding. */
    readonly folderId?: number,
  ) {
    this.fields = fieldsFromRule($state.snapshot(initial) as FolderRule);
  }

  get adding(): boolean {
    return this.folderId === undefined;
  }

  touch(field: string): void {
    this.touched[field] = true;
  }

  /** The problem of one field, once the user has changed it. */
  problemOf(field: string): string | null {
    if (!this.touched[field]) return null;
    return this.problems.find((p) => p.field === field)?.message ?? null;
  }

  /**
   * Asks the service what the folder's files would become under the current rule, once typing
   * pauses; answers to older versions of the rule are dropped. Returns the cancel function (an
   * $effect's cleanup). A rule with problems is not sent: the service would refuse it the same way.
   */
  schedulePreview(): () => void {
    const rule = this.rule;
    const seq = ++this.previewSeq;
    if (!rule.path || this.problems.length > 0) {
      this.preview = null;
      this.previewError = null;
      this.previewing = false;
      return () => {};
    }
    this.previewing = true;
    const timer = setTimeout(async () => {
      const answer = await this.folders.preview(rule);
      if (seq !== this.previewSeq) return;
      this.previewing = false;
      this.preview = answer.ok ? answer.value : null;
      this.previewError = answer.ok ? null : answer.error;
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }

  async browse(): Promise<void> {
    const r = await this.folders.chooseFolder();
    if (r.ok && r.value) {
      this.fields.rule.path = r.value;
      this.touch('path');
    }
  }

  setAutoExport(on: boolean, exporters: FormatInfo[]): void {
    this.fields.autoExport = on ? newAutoExport(exporters) : null;
  }

  setFormat(name: string, on: boolean): void {
    const autoExport = this.fields.autoExport;
    if (!autoExport) return;
    autoExport.formats = on
      ? [...autoExport.formats, name]
      : autoExport.formats.filter((f) => f !== name);
    this.touch('autoExport');
  }

  /** Stores the rule; the saved folder, or null (the error is in `error`). */
  async save(): Promise<FolderInfo | null> {
    if (this.problems.length > 0) return null;
    this.saving = true;
    const rule = this.rule;
    const r =
      this.folderId === undefined
        ? await this.folders.add(rule)
        : await this.folders.update(this.folderId, rule);
    this.saving = false;
    if (r.ok) return r.value;
    this.error = r.error;
    return null;
  }
}
