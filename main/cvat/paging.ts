// Lists: one page as the server gives it, or every item across pages in id order.
import type { z } from 'zod';
import type { AbortSignalLike } from '../core/signal.js';
import type { ListQuery, Page } from './api.js';
import { sig } from './client-context.js';
import type { Query, Transport } from './http.js';
import { pageSchema } from './schemas.js';

const PAGE_SIZE = 100;

/** Where a list lives and whether it carries the organization choice. */
export interface ListSpec<T extends z.ZodType> {
  operation: string;
  path: string;
  item: T;
  org: boolean;
}

/** One page of a list, as the query asks for it. */
export function listPage<T extends z.ZodType>(
  transport: Transport,
  list: ListSpec<T>,
  query: ListQuery,
  signal?: AbortSignalLike,
): Promise<Page<z.output<T>>> {
  return transport.json(
    {
      operation: list.operation,
      method: 'GET',
      path: list.path,
      query: listQuery(query),
      org: list.org,
      ...sig(signal),
    },
    pageSchema(list.item),
  ) as Promise<Page<z.output<T>>>;
}

/** Pages of a list, in id order so that items created meanwhile do not shift the pages. */
export async function* pages<T extends z.ZodType<{ id: number }>>(
  transport: Transport,
  list: ListSpec<T>,
  query: ListQuery,
  signal?: AbortSignalLike,
): AsyncGenerator<z.output<T>> {
  const seen = new Set<number>();
  const base: ListQuery = { page_size: PAGE_SIZE, sort: 'id', ...query };
  for (let page = typeof query.page === 'number' ? query.page : 1; ; page++) {
    const current = await listPage(transport, list, { ...base, page }, signal);
    for (const entry of current.results) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      yield entry;
    }
    if (!current.next || current.results.length === 0) return;
  }
}

/** ListQuery -> query parameters: the JSON-Logic filter serialised, empty values left out. */
export function listQuery(query: ListQuery): Query {
  const out: Query = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (k === 'filter') out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join(',');
    else out[k] = JSON.stringify(v);
  }
  return out;
}
