/**
 * OHLCV bars: the type, its validation, and a streaming CSV reader that yields validated bars in
 * batches (for ingesting files too large to hold in memory).
 *
 * Conventions every consumer relies on:
 * - `timestamp` is the START of the bar's interval in UTC epoch milliseconds (an integer). A daily bar
 *   dated 2020-08-28 in a CSV is 2020-08-28T00:00:00Z, whatever the exchange's time zone.
 * - Prices are strictly positive (returns and ratios divide by them); volume is ≥ 0.
 * - A series is one (symbol, timeframe) pair with strictly increasing timestamps.
 */
import { Readable, pipeline } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { InvalidInputError, quote, refusal } from './errors';

export const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

const MINUTE_MS = 60_000;
/** The length of one bar of each timeframe, in milliseconds. */
export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '4h': 240 * MINUTE_MS,
  '1d': 1440 * MINUTE_MS,
  '1w': 7 * 1440 * MINUTE_MS,
};

export interface Bar {
  symbol: string;
  timeframe: Timeframe;
  /** Start of the bar's interval, UTC epoch milliseconds. */
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;
const SYMBOL_PATTERN = /^[A-Za-z0-9._:/^=-]{1,32}$/;

function isTimeframe(value: string): value is Timeframe {
  return (TIMEFRAMES as readonly string[]).includes(value);
}

/** `where` prefixes the message ("line 5: …") and `details` travel with the error. */
export function parseTimeframe(value: string, where?: string, details: Record<string, unknown> = {}): Timeframe {
  if (!isTimeframe(value)) {
    throw new InvalidInputError(`${where ? `${where}: ` : ''}expects timeframe to be one of ${TIMEFRAMES.join(', ')}, but got '${value}'`, {
      field: 'timeframe',
      ...details,
    });
  }
  return value;
}

export function parseSymbol(value: string, where?: string, details: Record<string, unknown> = {}): string {
  if (!SYMBOL_PATTERN.test(value)) {
    throw new InvalidInputError(
      `${where ? `${where}: ` : ''}expects symbol to be 1–32 letters, digits or . _ : / ^ = -, but got ${quote(value)}`,
      { field: 'symbol', ...details },
    );
  }
  return value;
}

/**
 * The prices a bar or trade may carry, and the largest volume: far beyond any real market, and small
 * enough that every return, ratio and sum computed from them (features, trade results) is finite.
 */
export const PRICE_RANGE = { min: 1e-12, max: 1e12 } as const;
const MAX_VOLUME = 1e15;

/**
 * Checks one bar and returns it. `where` names the bar in messages ("row 3", "line 57"); `details`
 * travels with the error (e.g. `{ row: 3 }`), together with the offending `field`.
 */
function checkBar(bar: Bar, where: string, details: Record<string, unknown>): Bar {
  const refuse = (field: string, expectation: string, got: string): never => {
    throw refusal({ by: `${where}:`, expects: `${field} ${expectation}`, got, details: { field, ...details } });
  };
  parseSymbol(bar.symbol, where, details);
  parseTimeframe(bar.timeframe, where, details);
  if (!Number.isSafeInteger(bar.timestamp)) {
    refuse('timestamp', 'to be an integer of UTC epoch milliseconds', String(bar.timestamp));
  }
  for (const field of PRICE_FIELDS) {
    const value = bar[field];
    if (!Number.isFinite(value) || value <= 0) refuse(field, 'to be a finite price > 0', String(value));
    if (value < PRICE_RANGE.min || value > PRICE_RANGE.max)
      refuse(field, `to be a price in [${PRICE_RANGE.min}, ${PRICE_RANGE.max}]`, String(value));
  }
  if (!Number.isFinite(bar.volume) || bar.volume < 0) refuse('volume', 'to be a finite number ≥ 0', String(bar.volume));
  if (bar.volume > MAX_VOLUME) refuse('volume', `to be at most ${MAX_VOLUME}`, String(bar.volume));
  const { open, high, low, close } = bar;
  if (high < Math.max(open, close, low)) {
    refuse('high', '≥ max(open, close, low)', `high=${high} with open=${open}, close=${close}, low=${low}`);
  }
  if (low > Math.min(open, close, high)) {
    refuse('low', '≤ min(open, close, high)', `low=${low} with open=${open}, close=${close}, high=${high}`);
  }
  return bar;
}

/** Validates one bar; `row` (its index in the caller's list) is named in the error. */
export function validateBar(bar: Bar, row: number): Bar {
  return checkBar(bar, `row ${row}`, { row });
}

/** Tracks the last timestamp per series so that out-of-order or duplicate bars are refused. */
class SeriesOrder {
  private readonly last = new Map<string, number>();

  check(bar: Bar, where: string, details: Record<string, unknown>): void {
    const key = `${bar.symbol}\u0000${bar.timeframe}`;
    const previous = this.last.get(key);
    if (previous !== undefined && bar.timestamp <= previous) {
      throw new InvalidInputError(
        `${where}: expects timestamps strictly increasing within ${bar.symbol} ${bar.timeframe}, but ` +
          `${new Date(bar.timestamp).toISOString()} follows ${new Date(previous).toISOString()}`,
        { field: 'timestamp', ...details },
      );
    }
    this.last.set(key, bar.timestamp);
  }
}

/**
 * Validates a list of bars (each bar, and strictly increasing timestamps within each symbol and
 * timeframe) and returns it unchanged.
 */
export function validateBars(bars: readonly Bar[]): readonly Bar[] {
  const order = new SeriesOrder();
  bars.forEach((bar, row) => {
    validateBar(bar, row);
    order.check(bar, `row ${row}`, { row });
  });
  return bars;
}

/**
 * Validates that `bars` form one time-ordered series: a single symbol and timeframe, strictly
 * increasing timestamps, every bar valid.
 */
export function validateSeries(bars: readonly Bar[]): readonly Bar[] {
  validateBars(bars);
  const first = bars[0];
  bars.forEach((bar, row) => {
    if (bar.symbol !== first.symbol || bar.timeframe !== first.timeframe) {
      throw new InvalidInputError(
        `row ${row}: expects one series (${first.symbol} ${first.timeframe}), but got ${bar.symbol} ${bar.timeframe}`,
        { field: 'symbol', row },
      );
    }
  });
  return bars;
}

// ---------------------------------------------------------------------------------------------
// CSV

/** Header names (case-insensitive) accepted for the time column, in order of preference. */
const TIME_COLUMNS = ['timestamp', 'datetime', 'date', 'time'] as const;
const VALUE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

export interface BarCsvOptions {
  /** The symbol of every row when the file has no `symbol` column (or the cell is empty). */
  symbol?: string;
  /** The timeframe of every row when the file has no `timeframe` column (or the cell is empty). */
  timeframe?: Timeframe;
  /** Bars per yielded batch (the last one may be shorter); default 1000. */
  batchSize?: number;
}

export type CsvSource = string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

interface ColumnIndex {
  time: { name: string; index: number };
  values: Record<(typeof VALUE_COLUMNS)[number], number>;
  symbol?: number;
  timeframe?: number;
}

function indexHeader(header: string[], line: number, options: BarCsvOptions): ColumnIndex {
  const names = header.map((name) => name.trim().toLowerCase());
  const find = (name: string) => {
    const index = names.indexOf(name);
    return index < 0 ? undefined : index;
  };
  const missing = (column: string, hint = ''): never => {
    throw new InvalidInputError(
      `line ${line}: expects a '${column}' column${hint}, but the header has ${names.map((n) => `'${n}'`).join(', ')}`,
      { field: column, line },
    );
  };
  const timeName = TIME_COLUMNS.find((name) => find(name) !== undefined);
  if (timeName === undefined) missing('date', ` (or one of ${TIME_COLUMNS.map((n) => `'${n}'`).join(', ')})`);
  const values = {} as ColumnIndex['values'];
  for (const column of VALUE_COLUMNS) values[column] = find(column) ?? missing(column);
  const symbol = find('symbol');
  const timeframe = find('timeframe');
  if (symbol === undefined && options.symbol === undefined) missing('symbol', ' or a symbol given by the caller');
  if (timeframe === undefined && options.timeframe === undefined) {
    missing('timeframe', ' or a timeframe given by the caller');
  }
  return { time: { name: timeName!, index: find(timeName!)! }, values, symbol, timeframe };
}

const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * ISO 8601 date or date-time → UTC epoch ms. A value without a zone ("2020-08-28",
 * "2016-07-01 00:00:00") is read as UTC; "Z" or "+02:00" zones are honoured.
 */
export function parseTimestamp(text: string): number | undefined {
  const match = DATE_TIME_PATTERN.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    return undefined;
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const millis = fraction ? fraction.slice(0, 4).padEnd(4, '0') : '';
  const offset = zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone; // +0130 → +01:30
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${millis}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function readRow(record: string[], line: number, columns: ColumnIndex, options: BarCsvOptions): Bar {
  const cell = (index: number, column: string): string => {
    const value = record[index];
    if (value === undefined || value === '') {
      throw new InvalidInputError(`line ${line}: expects a value in column '${column}', but it is missing`, {
        field: column,
        line,
      });
    }
    return value;
  };
  const badValue = (column: string, expectation: string, got: string): never => {
    throw refusal({ by: `line ${line}, column '${column}':`, expects: expectation, got: `'${got}'`, details: { field: column, line } });
  };
  const timeText = cell(columns.time.index, columns.time.name);
  const timestamp = parseTimestamp(timeText) ?? badValue(columns.time.name, 'an ISO 8601 date or date-time', timeText);
  const numbers = {} as Record<(typeof VALUE_COLUMNS)[number], number>;
  for (const column of VALUE_COLUMNS) {
    const text = cell(columns.values[column], column);
    numbers[column] = NUMBER_PATTERN.test(text) ? Number(text) : badValue(column, 'a decimal number', text);
  }
  // A symbol or timeframe cell wins over the caller's value; with neither, `cell` reports it missing.
  const columnOrGiven = (index: number | undefined, column: string, given: string | undefined) =>
    (index === undefined ? undefined : record[index]) || given || cell(index ?? -1, column);
  const symbol = columnOrGiven(columns.symbol, 'symbol', options.symbol);
  const timeframe = columnOrGiven(columns.timeframe, 'timeframe', options.timeframe);
  const where = `line ${line}`;
  return checkBar(
    {
      symbol: parseSymbol(symbol, where, { line }),
      timeframe: parseTimeframe(timeframe, where, { line }),
      timestamp,
      ...numbers,
    },
    where,
    { line },
  );
}

/**
 * Streams bars out of CSV text: a header row naming a time column (see TIME_COLUMNS), open, high,
 * low, close, volume and optionally symbol and timeframe (names case-insensitive, other columns such
 * as a leading index are ignored), then one bar per line. Yields arrays of at most `batchSize`
 * validated bars. Refuses with InvalidInputError, naming the line and column: a missing column, an
 * empty or unparsable cell, an invalid bar (see `validateBar`), a timestamp not after the previous
 * one of the same series, malformed CSV. The error ends the iteration; the batches yielded before it
 * were valid.
 */
export async function* readBarBatches(source: CsvSource, options: BarCsvOptions = {}): AsyncGenerator<Bar[]> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidInputError(`expects batchSize to be an integer ≥ 1, but got ${batchSize}`, { field: 'batchSize' });
  }
  if (options.symbol !== undefined) parseSymbol(options.symbol);
  if (options.timeframe !== undefined) parseTimeframe(options.timeframe);

  const parser = parse({ info: true, bom: true, trim: true, skip_empty_lines: true, relax_column_count: true });
  const input = source instanceof Readable ? source : Readable.from(typeof source === 'string' ? [source] : source);
  // Errors of either stream surface in the iteration below, which destroys both when it stops early.
  pipeline(input, parser, () => undefined);

  const order = new SeriesOrder();
  let columns: ColumnIndex | undefined;
  let batch: Bar[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (columns === undefined) {
        columns = indexHeader(record, info.lines, options);
        continue;
      }
      const bar = readRow(record, info.lines, columns, options);
      order.check(bar, `line ${info.lines}`, { line: info.lines });
      batch.push(bar);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw new InvalidInputError(`expects well-formed CSV, but ${error.message}`, { line: error.lines });
    }
    throw error;
  }
  if (columns === undefined) {
    throw new InvalidInputError('line 1: expects a header row, but the CSV is empty', { line: 1 });
  }
  if (batch.length > 0) yield batch;
}
