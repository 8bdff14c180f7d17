/**
 * The sequence training set of a dataset table: rows sorted by the time (order) column, the channels
 * as a steps × channels float32 matrix, the split boundaries from the family's validation and test
 * fractions. A series with a gap (a missing value) is refused rather than stitched: windows across
 * it would show the model steps that never followed each other. Pure: no I/O.
 */
import { columnIndex, compareCells, type DatasetTable } from '../lib/dataset-table';
import { InvalidInputError, quote } from '../lib/errors';
import { splitBoundaries } from '../plugins/base/sequence/windows';
import type { SequenceTrainingSet } from '../plugins/contract';

export interface SequenceColumns {
  /** The input channels (trainModel's featureColumns). */
  inputs: string[];
  /** The forecast channels (targetColumns; default the inputs). */
  targets: string[];
  orderBy: string;
}

export interface SequenceWindowing {
  input_length: number;
  horizon: number;
  validation_fraction: number;
  test_fraction: number;
}

export function toSequenceSet(table: DatasetTable, columns: SequenceColumns, windowing: SequenceWindowing): SequenceTrainingSet {
  const channels = [...columns.inputs, ...columns.targets.filter((name) => !columns.inputs.includes(name))];
  const indexes = channels.map((name) => columnIndex(table, name, columns.inputs.includes(name) ? 'featureColumns' : 'targetColumns'));
  const orderIndex = columnIndex(table, columns.orderBy, 'orderColumn');
  for (const index of indexes) {
    const column = table.columns[index];
    if (column.type !== 'number') {
      throw new InvalidInputError(`expects channel ${quote(column.name)} to be a number column, but it is ${column.type}`, {
        field: 'featureColumns',
      });
    }
  }
  const orderType = table.columns[orderIndex].type;
  if (orderType !== 'timestamp' && orderType !== 'number') {
    throw new InvalidInputError(
      `expects the order column ${quote(columns.orderBy)} to hold times (timestamp or number), but it is ${orderType}`,
      {
        field: 'orderColumn',
      },
    );
  }
  const order = table.data[orderIndex];
  const rows = [...Array(table.rowCount).keys()].sort((a, b) => compareCells(order[a], order[b]));
  const width = channels.length;
  const values = new Float32Array(rows.length * width);
  const timestamps = new Float64Array(rows.length);
  rows.forEach((r, t) => {
    if (order[r] === null)
      throw new InvalidInputError(`expects every row to have a time in ${quote(columns.orderBy)}, but row ${r + 1} has none`, {
        field: 'orderColumn',
      });
    timestamps[t] = Number(order[r]);
    indexes.forEach((c, j) => {
      const value = table.data[c][r];
      if (value === null) {
        throw new InvalidInputError(
          `expects a series without gaps, but channel ${quote(channels[j])} is missing at row ${r + 1}; fill or drop that row before training`,
          { field: 'featureColumns' },
        );
      }
      values[t * width + j] = Number(value);
    });
  });
  const { trainEnd, validationEnd } = splitBoundaries(rows.length, windowing.validation_fraction, windowing.test_fraction);
  return {
    kind: 'sequence',
    channels,
    values,
    timestamps,
    steps: rows.length,
    inputChannels: [...columns.inputs],
    targets: [...columns.targets],
    inputLength: windowing.input_length,
    horizon: windowing.horizon,
    trainEnd,
    validationEnd,
  };
}
