import fc from 'fast-check';
import { compareCells, tableFromRows, type CellValue, type DatasetTable } from '../../../src/lib/dataset-table';
import { rowsAfter, trainedOrderRange } from '../../../src/learning/table-window';

const table = tableFromRows([
  { t: 3, x: 0.3, y: 1 },
  { t: 1, x: 0.1, y: null },
  { t: 5, x: 0.5, y: 2 },
  { t: null, x: 0.9, y: 4 },
  { t: 2, x: 0.2, y: 3 },
]);

describe('trainedOrderRange', () => {
  it('spans the order values of the rows that have a target and an order value', () => {
    expect(trainedOrderRange(table, { target: 'y', orderBy: 't' })).toEqual({ first: 2, last: 5 });
  });

  it('is null when no row has a target', () => {
    const empty = tableFromRows([{ t: 1, y: null }], [{ name: 'y', type: 'number' }]);
    expect(trainedOrderRange(empty, { target: 'y', orderBy: 't' })).toBeNull();
  });

  it('names the column it cannot find', () => {
    expect(() => trainedOrderRange(table, { target: 'y', orderBy: 'time' })).toThrow(/orderColumn|time/);
  });
});

describe('rowsAfter', () => {
  it('keeps the rows strictly after the value, in their stored order, every column', () => {
    const after = rowsAfter(table, 't', 2);
    expect(after.rowCount).toBe(2);
    expect(after.columns).toEqual(table.columns);
    expect(after.data).toEqual([
      [3, 5],
      [0.3, 0.5],
      [1, 2],
    ]);
  });

  it('orders text and timestamps as training does', () => {
    const stamped = tableFromRows([
      { at: '2025-01-02', y: 1 },
      { at: '2025-01-05', y: 2 },
      { at: '2025-01-03', y: 3 },
    ]);
    const after = rowsAfter(stamped, 'at', Date.parse('2025-01-02'));
    expect(after.data[1]).toEqual([2, 3]);
  });

  it('splits the rows with an order value into those up to the value and those after it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -20, max: 20 }), { nil: null }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -25, max: 25 }),
        (orders, cut) => {
          const data: DatasetTable = { columns: [{ name: 't', type: 'number' }], rowCount: orders.length, data: [orders as CellValue[]] };
          const after = rowsAfter(data, 't', cut).data[0] as number[];
          expect(after).toEqual(orders.filter((value) => value !== null && value > cut));
          expect(after.every((value) => compareCells(value, cut) > 0)).toBe(true);
        },
      ),
    );
  });
});

describe('rowsAfter with context', () => {
  it('keeps the rows before the new ones that a sequence window reads', () => {
    const table = tableFromRows([{ t: 4 }, { t: 1 }, { t: 3 }, { t: 2 }, { t: 5 }]);
    expect(rowsAfter(table, 't', 3, 2).data[0]).toEqual([4, 3, 2, 5]);
    expect(rowsAfter(table, 't', 5, 2).rowCount).toBe(0);
  });
});
