// DRF-style field validation helpers producing CVAT's error bodies ({field: [messages]}).
import type { Core } from './core.js';
import type { AttrRec, LabelRec, StorageRec } from './store.js';

export type Errors = Record<string, unknown>;

export const LABEL_TYPES = [
  'any',
  'cuboid',
  'ellipse',
  'mask',
  'points',
  'polygon',
  'polyline',
  'rectangle',
  'skeleton',
  'interval',
  'tag',
];
export const INPUT_TYPES = ['checkbox', 'radio', 'number', 'text', 'select'];
const PALETTE = [
  '#33ddff',
  '#fa3253',
  '#34d1b7',
  '#ff007c',
  '#ff6037',
  '#ddff33',
  '#24b353',
  '#b83df5',
  '#66ff66',
  '#32b7fa',
  '#ffcc33',
  '#83e070',
];

export const required = 'This field is required.';
export const choice = (v: unknown) => `"${String(v)}" is not a valid choice.`;

export function str(
  errors: Errors,
  body: Record<string, unknown>,
  key: string,
  opts: { required?: boolean; max?: number; blank?: boolean } = {},
): string | undefined {
  const v = body[key];
  if (v === undefined) {
    if (opts.required) errors[key] = [required];
    return undefined;
  }
  if (v === null) {
    errors[key] = ['This field may not be null.'];
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') {
    errors[key] = ['Not a valid string.'];
    return undefined;
  }
  const s = String(v);
  if (!s.trim() && opts.blank === false) {
    errors[key] = ['This field may not be blank.'];
    return undefined;
  }
  if (opts.max !== undefined && s.length > opts.max) {
    errors[key] = [`Ensure this field has no more than ${opts.max} characters.`];
    return undefined;
  }
  return s;
}

export function int(
  errors: Errors,
  body: Record<string, unknown>,
  key: string,
  opts: { min?: number; max?: number; nullable?: boolean } = {},
): number | null | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (v === null) {
    if (opts.nullable) return null;
    errors[key] = ['This field may not be null.'];
    return undefined;
  }
  const n =
    typeof v === 'number'
      ? v
      : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)
        ? parseInt(v, 10)
        : NaN;
  if (!Number.isInteger(n)) {
    errors[key] = ['A valid integer is required.'];
    return undefined;
  }
  if (opts.min !== undefined && n < opts.min) {
    errors[key] = [`Ensure this value is greater than or equal to ${opts.min}.`];
    return undefined;
  }
  if (opts.max !== undefined && n > opts.max) {
    errors[key] = [`Ensure this value is less than or equal to ${opts.max}.`];
    return undefined;
  }
  return n;
}

export function bool(
  errors: Errors,
  body: Record<string, unknown>,
  key: string,
): boolean | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(s)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(s)) return false;
  errors[key] = ['Must be a valid boolean.'];
  return undefined;
}

export function isUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (
      ['http:', 'https:', 'ftp:', 'ftps:'].includes(u.protocol) && !!u.hostname && !/\s/.test(value)
    );
  } catch {
    return false;
  }
}

export function storage(
  core: Core,
  errors: Errors,
  body: Record<string, unknown>,
  key: string,
): StorageRec | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    errors[key] = {
      non_field_errors: [
        'Invalid data. Expected a dictionary, but got ' +
          (Array.isArray(v) ? 'list' : typeof v) +
          '.',
      ],
    };
    return undefined;
  }
  const s = v as Record<string, unknown>;
  const location = s.location ?? 'local';
  if (location !== 'local' && location !== 'cloud_storage') {
    errors[key] = { location: [choice(location)] };
    return undefined;
  }
  const cs = s.cloud_storage_id;
  if (cs !== undefined && cs !== null && !Number.isInteger(cs)) {
    errors[key] = { cloud_storage_id: ['A valid integer is required.'] };
    return undefined;
  }
  return {
    id: core.store.nextId('storage'),
    location,
    cloud_storage_id: (cs as number | undefined) ?? null,
  };
}

export function defaultStorage(core: Core): StorageRec {
  return { id: core.store.nextId('storage'), location: 'local', cloud_storage_id: null };
}

/** Validates a labels array. Returns per-item errors in DRF's list-serializer shape. */
export function parseLabels(
  core: Core,
  raw: unknown,
  existing: LabelRec[] = [],
): { labels?: LabelRec[]; error?: unknown } {
  if (!Array.isArray(raw))
    return {
      error: [
        `Expected a list of items but got type "${raw === null ? 'null' : typeof raw === 'object' ? 'dict' : typeof raw}".`,
      ],
    };
  const itemErrors: Errors[] = [];
  const labels: LabelRec[] = [];
  let bad = false;
  for (const item of raw) {
    const e: Errors = {};
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      itemErrors.push({
        non_field_errors: ['Invalid data. Expected a dictionary, but got ' + typeof item + '.'],
      });
      bad = true;
      continue;
    }
    const l = item as Record<string, unknown>;
    const name = str(e, l, 'name', { required: true, max: 64, blank: false });
    const type = l.type === undefined ? 'any' : l.type;
    if (!LABEL_TYPES.includes(String(type))) e.type = [choice(type)];
    const color =
      l.color === undefined || l.color === '' ? undefined : str(e, l, 'color', { max: 8 });
    const attributes: AttrRec[] = [];
    if (l.attributes !== undefined) {
      if (!Array.isArray(l.attributes))
        e.attributes = ['Expected a list of items but got type "' + typeof l.attributes + '".'];
      else {
        const attrErrors: Errors[] = [];
        let attrBad = false;
        for (const a of l.attributes as unknown[]) {
          const ae: Errors = {};
          const attr = (a ?? {}) as Record<string, unknown>;
          const aname = str(ae, attr, 'name', { required: true, max: 64, blank: false });
          if (attr.mutable === undefined) ae.mutable = [required];
          if (attr.input_type === undefined) ae.input_type = [required];
          else if (!INPUT_TYPES.includes(String(attr.input_type)))
            ae.input_type = [choice(attr.input_type)];
          if (attr.values === undefined) ae.values = [required];
          else if (!Array.isArray(attr.values))
            ae.values = ['Expected a list of items but got type "' + typeof attr.values + '".'];
          if (Object.keys(ae).length) attrBad = true;
          attrErrors.push(ae);
          if (!Object.keys(ae).length && aname !== undefined) {
            const values = (attr.values as unknown[]).map(String);
            attributes.push({
              id: core.store.nextId('attr'),
              name: aname,
              mutable: attr.mutable === true || attr.mutable === 'true',
              input_type: String(attr.input_type),
              default_value:
                attr.default_value === undefined ? (values[0] ?? '') : String(attr.default_value),
              values,
            });
          }
        }
        if (attrBad) e.attributes = attrErrors;
      }
    }
    if (Object.keys(e).length) bad = true;
    itemErrors.push(e);
    if (name !== undefined && !Object.keys(e).length) {
      const used = [...existing, ...labels].map((x) => x.color);
      labels.push({
        id: core.store.nextId('label'),
        name,
        color:
          color ??
          PALETTE.find((c) => !used.includes(c)) ??
          PALETTE[labels.length % PALETTE.length] ??
          '#33ddff',
        type: String(type),
        attributes,
      });
    }
  }
  if (bad) return { error: itemErrors };
  return { labels };
}
