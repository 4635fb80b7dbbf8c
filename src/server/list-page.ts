// OpenAI's cursor pages for item lists: `?after=<id>&limit=1..100&order=asc|desc` in, `{object: "list", data,
// first_id, last_id, has_more}` out.
import { InvalidRequestError } from '../wire/index.ts';

/** The page a query asks for (default: 20 items, newest first, as OpenAI's item lists). */
export function readPage(query: URLSearchParams): { after?: string; limit: number; order: 'asc' | 'desc' } {
  const limitText = query.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new InvalidRequestError("Invalid value for 'limit': expected an integer from 1 to 100.", 'limit');
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new InvalidRequestError("Invalid value for 'order': expected 'asc' or 'desc'.", 'order');
  const after = query.get('after') ?? undefined;
  return { ...(after === undefined || after === '' ? {} : { after }), limit, order };
}

/** A list page from `limit + 1` fetched items (the extra one only says whether there are more). */
export function toListPage<T extends { id?: unknown }>(
  items: readonly T[],
  limit: number,
): { object: 'list'; data: T[]; first_id: string | null; last_id: string | null; has_more: boolean } {
  const data = items.slice(0, limit);
  return {
    object: 'list',
    data,
    first_id: data.length === 0 ? null : String(data[0]?.id),
    last_id: data.length === 0 ? null : String(data.at(-1)?.id),
    has_more: items.length > limit,
  };
}
