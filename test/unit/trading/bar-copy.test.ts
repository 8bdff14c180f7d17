import { BAR_TUPLE_BYTES, encodeBarsForCopy } from '../../../src/db/bar-copy';
import type { Bar } from '../../../src/lib/bars';

const bar = (timestamp: number, open: number): Bar => ({
  symbol: 'X',
  timeframe: '1d',
  timestamp,
  open,
  high: 2,
  low: 0.5,
  close: 1,
  volume: 0,
});

describe('encodeBarsForCopy', () => {
  it('writes the binary COPY header, one 7-field tuple per bar (int4, int8 µs since 2000, 5 float8) and the trailer', () => {
    const buffer = encodeBarsForCopy([
      { seriesId: 42, bars: [bar(Date.UTC(2000, 0, 1, 0, 0, 0, 1), 1.5), bar(Date.UTC(1999, 11, 31, 23, 59, 59, 999), 3)] },
    ]);
    const header = '5047434f50590aff0d0a00' + '00000000' + '00000000';
    const floats = (open: string) =>
      [open, '4000000000000000', '3fe0000000000000', '3ff0000000000000', '0000000000000000'].map((value) => `00000008${value}`).join('');
    const first = '0007' + '00000004' + '0000002a' + '00000008' + '00000000' + '000003e8' + floats('3ff8000000000000');
    // −1000 µs: the int64 two's complement ffffffff fffffc18
    const second = '0007' + '00000004' + '0000002a' + '00000008' + 'ffffffff' + 'fffffc18' + floats('4008000000000000');
    expect(buffer.toString('hex')).toBe(header + first + second + 'ffff');
    expect(buffer.length).toBe(19 + 2 * BAR_TUPLE_BYTES + 2);
  });

  it('writes each series under its own id, and nothing but the frame for no bars', () => {
    const buffer = encodeBarsForCopy([
      { seriesId: 1, bars: [bar(Date.UTC(2020, 0, 1), 1)] },
      { seriesId: 7, bars: [bar(Date.UTC(2020, 0, 1), 1)] },
    ]);
    expect(buffer.readInt32BE(19 + 6)).toBe(1);
    expect(buffer.readInt32BE(19 + BAR_TUPLE_BYTES + 6)).toBe(7);
    expect(encodeBarsForCopy([]).toString('hex')).toBe('5047434f50590aff0d0a00' + '0000000000000000' + 'ffff');
  });
});
