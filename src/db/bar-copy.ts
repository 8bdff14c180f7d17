/**
 * Bars in Postgres' binary COPY format (db/binary-copy.ts), for `COPY … FROM STDIN (FORMAT binary)`
 * into a table shaped like `bars`: (series_id integer, ts timestamptz, open, high, low, close, volume
 * double precision) — one 7-field tuple per bar: int4 series id, timestamptz, five float8.
 */
import type { Bar } from '../lib/bars';
import { COPY_HEADER_BYTES, COPY_TRAILER_BYTES, CopyEncoder } from './binary-copy';

const FIELDS = 7;
/** field count + 7 length words + int4 + int8 + 5 float8 */
export const BAR_TUPLE_BYTES = 2 + FIELDS * 4 + 4 + 8 + 5 * 8;

export interface SeriesBars {
  seriesId: number;
  bars: readonly Bar[];
}

/** One COPY stream of the bars of each series. */
export function encodeBarsForCopy(series: readonly SeriesBars[]): Buffer {
  const rows = series.reduce((sum, s) => sum + s.bars.length, 0);
  const copy = new CopyEncoder(COPY_HEADER_BYTES + rows * BAR_TUPLE_BYTES + COPY_TRAILER_BYTES);
  for (const { seriesId, bars } of series) {
    for (const bar of bars) {
      copy
        .tuple(FIELDS)
        .int4(seriesId)
        .timestamptz(bar.timestamp)
        .float8(bar.open)
        .float8(bar.high)
        .float8(bar.low)
        .float8(bar.close)
        .float8(bar.volume);
    }
  }
  return copy.finish();
}
