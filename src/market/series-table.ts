/**
 * A time-series table from bar series, what a sequence family (N-HiTS, PatchTST) trains on: one row
 * per time step, ascending, with a `time` column (epoch ms) and one number column per symbol × bar
 * field, named `${symbol}.${field}`. Only the aligned rows are stored; windows are cut at training time.
 *
 * Alignment INNER keeps the times at which every symbol has a bar; a time some symbol lacks is
 * dropped (and counted). Returns are taken over the aligned rows, so every column of a row covers the
 * same interval (after a dropped time, the one since the row before) and the first aligned time gives
 * no row.
 */
import type { Bar } from '../lib/bars';
import { DEFAULT_TABLE_LIMITS, type DatasetTable } from '../lib/dataset-table';
import { InvalidInputError, quote, refusal } from '../lib/errors';
import {
  BAR_FIELDS,
  RETURN_KINDS,
  SERIES_ALIGNMENTS,
  type BarField,
  type ReturnKind,
  type SeriesAlignment,
} from '../lib/market-vocabulary';

export const SERIES_TIME_COLUMN = 'time';
/** The fewest rows of a series dataset: one time step is no series. */
export const MIN_SERIES_ROWS = 2;

export interface SeriesOptions {
  fields: BarField[];
  /** null: the fields' values; else each value's return over the row before. */
  returns: ReturnKind | null;
  align: SeriesAlignment;
}

/** What createDataset's `series` says about the columns, as sent or as recorded in a spec. */
export interface SeriesOptionsInput {
  columns?: readonly string[] | null;
  returns?: boolean | null;
  returnKind?: string | null;
  align?: string | null;
}

export interface SeriesChannel {
  column: string;
  symbol: string;
  field: BarField;
}

export interface SeriesTable {
  table: DatasetTable;
  channels: SeriesChannel[];
  /** Times at which every symbol has a bar (one more than the rows, with returns). */
  alignedTimes: number;
  /** Times at which some symbol, but not every one, has a bar. */
  droppedTimes: number;
  /** By symbol: the dropped times it had no bar at. */
  missingBars: Record<string, number>;
}

function oneOf<T extends string>(values: readonly T[], value: string, field: string): T {
  if ((values as readonly string[]).includes(value)) return value as T;
  const names = values.map((name) => name.toUpperCase()).join(', ');
  throw refusal({ expects: `${field} to be one of ${names}`, got: quote(value), details: { field } });
}

export function parseSeriesOptions(input: SeriesOptionsInput): SeriesOptions {
  const fields = (input.columns ?? ['close']).map((value) => oneOf(BAR_FIELDS, value, 'series.columns'));
  if (fields.length === 0)
    throw new InvalidInputError('expects series.columns to list at least one bar field, but got none', { field: 'series.columns' });
  const twice = fields.find((field, i) => fields.indexOf(field) !== i);
  if (twice)
    throw new InvalidInputError(`expects each bar field once, but ${twice.toUpperCase()} appears twice`, { field: 'series.columns' });
  if (!input.returns && input.returnKind != null) {
    throw new InvalidInputError(
      `expects series.returnKind only with returns: true, but got ${input.returnKind.toUpperCase()} without it; add returns: true or drop returnKind`,
      { field: 'series.returnKind' },
    );
  }
  return {
    fields,
    returns: input.returns ? oneOf(RETURN_KINDS, input.returnKind ?? 'simple', 'series.returnKind') : null,
    align: oneOf(SERIES_ALIGNMENTS, input.align ?? 'inner', 'series.align'),
  };
}

/**
 * `${symbol}.${field}`, as a column name can hold it: a symbol's characters beyond letters, digits
 * and _ . - (symbols may carry : / ^ =) become _, and a symbol not starting with a letter or _ gets a leading _.
 */
export function seriesColumnName(symbol: string, field: BarField): string {
  const name = symbol.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${/^[A-Za-z_]/.test(name) ? '' : '_'}${name}.${field}`;
}

/** The columns after `time`: symbol by symbol in the given order, each with the fields in theirs. */
export function seriesChannels(symbols: readonly string[], fields: readonly BarField[]): SeriesChannel[] {
  const maxChannels = DEFAULT_TABLE_LIMITS.maxColumns - 1;
  if (symbols.length * fields.length > maxChannels) {
    throw new InvalidInputError(
      `expects at most ${maxChannels} symbol × field columns, but ${symbols.length} symbols × ${fields.length} fields make ${symbols.length * fields.length}`,
      { field: 'series.symbols' },
    );
  }
  const symbolOf = new Map<string, string>();
  return symbols.flatMap((symbol) =>
    fields.map((field) => {
      const column = seriesColumnName(symbol, field);
      const other = symbolOf.get(column);
      if (other !== undefined) {
        throw new InvalidInputError(
          `expects symbols with distinct column names, but ${quote(other)} and ${quote(symbol)} both make ${column}`,
          {
            field: 'series.symbols',
          },
        );
      }
      symbolOf.set(column, symbol);
      return { column, symbol, field };
    }),
  );
}

function returnOf(kind: ReturnKind, value: number, previous: number): number {
  return kind === 'simple' ? value / previous - 1 : Math.log(value / previous);
}

/**
 * The table of `series` (each symbol's bars, strictly ascending, in column order) with `options`.
 * Refuses a table of fewer than MIN_SERIES_ROWS rows, and returns over a value that is not positive.
 */
export function buildSeriesTable(series: ReadonlyMap<string, readonly Bar[]>, options: SeriesOptions): SeriesTable {
  const symbols = [...series.keys()];
  const channels = seriesChannels(symbols, options.fields);
  const counts = new Map<number, number>();
  for (const bars of series.values()) for (const bar of bars) counts.set(bar.timestamp, (counts.get(bar.timestamp) ?? 0) + 1);
  const times = [...counts.entries()].filter(([, n]) => n === symbols.length).map(([time]) => time);
  times.sort((a, b) => a - b);
  const droppedTimes = counts.size - times.length;
  const missingBars = Object.fromEntries(symbols.map((symbol) => [symbol, counts.size - series.get(symbol)!.length]));

  const base = options.returns ? 1 : 0; // the time a first return is taken from gives no row
  const rowCount = times.length - base;
  if (rowCount < MIN_SERIES_ROWS) {
    throw new InvalidInputError(
      `expects at least ${MIN_SERIES_ROWS + base} times at which every symbol (${symbols.join(', ')}) has a bar` +
        `${base ? ' (returns take the first as their base)' : ''}, but there are ${times.length}` +
        ` (${droppedTimes} dropped where a symbol had none); widen from/to or choose symbols traded at the same times`,
      { field: 'series.from' },
    );
  }
  if (rowCount > DEFAULT_TABLE_LIMITS.maxRows) {
    throw new InvalidInputError(`expects at most ${DEFAULT_TABLE_LIMITS.maxRows} rows, but the range holds ${rowCount}; narrow from/to`, {
      field: 'series.from',
    });
  }

  // Each symbol's values at the aligned times: the times are a subset of its bars', both ascending.
  const levels = channels.map(() => new Array<number>(times.length));
  symbols.forEach((symbol, s) => {
    let k = 0;
    for (const bar of series.get(symbol)!) {
      if (bar.timestamp !== times[k]) continue;
      options.fields.forEach((field, f) => (levels[s * options.fields.length + f][k] = bar[field]));
      k++;
    }
  });

  const kind = options.returns;
  const columnData = kind
    ? levels.map((values, c) =>
        values.slice(1).map((value, r) => {
          const previous = values[r];
          const result = returnOf(kind, value, previous);
          if (!(value > 0 && previous > 0 && Number.isFinite(result))) {
            throw new InvalidInputError(
              `expects positive values of ${channels[c].column} to take its returns, but it is ${previous} at ${new Date(times[r]).toISOString()}` +
                ` and ${value} at ${new Date(times[r + 1]).toISOString()}; leave that field out or set returns: false`,
              { field: 'series.returns' },
            );
          }
          return result;
        }),
      )
    : levels;
  return {
    table: {
      columns: [
        { name: SERIES_TIME_COLUMN, type: 'timestamp' },
        ...channels.map((channel) => ({ name: channel.column, type: 'number' as const })),
      ],
      rowCount,
      data: [times.slice(base), ...columnData],
    },
    channels,
    alignedTimes: times.length,
    droppedTimes,
    missingBars,
  };
}
