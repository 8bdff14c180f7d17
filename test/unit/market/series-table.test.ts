import fc from 'fast-check';
import type { Bar } from '../../../src/lib/bars';
import { tableFromRows } from '../../../src/lib/dataset-table';
import { InvalidInputError } from '../../../src/lib/errors';
import {
  MIN_SERIES_ROWS,
  buildSeriesTable,
  parseSeriesOptions,
  seriesChannels,
  seriesColumnName,
  type SeriesOptions,
} from '../../../src/market/series-table';

const day = (d: number) => Date.UTC(2024, 0, d);

/** Bars on the given days of January 2024 with these closes (open, high and low at the close) and volumes. */
function bars(symbol: string, points: [day: number, close: number, volume?: number][]): Bar[] {
  return points.map(([d, close, volume = 1000]) => ({
    symbol,
    timeframe: '1d',
    timestamp: day(d),
    open: close,
    high: close,
    low: close,
    close,
    volume,
  }));
}

const LEVELS: SeriesOptions = { fields: ['close'], returns: null, align: 'inner' };

function refusal(run: () => unknown): { message: string; field: unknown } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return { message: (error as Error).message, field: (error as InvalidInputError).details?.field };
  }
  throw new Error('expected a refusal');
}

describe('buildSeriesTable', () => {
  // A lacks day 4, B lacks day 3; only B has day 6.
  const a = bars('A', [
    [1, 100, 10],
    [2, 110, 20],
    [3, 200, 30],
    [5, 99, 40],
    [6, 99, 50],
  ]);
  const b = bars('B', [
    [1, 50, 1],
    [2, 55, 2],
    [4, 60, 3],
    [5, 66, 4],
    [6, 33, 5],
    [7, 40, 6],
  ]);

  it('keeps the times every symbol has, ascending, with a column per symbol × field in the given order', () => {
    const built = buildSeriesTable(
      new Map([
        ['B', b],
        ['A', a],
      ]),
      { ...LEVELS, fields: ['volume', 'close'] },
    );
    expect(built.table.columns).toEqual([
      { name: 'time', type: 'timestamp' },
      { name: 'B.volume', type: 'number' },
      { name: 'B.close', type: 'number' },
      { name: 'A.volume', type: 'number' },
      { name: 'A.close', type: 'number' },
    ]);
    expect(built.table.rowCount).toBe(4);
    expect(built.table.data).toEqual([
      [day(1), day(2), day(5), day(6)],
      [1, 2, 4, 5],
      [50, 55, 66, 33],
      [10, 20, 40, 50],
      [100, 110, 99, 99],
    ]);
    expect(built.channels).toEqual([
      { column: 'B.volume', symbol: 'B', field: 'volume' },
      { column: 'B.close', symbol: 'B', field: 'close' },
      { column: 'A.volume', symbol: 'A', field: 'volume' },
      { column: 'A.close', symbol: 'A', field: 'close' },
    ]);
    // Days 3 (A only), 4 and 7 (B only) are dropped.
    expect(built).toMatchObject({ alignedTimes: 4, droppedTimes: 3, missingBars: { A: 2, B: 1 } });
  });

  it('takes simple returns over the aligned rows, so a dropped time is inside the next row’s interval', () => {
    const built = buildSeriesTable(
      new Map([
        ['A', a],
        ['B', b],
      ]),
      { ...LEVELS, returns: 'simple' },
    );
    expect(built.table.data[0]).toEqual([day(2), day(5), day(6)]);
    expect(built.table.rowCount).toBe(3);
    expect(built.alignedTimes).toBe(4);
    // A: 110/100 − 1, then 99/110 − 1 (day 3's 200 is not a row), then 99/99 − 1.
    const [aReturns, bReturns] = built.table.data.slice(1) as number[][];
    [0.1, -0.1, 0].forEach((expected, r) => expect(aReturns[r]).toBeCloseTo(expected, 12));
    // B: 55/50 − 1, 66/55 − 1 (over day 4), 33/66 − 1.
    [0.1, 0.2, -0.5].forEach((expected, r) => expect(bReturns[r]).toBeCloseTo(expected, 12));
  });

  it('takes log returns when asked', () => {
    const built = buildSeriesTable(new Map([['B', b]]), { ...LEVELS, returns: 'log' });
    expect(built.table.data[0]).toEqual([day(2), day(4), day(5), day(6), day(7)]);
    const expected = [Math.log(1.1), Math.log(60 / 55), Math.log(1.1), Math.log(0.5), Math.log(40 / 33)];
    (built.table.data[1] as number[]).forEach((value, r) => expect(value).toBeCloseTo(expected[r], 12));
  });

  it('refuses fewer than two rows, counting the dropped times', () => {
    const refused = (other: Bar[], returns: SeriesOptions['returns']) =>
      refusal(() =>
        buildSeriesTable(
          new Map([
            ['A', a],
            ['C', other],
          ]),
          { ...LEVELS, returns },
        ),
      );
    // With A: day 1 only in common; days 2, 3, 5, 6 (A) and 8, 9 (C) dropped.
    expect(
      refused(
        bars('C', [
          [1, 10],
          [8, 11],
          [9, 12],
        ]),
        null,
      ),
    ).toEqual({
      message:
        'expects at least 2 times at which every symbol (A, C) has a bar, but there are 1 (6 dropped where a symbol had none)' +
        '; widen from/to or choose symbols traded at the same times',
      field: 'series.from',
    });
    // Two common times are two rows of levels, but one row of returns.
    const twoInCommon = bars('C', [
      [1, 10],
      [2, 11],
      [9, 12],
    ]);
    expect(
      buildSeriesTable(
        new Map([
          ['A', a],
          ['C', twoInCommon],
        ]),
        LEVELS,
      ).table.rowCount,
    ).toBe(MIN_SERIES_ROWS);
    expect(refused(twoInCommon, 'simple').message).toMatch(
      /^expects at least 3 times at which every symbol \(A, C\) has a bar \(returns take the first as their base\), but there are 2 /,
    );
  });

  it('refuses returns over a value that is not positive, naming the column and the time', () => {
    const quiet = bars('Q', [
      [1, 10, 5],
      [2, 11, 0],
      [3, 12, 7],
    ]);
    expect(refusal(() => buildSeriesTable(new Map([['Q', quiet]]), { ...LEVELS, fields: ['close', 'volume'], returns: 'simple' }))).toEqual(
      {
        message:
          'expects positive values of Q.volume to take its returns, but it is 5 at 2024-01-01T00:00:00.000Z and 0 at 2024-01-02T00:00:00.000Z' +
          '; leave that field out or set returns: false',
        field: 'series.returns',
      },
    );
    // The levels of the same bars are fine.
    expect(buildSeriesTable(new Map([['Q', quiet]]), { ...LEVELS, fields: ['volume'] }).table.data[1]).toEqual([5, 0, 7]);
  });

  it('keeps exactly the common times, whatever days each symbol has (property)', () => {
    const daysOf = fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(fc.array(daysOf, { minLength: 1, maxLength: 4 }), (sets) => {
        const series = new Map(
          sets.map((days, s) => [
            `S${s}`,
            bars(
              `S${s}`,
              [...days].sort((x, y) => x - y).map((d) => [d, s * 100 + d]),
            ) as Bar[],
          ]),
        );
        const common = sets[0].filter((d) => sets.every((days) => days.includes(d))).sort((x, y) => x - y);
        const union = new Set(sets.flat());
        if (common.length < MIN_SERIES_ROWS) {
          expect(() => buildSeriesTable(series, LEVELS)).toThrow(InvalidInputError);
          return;
        }
        const built = buildSeriesTable(series, LEVELS);
        expect(built.table.data[0]).toEqual(common.map(day));
        sets.forEach((days, s) => {
          expect(built.table.data[1 + s]).toEqual(common.map((d) => s * 100 + d));
          expect(built.missingBars[`S${s}`]).toBe(union.size - days.length);
        });
        expect(built.droppedTimes).toBe(union.size - common.length);
      }),
    );
  });
});

describe('series column names', () => {
  it('are symbol.field, with what a column name cannot hold replaced', () => {
    expect(seriesColumnName('SPY', 'close')).toBe('SPY.close');
    expect(seriesColumnName('BRK.B', 'volume')).toBe('BRK.B.volume');
    expect(seriesColumnName('BTC/USD', 'close')).toBe('BTC_USD.close');
    expect(seriesColumnName('ES=F', 'open')).toBe('ES_F.open');
    expect(seriesColumnName('^GSPC', 'high')).toBe('_GSPC.high');
    expect(seriesColumnName('7203.T', 'low')).toBe('_7203.T.low');
    // …which the dataset table accepts as column names.
    const names = ['SPY', 'BRK.B', 'BTC/USD', 'ES=F', '^GSPC', '7203.T', 'X:Y-Z_1'].map((symbol) => seriesColumnName(symbol, 'close'));
    expect(tableFromRows([Object.fromEntries(names.map((name) => [name, 1]))]).columns.map((column) => column.name)).toEqual(names);
  });

  it('are refused when two symbols would share one', () => {
    expect(refusal(() => seriesChannels(['BTC/USD', 'BTC:USD'], ['close']))).toEqual({
      message: 'expects symbols with distinct column names, but "BTC/USD" and "BTC:USD" both make BTC_USD.close',
      field: 'series.symbols',
    });
  });

  it('are at most what a table holds', () => {
    const symbols = Array.from({ length: 103 }, (_, i) => `S${i}`);
    expect(refusal(() => seriesChannels(symbols, ['open', 'high', 'low', 'close', 'volume']))).toEqual({
      message: 'expects at most 511 symbol × field columns, but 103 symbols × 5 fields make 515',
      field: 'series.symbols',
    });
  });
});

describe('parseSeriesOptions', () => {
  it('defaults to the close, no returns, inner alignment; returns are simple unless log is named', () => {
    expect(parseSeriesOptions({})).toEqual({ fields: ['close'], returns: null, align: 'inner' });
    expect(parseSeriesOptions({ columns: ['open', 'volume'], returns: true })).toEqual({
      fields: ['open', 'volume'],
      returns: 'simple',
      align: 'inner',
    });
    expect(parseSeriesOptions({ returns: true, returnKind: 'log', align: 'inner' }).returns).toBe('log');
  });

  it.each([
    [{ columns: ['vwap'] }, 'expects series.columns to be one of OPEN, HIGH, LOW, CLOSE, VOLUME, but got "vwap"', 'series.columns'],
    [{ columns: [] }, 'expects series.columns to list at least one bar field, but got none', 'series.columns'],
    [{ columns: ['close', 'open', 'close'] }, 'expects each bar field once, but CLOSE appears twice', 'series.columns'],
    [
      { returnKind: 'log' },
      'expects series.returnKind only with returns: true, but got LOG without it; add returns: true or drop returnKind',
      'series.returnKind',
    ],
    [{ returns: true, returnKind: 'pct' }, 'expects series.returnKind to be one of SIMPLE, LOG, but got "pct"', 'series.returnKind'],
    [{ align: 'outer' }, 'expects series.align to be one of INNER, but got "outer"', 'series.align'],
  ])('refuses %j', (input, message, field) => {
    expect(refusal(() => parseSeriesOptions(input))).toEqual({ message, field });
  });
});
