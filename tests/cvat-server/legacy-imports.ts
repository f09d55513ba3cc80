// Imports on CVAT before 2.16 (no /api/requests): the client repeats a request until the job
// ends. Task backups: POST /api/tasks/backup with {"rq_id"} (cvat/apps/engine/backup.py
// `_import`: 202 {rq_id} while running, 201 {"id": <task>} once finished, the job is then
// deleted; a failed job answers its exception text with 500). Annotations: PUT
// /api/tasks/{id}/annotations?format=… (views.py `_import_annotations`: 202 while running, 201
// once finished, the job deleted likewise). A poll for a job that is gone validates the body as
// a new upload: a 400 naming the missing file field.
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { HttpError, fieldErrors } from './http-kit.js';

/** The id CVAT's old `_import_annotations` gives the import job of a task or a job. */
export function legacyAnnotationsRqId(target: 'task' | 'job', id: number): string {
  return `action=import&target=${target}&target_id=${id}&subresource=annotations`;
}

export async function legacyImportPoll(
  core: Core,
  ctx: Ctx,
  rqId: string,
  kind: 'backup' | 'annotations',
): Promise<void> {
  const rec = core.state.requests.find((r) => r.id === rqId);
  const fileField = kind === 'backup' ? 'task_file' : 'annotation_file';
  if (!rec) throw fieldErrors({ [fileField]: ['No file was submitted.'] });
  if (rec.ownerId !== ctx.userId) throw new HttpError(403, null, 'empty');
  if (rec.status === 'finished' || rec.status === 'failed') {
    core.state.requests = core.state.requests.filter((r) => r !== rec);
    await core.store.save();
    if (rec.status === 'failed') throw new HttpError(500, rec.message, 'text');
    if (kind === 'backup') return ctx.sendJson(201, { id: rec.resultId });
    return ctx.sendEmpty(201);
  }
  if (kind === 'backup') return ctx.sendJson(202, { rq_id: rqId });
  return ctx.sendEmpty(202);
}
