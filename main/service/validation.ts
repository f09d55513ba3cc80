// A task's validation layout (ground truth and honeypots): shown in task details and by
// `cvat-sync tasks validation`; honeypots re-drawn and validation frames disabled by PATCH.
import type { ValidationLayoutInfo } from '../../preload/contract.js';
import { SyncError } from '../core/errors.js';
import type { CvatApi } from '../cvat/api.js';
import type { ValidationLayout, ValidationLayoutPatch } from '../cvat/task-calls.js';
import { taskApiOf } from './task-edit.js';

function infoOf(taskId: number, v: ValidationLayout): ValidationLayoutInfo {
  return {
    taskId,
    mode: v.mode,
    framesPerJob: v.frames_per_job_count,
    validationFrames: v.validation_frames,
    disabledFrames: v.disabled_frames,
    honeypotCount: v.honeypot_count,
    honeypotFrames: v.honeypot_frames,
    honeypotRealFrames: v.honeypot_real_frames,
  };
}

export async function validationLayout(
  api: CvatApi,
  taskId: number,
): Promise<ValidationLayoutInfo> {
  return infoOf(taskId, await taskApiOf(api).validationLayout(taskId));
}

export async function updateValidationLayout(
  api: CvatApi,
  arg: { taskId: number; shuffleHoneypots?: boolean; disableFrames?: number[] },
): Promise<ValidationLayoutInfo> {
  const calls = taskApiOf(api);
  const current = await calls.validationLayout(arg.taskId);
  // CVAT answers a PATCH on a task without validation with a 500 (views.py returns the
  // ValidationError instead of raising it): say what is wrong before sending it.
  if (current.mode === null)
    throw new SyncError(`Task #${arg.taskId} has no validation set up.`, {
      code: 'no-validation',
      kind: 'item',
      hint: 'Ground truth and honeypots are chosen when a task is created (validation_params); this task has neither.',
    });
  if (arg.shuffleHoneypots && current.mode !== 'gt_pool')
    throw new SyncError(
      `Task #${arg.taskId} has no honeypots (validation mode "${current.mode}").`,
      {
        code: 'no-honeypots',
        kind: 'item',
        hint: 'Honeypots exist only in tasks created with the "gt_pool" validation mode.',
      },
    );
  const patch: ValidationLayoutPatch = {};
  if (arg.disableFrames?.length) {
    const unknown = arg.disableFrames.filter((f) => !current.validation_frames.includes(f));
    if (unknown.length)
      throw new SyncError(
        unknown.length === 1
          ? `Frame ${unknown[0]} is not a validation frame of task #${arg.taskId}.`
          : `Frames ${unknown.join(', ')} are not validation frames of task #${arg.taskId}.`,
        {
          code: 'usage',
          kind: 'item',
          hint: `Its validation frames: ${current.validation_frames.join(', ') || 'none'}.`,
        },
      );
    patch.disabled_frames = [...new Set([...current.disabled_frames, ...arg.disableFrames])].sort(
      (a, b) => a - b,
    );
  }
  if (arg.shuffleHoneypots) patch.frame_selection_method = 'random_uniform';
  return infoOf(arg.taskId, await calls.patchValidationLayout(arg.taskId, patch));
}
