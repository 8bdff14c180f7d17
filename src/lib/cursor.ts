/**
 * Keyset pagination: opaque cursors (base64url of the sort key and the id of the last row seen), the
 * page size, and KeysetPage, the one pagination every listing uses.
 */
import type { SelectQueryBuilder } from 'typeorm';
import { InvalidInputError } from './errors';

const MAX_PAGE_SIZE = 100;

export function encodeCursor(sortKey: string | number, id: string): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { sortKey: string | number; id: string } {
  try {
    const [sortKey, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string | number, string];
    if ((typeof sortKey === 'string' || typeof sortKey === 'number') && typeof id === 'string') return { sortKey, id };
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError('expects `after` to be a cursor returned by a previous page, but got something else', { field: 'after' });
}

export function pageSize(first: number | undefined, fallback = 50): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new InvalidInputError(`expects first to be an integer from 1 to ${MAX_PAGE_SIZE}, but got ${size}`, { field: 'first' });
  }
  return size;
}

export interface Page<T> {
  nodes: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Trims the n+1 row fetched to learn whether another page exists. */
export function toPage<T>(rows: T[], size: number, cursorOf: (row: T) => string): Page<T> {
  const nodes = rows.slice(0, size);
  return { nodes, hasNextPage: rows.length > size, endCursor: nodes.length ? cursorOf(nodes[nodes.length - 1]) : null };
}

/** What a listing's caller asks for: at most `first` rows (50 by default), after the row `after` names. */
export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

/**
 * How a listing is ordered for keyset pagination: by `column`, then by the id column `tieBreak`
 * (omitted where `column` is unique), both `direction`. A row's sort key is a time (`time`: the cursor
 * keeps it as ISO text and the next page compares it as a timestamp) or text (`text`).
 */
export type Keyset<T> = { column: string; tieBreak?: string; direction: 'ASC' | 'DESC' } & (
  { time(row: T): Date } | { text(row: T): string }
);

/**
 * The one keyset pagination of the listings: `first` is checked when the page is made (before the
 * listing checks its filters), `after` when the query is built; rows come in the keyset's order, one
 * more than the page is fetched to learn whether another page follows, and the cursor of the last
 * row shown is the page's endCursor. `fetch` runs a TypeORM query; a listing in raw SQL uses
 * `orderBy`, `afterCondition` and `cut`.
 */
export class KeysetPage<T extends { id: string }> {
  readonly size: number;

  constructor(
    private readonly request: PageRequest,
    private readonly keyset: Keyset<T>,
  ) {
    this.size = pageSize(request.first ?? undefined);
  }

  /** The ORDER BY terms, e.g. `p.created_at DESC, p.id DESC`. */
  get orderBy(): string {
    const { column, tieBreak, direction } = this.keyset;
    return tieBreak ? `${column} ${direction}, ${tieBreak} ${direction}` : `${column} ${direction}`;
  }

  /** The SQL condition for the rows after the cursor, its values placed by `bind`; null without a cursor. */
  afterCondition(bind: (value: unknown) => string): string | null {
    if (!this.request.after) return null;
    const { sortKey, id } = decodeCursor(this.request.after);
    const { column, tieBreak, direction } = this.keyset;
    const key = 'time' in this.keyset ? new Date(sortKey) : String(sortKey);
    const comparison = direction === 'DESC' ? '<' : '>';
    return tieBreak ? `(${column}, ${tieBreak}) ${comparison} (${bind(key)}, ${bind(id)})` : `${column} ${comparison} ${bind(key)}`;
  }

  /** Orders and limits `query` (its filters already added), adds the cursor's condition, runs it and cuts the page. */
  async fetch(query: SelectQueryBuilder<T>): Promise<Page<T>> {
    const { column, tieBreak, direction } = this.keyset;
    query.orderBy(column, direction).limit(this.size + 1);
    if (tieBreak) query.addOrderBy(tieBreak, direction);
    const parameters: Record<string, unknown> = {};
    const condition = this.afterCondition((value) => {
      const name = `after${Object.keys(parameters).length}`;
      parameters[name] = value;
      return `:${name}`;
    });
    if (condition) query.andWhere(condition, parameters);
    return this.cut(await query.getMany());
  }

  /** The page of `rows`, fetched in order with LIMIT size + 1. */
  cut(rows: T[]): Page<T> {
    const keyset = this.keyset;
    return toPage(rows, this.size, (row) => encodeCursor('time' in keyset ? keyset.time(row).toISOString() : keyset.text(row), row.id));
  }
}
