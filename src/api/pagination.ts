import { z } from 'zod';
import { UserError } from '../core/errors.js';

/** Every list answers at most this many items a page, and this many when not told. */
export const PAGE_LIMIT_MAX = 200;
export const PAGE_LIMIT_DEFAULT = 50;
const CURSOR_MAX = 400;

/** `?limit=&cursor=` of every list: `cursor` is a page's `next_cursor`, as it was given. */
export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_LIMIT_MAX)
    .default(PAGE_LIMIT_DEFAULT)
    .describe(`Items a page, 1 to ${PAGE_LIMIT_MAX} (default ${PAGE_LIMIT_DEFAULT})`),
  cursor: z
    .string()
    .max(CURSOR_MAX)
    .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor this API gave')
    .optional()
    .describe('The next_cursor of the page before; absent for the first page'),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** A page of a list: its items, and the cursor of the next page (null on the last). */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().describe('Give it as ?cursor= for the next page; null: this is the last'),
  });
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** How a list is ordered: by a key of each item (unique in the list), ascending or descending. */
export interface Order<T> {
  key: (item: T) => string | number;
  direction: 'asc' | 'desc';
}

/**
 * One page of a list, put in `order` first. The cursor names the last item's key, not an
 * offset: a page after one whose last item was removed, or after new items came first (a
 * newer deploy), neither repeats nor skips an item.
 */
export function paginate<T>(items: T[], order: Order<T>, page: PageQuery): Page<T> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const sign = order.direction === 'asc' ? 1 : -1;
  const compare = (a: string | number, b: string | number) => sign * (a < b ? -1 : a > b ? 1 : 0);
  const keyed = items.map((item) => ({ item, key: order.key(item) }));
  const rest = keyed.filter(({ key }) => after === undefined || compare(key, after) > 0);
  rest.sort((a, b) => compare(a.key, b.key));
  const taken = rest.slice(0, page.limit);
  const last = taken.at(-1);
  return {
    items: taken.map(({ item }) => item),
    next_cursor: rest.length > taken.length && last ? encodeCursor(last.key) : null,
  };
}

function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify([key])).toString('base64url');
}

function decodeCursor(cursor: string): string | number {
  try {
    const [key] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof key === 'string' || typeof key === 'number') return key;
  } catch {
    // not JSON: said below
  }
  throw new UserError('Invalid query.cursor: not a cursor this API gave');
}
