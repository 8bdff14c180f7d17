/**
 * Bars in Postgres' binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Binary Format"), for `COPY … FROM STDIN (FORMAT binary)` into a table shaped like `bars`:
 * (series_id integer, ts timestamptz, open, high, low, close, volume double precision).
 *
 * Binary rather than text: the doubles travel as their 8 bytes, so nothing formats them as decimals
 * on this side or parses them on the server's — most of the cost of a text bulk load.
 *
 *   header   "PGCOPY\n\377\r\n\0", flags int32 0, header-extension length int32 0
 *   tuple    field count int16 (7), then per field: byte length int32 and the value, big-endian:
 *            int4 series id; timestamptz as int8 microseconds since 2000-01-01 UTC; five float8
 *   trailer  int16 −1
 */
import type { Bar } from '../lib/bars';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
const FIELDS = 7;
/** field count + 7 length words + int4 + int8 + 5 float8 */
export const BAR_TUPLE_BYTES = 2 + FIELDS * 4 + 4 + 8 + 5 * 8;
/** 2000-01-01T00:00:00Z in Unix milliseconds: Postgres' timestamp epoch. */
const POSTGRES_EPOCH_MS = 946_684_800_000;
const TWO_TO_32 = 2 ** 32;

export interface SeriesBars {
  seriesId: number;
  bars: readonly Bar[];
}

/** One COPY stream of the bars of each series. */
export function encodeBarsForCopy(series: readonly SeriesBars[]): Buffer {
  const rows = series.reduce((sum, s) => sum + s.bars.length, 0);
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + rows * BAR_TUPLE_BYTES + 2);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let at = SIGNATURE.copy(buffer, 0);
  view.setInt32(at, 0);
  view.setInt32(at + 4, 0);
  at += 8;
  const float8 = (value: number) => {
    view.setInt32(at, 8);
    view.setFloat64(at + 4, value);
    at += 12;
  };
  for (const { seriesId, bars } of series) {
    for (const bar of bars) {
      view.setInt16(at, FIELDS);
      view.setInt32(at + 2, 4);
      view.setInt32(at + 6, seriesId);
      // Microseconds fit a double exactly (|µs| < 2^53 for any date of this millennium and the last);
      // split into two 32-bit words, the high one signed, for an int64 in two's complement.
      const micros = (bar.timestamp - POSTGRES_EPOCH_MS) * 1000;
      const high = Math.floor(micros / TWO_TO_32);
      view.setInt32(at + 10, 8);
      view.setInt32(at + 14, high);
      view.setUint32(at + 18, micros - high * TWO_TO_32);
      at += 22;
      float8(bar.open);
      float8(bar.high);
      float8(bar.low);
      float8(bar.close);
      float8(bar.volume);
    }
  }
  view.setInt16(at, -1);
  return buffer;
}
