// PATCH /api/tasks/{id}, as CVAT's TaskWriteSerializer does it (cvat/apps/engine/serializers.py,
// TaskWriteSerializer.validate and .update):
// - validate(): with project_id, the project must exist ("Cannot find project with ID N") and
//   every label name of the task (its own labels, or its current project's, renamed by id in
//   the same body) must be a label name of the target project, else "All task or project label
//   names must be mapped to the target project" — a serializer error: {"non_field_errors": [...]}.
// - update(): name, owner, assignee, bug tracker, subset; labels only while the task has no
//   project. A move checks the dimension of the project's other tasks and that each attribute
//   of each label exists in the target label with the same name, values and input type, else
//   `Target project does not have "L" label with "A" attribute` (a ValidationError raised in
//   update(): a bare JSON list). Then annotations are re-pointed to the project's labels, the
//   task's own labels are deleted and the task joins the project. Everything runs in one
//   transaction: a refusal changes nothing.
// - project_id: null is no way out of a project: validate() looks the target project up with
//   Project.objects.get(id=None) after the field checks, an uncaught DoesNotExist that DRF
//   cannot render (a plain 500), and update() would skip a None project anyway.
import type { Core } from './core.js';
import { HttpError, listError, textError } from './http-kit.js';
import type { LabelRec, TaskRec } from './store.js';
import type { Errors } from './validate.js';
import { int, isUrl, storage, str } from './validate.js';

export interface TaskPatchHooks {
  /** Validates and applies PATCH labels to a label list (tasks.ts patchLabels). */
  patchLabels(current: LabelRec[], raw: unknown): LabelRec[];
  /** assignee_id / owner_id validation (tasks.ts userField). */
  userField(errors: Errors, body: Record<string, unknown>, key: string): number | null | undefined;
}

export function applyTaskPatch(
  core: Core,
  t: TaskRec,
  body: Record<string, unknown>,
  hooks: TaskPatchHooks,
): void {
  const e: Errors = {};
  const name = str(e, body, 'name', { max: 256, blank: false });
  const bugTracker = str(e, body, 'bug_tracker', { max: 2000 });
  if (bugTracker && !isUrl(bugTracker)) e.bug_tracker = ['Enter a valid URL.'];
  const subset = str(e, body, 'subset', { max: 64 });
  const assigneeId = hooks.userField(e, body, 'assignee_id');
  const ownerId = hooks.userField(e, body, 'owner_id');
  const projectId = int(e, body, 'project_id', { nullable: true });
  const dst = storage(core, e, body, 'target_storage');
  const src = storage(core, e, body, 'source_storage');
  if (Object.keys(e).length) throw new HttpError(400, e);
  if (projectId === null) throw textError(500, '<h1>Server Error (500)</h1>');

  const renames = labelRenames(body.labels);
  const moving = projectId !== undefined && projectId !== null && projectId !== t.projectId;
  const target = moving ? checkMove(core, t, projectId, renames) : null;

  // Labels are computed on a copy so that a refusal below leaves the task as it was.
  const ownLabels =
    body.labels !== undefined && t.projectId === null
      ? hooks.patchLabels(structuredClone(t.labels), body.labels)
      : t.labels;

  const now = core.now();
  if (name !== undefined) t.name = name;
  if (bugTracker !== undefined) t.bugTracker = bugTracker;
  if (subset !== undefined) t.subset = subset;
  if (ownerId !== undefined && ownerId !== null) t.ownerId = ownerId;
  if (assigneeId !== undefined && assigneeId !== t.assigneeId) {
    t.assigneeId = assigneeId;
    t.assigneeUpdatedDate = now;
  }
  if (dst) t.targetStorage = dst;
  if (src) t.sourceStorage = src;
  t.labels = ownLabels;
  if (target) moveToProject(core, t, target.labels, renames, target.id);
  t.updatedDate = now;
}

/** label id → new name, from the labels of the same PATCH body (CVAT matches them by id). */
function labelRenames(raw: unknown): Map<number, string> {
  const out = new Map<number, string>();
  if (!Array.isArray(raw)) return out;
  for (const item of raw as Array<Record<string, unknown> | null>) {
    if (item && typeof item.id === 'number' && typeof item.name === 'string')
      out.set(item.id, item.name);
  }
  return out;
}

function checkMove(
  core: Core,
  t: TaskRec,
  projectId: number,
  renames: Map<number, string>,
): { id: number; labels: LabelRec[] } {
  const project = core.state.projects.find((p) => p.id === projectId);
  if (!project)
    throw new HttpError(400, { non_field_errors: [`Cannot find project with ID ${projectId}`] });
  const names = new Set(core.labelsOf(t).map((l) => renames.get(l.id) ?? l.name));
  const targetNames = new Set(project.labels.map((l) => l.name));
  if (![...names].every((n) => targetNames.has(n)))
    throw new HttpError(400, {
      non_field_errors: ['All task or project label names must be mapped to the target project'],
    });
  const other = core.state.tasks.find((x) => x.projectId === project.id && x.id !== t.id);
  if (other && other.dimension !== t.dimension)
    throw listError(
      `Dimension (${t.dimension}) of the task must be the same as other tasks in project (${other.dimension})`,
    );
  for (const old of core.labelsOf(t)) {
    const oldName = renames.get(old.id) ?? old.name;
    const next = project.labels.find((l) => l.name === oldName);
    if (!next) throw listError(`Target project does not have label with name "${oldName}"`);
    for (const a of old.attributes) {
      const match = next.attributes.find(
        (b) =>
          b.name === a.name &&
          b.input_type === a.input_type &&
          b.values.join('\n') === a.values.join('\n'),
      );
      if (!match)
        throw listError(
          `Target project does not have "${oldName}" label with "${a.name}" attribute`,
        );
    }
  }
  return { id: project.id, labels: project.labels };
}

/** Annotations follow the label (and attribute spec) of the same name in the project. */
function moveToProject(
  core: Core,
  t: TaskRec,
  targetLabels: LabelRec[],
  renames: Map<number, string>,
  projectId: number,
): void {
  const labelMap = new Map<number, LabelRec>();
  const specMap = new Map<number, number>();
  for (const old of core.labelsOf(t)) {
    const next = targetLabels.find((l) => l.name === (renames.get(old.id) ?? old.name));
    if (!next) continue;
    labelMap.set(old.id, next);
    for (const a of old.attributes) {
      const b = next.attributes.find((x) => x.name === a.name);
      if (b) specMap.set(a.id, b.id);
    }
  }
  const a = t.annotations;
  for (const s of [...a.shapes, ...a.tags]) {
    const next = labelMap.get(s.label_id);
    if (next) s.label_id = next.id;
  }
  for (const s of a.shapes)
    for (const attr of s.attributes ?? []) attr.spec_id = specMap.get(attr.spec_id) ?? attr.spec_id;
  t.labels = [];
  t.projectId = projectId;
  const project = core.state.projects.find((p) => p.id === projectId);
  if (project) project.updatedDate = core.now();
}
