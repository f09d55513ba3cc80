// Paginated lists the way CVAT's CustomPagination, SimpleFilter, SearchFilter, OrderingFilter and
// JsonLogicFilter behave (CVAT's cvat/apps/engine/filters.py).
import type { Ctx } from './http-kit.js';
import { detail, replaceQueryParam } from './http-kit.js';
import type { Getter } from './json-logic.js';
import { parseFilter } from './json-logic.js';

export interface ListSpec<T> {
  /** Fields usable in `filter` and `sort`. */
  fields: Record<string, Getter<T>>;
  /** Fields matched by `search`. */
  search: string[];
  /** Query parameters that act as equality filters. */
  simple: string[];
  defaultSort: string;
}

export function applyList<T>(ctx: Ctx, items: T[], spec: ListSpec<T>): T[] {
  let rows = items;
  for (const name of spec.simple) {
    const want = ctx.query.get(name);
    const get = spec.fields[name];
    if (want === null || !get) continue;
    rows = rows.filter((r) => {
      const v = get(r);
      return v !== null && String(v) === want;
    });
  }
  const search = ctx.query.get('search');
  if (search) {
    const terms = search
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((t) => t.toLowerCase());
    const getters = spec.search.map((f) => spec.fields[f]).filter((g): g is Getter<T> => !!g);
    rows = rows.filter((r) =>
      terms.every((term) =>
        getters.some((g) => {
          const v = g(r);
          return v !== null && String(v).toLowerCase().includes(term);
        }),
      ),
    );
  }
  const filter = ctx.query.get('filter');
  if (filter) rows = rows.filter(parseFilter(filter, spec.fields));
  const sortKeys = (ctx.query.get('sort') || spec.defaultSort)
    .split(',')
    .map((s) => s.trim())
    .map((s) => ({ desc: s.startsWith('-'), get: spec.fields[s.replace(/^-/, '')] }))
    .filter((k): k is { desc: boolean; get: Getter<T> } => !!k.get);
  const keys = sortKeys.length
    ? sortKeys
    : [{ desc: true, get: spec.fields['id'] as Getter<T> }].filter((k) => !!k.get);
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const x = k.get(a);
      const y = k.get(b);
      if (x === y) continue;
      // PostgreSQL puts NULLs last ascending and first descending.
      if (x === null) return k.desc ? -1 : 1;
      if (y === null) return k.desc ? 1 : -1;
      const c = x < y ? -1 : 1;
      return k.desc ? -c : c;
    }
    return 0;
  });
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export function paginate<T>(ctx: Ctx, rows: T[]): Page<T> {
  const rawSize = ctx.query.get('page_size');
  let size = 10;
  if (rawSize === 'all') size = Number.MAX_SAFE_INTEGER;
  else if (rawSize !== null && /^-?\d+$/.test(rawSize.trim()) && parseInt(rawSize, 10) > 0)
    size = parseInt(rawSize, 10);
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const rawPage = ctx.query.get('page') ?? '1';
  const page = rawPage === 'last' ? pages : /^\d+$/.test(rawPage) ? parseInt(rawPage, 10) : NaN;
  if (!Number.isInteger(page) || page < 1 || page > pages) throw detail(404, 'Invalid page.');
  const url = new URL(ctx.absolute(ctx.url.pathname + ctx.url.search));
  return {
    count: rows.length,
    next: page < pages ? replaceQueryParam(url, 'page', String(page + 1)) : null,
    previous:
      page > 1 ? replaceQueryParam(url, 'page', page - 1 === 1 ? null : String(page - 1)) : null,
    results: rows.slice((page - 1) * size, page * size),
  };
}

export async function sendList<T>(
  ctx: Ctx,
  items: T[],
  spec: ListSpec<T>,
  render: (item: T) => unknown,
): Promise<void> {
  const page = paginate(ctx, applyList(ctx, items, spec));
  await ctx.sendJson(200, { ...page, results: page.results.map(render) });
}
