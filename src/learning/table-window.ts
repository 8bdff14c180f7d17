/**
 * Windows of a dataset table along its order column: the rows a training used, and the rows that
 * came after them (what an incremental update learns from). Order values compare as toTrainingSet
 * sorts them. Pure: no I/O.
 */
import { columnIndex, compareCells, type CellValue, type DatasetTable } from '../lib/dataset-table';

export interface OrderRange {
  first: CellValue;
  last: CellValue;
}

/** The first and last order value among the rows that have a target (the rows training uses); null when there are none. */
export function trainedOrderRange(table: DatasetTable, columns: { target: string; orderBy: string }): OrderRange | null {
  const target = table.data[columnIndex(table, columns.target, 'targetColumn')];
  const order = table.data[columnIndex(table, columns.orderBy, 'orderColumn')];
  let range: OrderRange | null = null;
  for (let r = 0; r < table.rowCount; r++) {
    if (target[r] === null || order[r] === null) continue;
    if (!range) range = { first: order[r], last: order[r] };
    else {
      if (compareCells(order[r], range.first) < 0) range.first = order[r];
      if (compareCells(order[r], range.last) > 0) range.last = order[r];
    }
  }
  return range;
}

/**
 * The rows whose order value comes strictly after `after`, and the `context` rows just before them (a
 * sequence window's input reaches back); rows without an order value are left out.
 */
export function rowsAfter(table: DatasetTable, orderBy: string, after: CellValue, context = 0): DatasetTable {
  const order = table.data[columnIndex(table, orderBy, 'orderColumn')];
  const ordered = [...Array(table.rowCount).keys()].filter((r) => order[r] !== null).sort((a, b) => compareCells(order[a], order[b]));
  const firstNew = ordered.findIndex((r) => compareCells(order[r], after) > 0);
  const kept = new Set(firstNew < 0 ? [] : ordered.slice(Math.max(0, firstNew - context)));
  // In the table's own order: what trains on them sorts them itself.
  const keep = [...Array(table.rowCount).keys()].filter((r) => kept.has(r));
  return { columns: table.columns, rowCount: keep.length, data: table.data.map((column) => keep.map((r) => column[r])) };
}
