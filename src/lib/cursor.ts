/** Opaque cursors for keyset pagination: base64url of the sort key and the id of the last row seen. */
import { InvalidInputError } from './errors';

export const MAX_PAGE_SIZE = 100;

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
