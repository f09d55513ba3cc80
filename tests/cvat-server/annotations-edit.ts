// PUT and PATCH /api/tasks/{id}/annotations (JSON, no format), as CVAT's TaskViewSet.annotations
// in cvat/apps/engine/views.py: PUT validates a LabeledDataSerializer and calls
// dm.task.put_task_data (the task's annotations become exactly the body); PATCH first requires
// ?action= one of PatchAction (create, update, delete), else ValidationError "Please specify a
// correct 'action' for the request" (a bare JSON list), then patch_task_data: create appends
// with new ids, update replaces the objects of the same id, delete removes them by id. Both
// answer the resulting data. Validation here covers the serializer's field rules (required
// frame, label_id, type; ShapeType choices; min_value 0), not the label/frame range checks of
// the annotation manager.
import type { Core } from './core.js';
import { HttpError, listError } from './http-kit.js';
import type { Router } from './router.js';
import type { Annotations, Shape } from './store.js';
import { readJson } from './body.js';
import { legacyAnnotationsRqId, legacyImportPoll } from './legacy-imports.js';
import { taskAccess } from './tasks.js';

const SHAPE_TYPES = [
  'rectangle',
  'polygon',
  'polyline',
  'points',
  'ellipse',
  'cuboid',
  'mask',
  'skeleton',
];
const KINDS = ['tags', 'shapes', 'tracks'] as const;
type Kind = (typeof KINDS)[number];
type Item = Record<string, unknown> & { id?: number };

const required = 'This field is required.';

function validate(body: Record<string, unknown>): Record<Kind, Item[]> {
  const out: Record<Kind, Item[]> = { tags: [], shapes: [], tracks: [] };
  const errors: Record<string, unknown> = {};
  for (const kind of KINDS) {
    const raw = body[kind] ?? [];
    if (!Array.isArray(raw)) {
      errors[kind] = [`Expected a list of items but got type "${typeof raw}".`];
      continue;
    }
    const itemErrors = raw.map((v: unknown) => {
      const e: Record<string, string[]> = {};
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        return { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] };
      const o = v as Record<string, unknown>;
      for (const f of ['frame', 'label_id']) {
        if (o[f] === undefined) e[f] = [required];
        else if (!Number.isInteger(o[f])) e[f] = ['A valid integer is required.'];
        else if ((o[f] as number) < 0) e[f] = ['Ensure this value is greater than or equal to 0.'];
      }
      if (kind === 'shapes') {
        if (o.type === undefined) e.type = [required];
        else if (!SHAPE_TYPES.includes(String(o.type)))
          e.type = [`"${String(o.type)}" is not a valid choice.`];
      }
      if (kind === 'tracks' && !Array.isArray(o.shapes)) e.shapes = [required];
      return e;
    });
    if (itemErrors.some((e) => Object.keys(e).length)) errors[kind] = itemErrors;
    else out[kind] = raw as Item[];
  }
  if (Object.keys(errors).length) throw new HttpError(400, errors);
  return out;
}

export function registerAnnotationEditRoutes(core: Core, router: Router): void {
  router.add(['PUT', 'PATCH'], /^\/api\/tasks\/(?<id>\d+)\/annotations\/?$/, async (ctx) => {
    const t = taskAccess(core, ctx, Number(ctx.params.id));
    // Before 2.16 a PUT with ?format= is the repeated request of a file import, not JSON.
    if (ctx.method === 'PUT' && ctx.query.get('format') !== null && !core.atLeast('2.16')) {
      await ctx.drain();
      return legacyImportPoll(core, ctx, legacyAnnotationsRqId('task', t.id), 'annotations');
    }
    const action = ctx.query.get('action');
    if (ctx.method === 'PATCH' && !['create', 'update', 'delete'].includes(action ?? ''))
      throw listError("Please specify a correct 'action' for the request");
    const incoming = validate(await readJson(ctx));
    const current = t.annotations as unknown as Record<Kind, Item[]> & { version: number };
    // A track's shapes are rows of their own (TrackedShape in cvat/apps/engine/models.py), so
    // each gets an id too, as fixture annotations.json shows.
    const withId = (o: Item): Item => ({
      ...o,
      id: core.store.nextId('shape'),
      ...(Array.isArray(o.shapes)
        ? { shapes: (o.shapes as Item[]).map((x) => ({ ...x, id: core.store.nextId('shape') })) }
        : {}),
    });
    const next: Record<Kind, Item[]> = { tags: [], shapes: [], tracks: [] };
    // put_task_data / patch_task_data answer the objects they applied (with their ids).
    const applied: Record<Kind, Item[]> = { tags: [], shapes: [], tracks: [] };
    for (const kind of KINDS) {
      const have = current[kind] ?? [];
      const mine = incoming[kind];
      if (ctx.method === 'PUT' || action === 'create') {
        applied[kind] = mine.map(withId);
        next[kind] = ctx.method === 'PUT' ? applied[kind] : [...have, ...applied[kind]];
      } else if (action === 'update') {
        const byId = new Map(mine.filter((o) => o.id !== undefined).map((o) => [o.id, o]));
        next[kind] = have.map((o) => (byId.has(o.id) ? { ...byId.get(o.id), id: o.id } : o));
        applied[kind] = next[kind].filter((o) => byId.has(o.id));
      } else {
        const gone = new Set(mine.map((o) => o.id));
        next[kind] = have.filter((o) => !gone.has(o.id));
        applied[kind] = mine;
      }
    }
    const version = (current.version ?? 0) + 1;
    t.annotations = {
      version,
      tags: next.tags as unknown as Annotations['tags'],
      shapes: next.shapes as unknown as Shape[],
      tracks: next.tracks,
    };
    t.updatedDate = core.now();
    await core.store.save();
    await ctx.sendJson(200, { version, ...applied, intervals: [] });
  });
}
