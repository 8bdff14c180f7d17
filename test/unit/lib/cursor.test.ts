/**
 * KeysetPage: the one keyset pagination of the listings (lib/cursor.ts). Its SQL runs in
 * test/integration/trading/trades.test.ts and learning/drift.test.ts.
 */
import { KeysetPage } from '../../../src/lib/cursor';
import { InvalidInputError } from '../../../src/lib/errors';

interface Row {
  id: string;
  createdAt: Date;
  name: string;
}

const rows: Row[] = [
  { id: 'c3f1b1de-0000-4000-8000-000000000003', createdAt: new Date('2026-03-03T10:00:00.000Z'), name: 'gamma' },
  { id: 'c3f1b1de-0000-4000-8000-000000000002', createdAt: new Date('2026-03-02T10:00:00.000Z'), name: 'beta' },
  { id: 'c3f1b1de-0000-4000-8000-000000000001', createdAt: new Date('2026-03-01T10:00:00.000Z'), name: 'alpha' },
];
const newestFirst = { column: 'p.created_at', tieBreak: 'p.id', direction: 'DESC', time: (row: Row) => row.createdAt } as const;
const byName = { column: 'm.name', direction: 'ASC', text: (row: Row) => row.name } as const;

/** A `bind` that numbers the values $1, $2, … in the order given, as pg's query() takes them, and the values it was given. */
function binder(): { bind: (value: unknown) => string; values: unknown[] } {
  const values: unknown[] = [];
  return { bind: (value) => `$${values.push(value)}`, values };
}

describe('KeysetPage', () => {
  it('checks `first` when the page is made: 50 by default, 1 to 100', () => {
    expect(new KeysetPage<Row>({}, newestFirst).size).toBe(50);
    expect(new KeysetPage<Row>({ first: null }, newestFirst).size).toBe(50);
    expect(new KeysetPage<Row>({ first: 2 }, newestFirst).size).toBe(2);
    expect(new KeysetPage<Row>({ first: 100 }, newestFirst).size).toBe(100);
    expect(() => new KeysetPage<Row>({ first: 0 }, newestFirst)).toThrow(
      new InvalidInputError('expects first to be an integer from 1 to 100, but got 0'),
    );
    expect(() => new KeysetPage<Row>({ first: 101 }, newestFirst)).toThrow(
      new InvalidInputError('expects first to be an integer from 1 to 100, but got 101'),
    );
    expect(() => new KeysetPage<Row>({ first: 2.5 }, newestFirst)).toThrow(InvalidInputError);
  });

  it('orders by the sort column and then the id, or by the sort column alone where it is unique', () => {
    expect(new KeysetPage<Row>({}, newestFirst).orderBy).toBe('p.created_at DESC, p.id DESC');
    expect(new KeysetPage<Row>({}, byName).orderBy).toBe('m.name ASC');
  });

  it('has no condition on the first page', () => {
    const { bind, values } = binder();
    expect(new KeysetPage<Row>({ first: 2 }, newestFirst).afterCondition(bind)).toBeNull();
    expect(new KeysetPage<Row>({ first: 2, after: '' }, newestFirst).afterCondition(bind)).toBeNull();
    expect(values).toEqual([]);
  });

  it('cuts a page from the n+1 rows fetched; the next page starts after its last row', () => {
    const first = new KeysetPage<Row>({ first: 2 }, newestFirst).cut(rows);
    expect(first.nodes).toEqual(rows.slice(0, 2));
    expect(first.hasNextPage).toBe(true);
    expect(typeof first.endCursor).toBe('string');

    const { bind, values } = binder();
    const next = new KeysetPage<Row>({ first: 2, after: first.endCursor }, newestFirst);
    expect(next.afterCondition(bind)).toBe('(p.created_at, p.id) < ($1, $2)');
    expect(values).toEqual([new Date('2026-03-02T10:00:00.000Z'), rows[1].id]);

    const last = next.cut(rows.slice(2));
    expect(last).toMatchObject({ nodes: rows.slice(2), hasNextPage: false });
    const { bind: bindLast, values: lastValues } = binder();
    new KeysetPage<Row>({ after: last.endCursor }, newestFirst).afterCondition(bindLast);
    expect(lastValues).toEqual([new Date('2026-03-01T10:00:00.000Z'), rows[2].id]);
    expect(next.cut([])).toEqual({ nodes: [], hasNextPage: false, endCursor: null });
  });

  it('compares a text key as text, upwards for an ascending listing', () => {
    const first = new KeysetPage<Row>({ first: 1 }, byName).cut([rows[2], rows[1]]);
    expect(first).toMatchObject({ nodes: [rows[2]], hasNextPage: true });
    const { bind, values } = binder();
    expect(new KeysetPage<Row>({ after: first.endCursor }, byName).afterCondition(bind)).toBe('m.name > $1');
    expect(values).toEqual(['alpha']);
  });

  it('refuses a cursor it did not make when the query is built, not before', () => {
    const page = new KeysetPage<Row>({ first: 2, after: 'not a cursor' }, newestFirst);
    expect(() => page.afterCondition(binder().bind)).toThrow(
      new InvalidInputError('expects `after` to be a cursor returned by a previous page, but got something else'),
    );
  });

  it('builds a TypeORM query: order, limit n+1 and the cursor condition with named parameters', async () => {
    const calls: unknown[][] = [];
    const query = {
      orderBy: (...args: unknown[]) => (calls.push(['orderBy', ...args]), query),
      addOrderBy: (...args: unknown[]) => (calls.push(['addOrderBy', ...args]), query),
      limit: (...args: unknown[]) => (calls.push(['limit', ...args]), query),
      andWhere: (...args: unknown[]) => (calls.push(['andWhere', ...args]), query),
      getMany: async () => rows,
    };
    const newer = { id: 'c3f1b1de-0000-4000-8000-000000000009', createdAt: new Date('2026-03-04T00:00:00.000Z'), name: 'delta' };
    const after = new KeysetPage<Row>({ first: 1 }, newestFirst).cut([newer]).endCursor;
    const page = await new KeysetPage<Row>({ first: 2, after }, newestFirst).fetch(query as never);
    expect(calls).toEqual([
      ['orderBy', 'p.created_at', 'DESC'],
      ['limit', 3],
      ['addOrderBy', 'p.id', 'DESC'],
      [
        'andWhere',
        '(p.created_at, p.id) < (:after0, :after1)',
        { after0: new Date('2026-03-04T00:00:00.000Z'), after1: 'c3f1b1de-0000-4000-8000-000000000009' },
      ],
    ]);
    expect(page.nodes).toEqual(rows.slice(0, 2));
    expect(page.hasNextPage).toBe(true);
  });
});
