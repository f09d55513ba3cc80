// Checks a FolderRule before it is stored. The checks themselves are core/folder-rule.ts, the
// same schema the folder editor and the contract use; this adds the planner's refusal.
import type { FolderRule } from '../../model/index.js';
import { SyncError } from '../../core/errors.js';
import { folderRuleProblems } from '../../core/folder-rule.js';
import type { RuleProblem } from '../../core/folder-rule.js';

export type { RuleProblem };
export { globProblem } from '../../core/folder-rule.js';

export function validateFolderRule(rule: FolderRule): RuleProblem[] {
  return folderRuleProblems(rule);
}

/** Throws an item SyncError listing every problem. */
export function assertValidRule(rule: FolderRule): void {
  const problems = validateFolderRule(rule);
  if (problems.length === 0) return;
  throw new SyncError(problems.map((p) => p.message).join(' '), {
    code: 'invalid-rule',
    kind: 'item',
    operation: 'save folder rule',
    hint: problems[0]?.message,
  });
}
