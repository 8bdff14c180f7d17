import type { Bar } from '../../../src/lib/bars';
import { InferenceError, InvalidInputError } from '../../../src/lib/errors';
import { buildSeriesTable } from '../../../src/market/series-table';
import type { SequenceShape } from '../../../src/plugins/contract';
import {
  forecastActuals,
  forecastOutcomeRows,
  forecastShapeOf,
  realisedForecast,
  seriesOutcomePlan,
  type SeriesOutcomePlan,
} from '../../../src/trading/forecast-outcomes';

const shape: SequenceShape = {
  inputLength: 8,
  horizon: 3,
  inputChannels: ['SPY.close', 'QQQ.close'],
  targets: ['SPY.close', 'QQQ.close'],
  output: 'forecast',
};

describe('forecastActuals', () => {
  it('flattens horizon rows × targets step-major, each value as the float32 stored', () => {
    expect(
      forecastActuals(
        [
          [0.1, -2],
          [3, 4],
          [5.5, 1e-3],
        ],
        shape,
      ),
    ).toEqual([Math.fround(0.1), -2, 3, 4, 5.5, Math.fround(1e-3)]);
  });

  it('refuses another number of rows, a row of another width and a value beyond float32, naming the row', () => {
    const refusal = (values: number[][]) => {
      try {
        forecastActuals(values, shape);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as InvalidInputError).details).toMatchObject({ field: 'values' });
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal([[1, 2]])).toBe("values: expects 3 rows (the forecast's horizon) of 2 values (SPY.close, QQQ.close), but got 1 row");
    expect(refusal([[1, 2], [3], [5, 6]])).toBe('values[1]: expects 2 values (SPY.close, QQQ.close), but got 1');
    expect(
      refusal([
        [1, 2],
        [3, 4],
        [5, 1e39],
      ]),
    ).toBe('values[2][1] (QQQ.close) expects a finite float32, but got 1e+39');
  });
});

describe('forecastOutcomeRows', () => {
  it('reshapes stored actuals by the version’s horizon and targets, and gives none for another size or a model that is not a forecast', () => {
    expect(forecastOutcomeRows([1, 2, 3, 4, 5, 6], shape)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(forecastOutcomeRows([1, 2, 3, 4], shape)).toBeNull();
    expect(forecastOutcomeRows(null, shape)).toBeNull();
    expect(forecastOutcomeRows([1, 2, 3, 4, 5, 6], null)).toBeNull();
    expect(forecastShapeOf({ task: 'regression', inputWidth: 2, outputs: ['y'], allowsMissing: false })).toBeNull();
    expect(forecastShapeOf({ task: 'forecast', inputWidth: 16, outputs: [], allowsMissing: false, sequence: shape })).toBe(shape);
    expect(() => forecastOutcomeRows([1, 2, NaN, 4, 5, 6], shape)).toThrow(InferenceError);
  });
});

const channels = [
  { column: 'SPY.close', symbol: 'SPY', field: 'close' },
  { column: 'SPY.volume', symbol: 'SPY', field: 'volume' },
  { column: 'QQQ.close', symbol: 'QQQ', field: 'close' },
];
const seriesSpec = { symbols: ['SPY', 'QQQ'], timeframe: '1d', returns: true, returnKind: 'log', channels };

describe('seriesOutcomePlan', () => {
  it('takes the symbols, timeframe, return kind and each target’s symbol and field from a SERIES dataset', () => {
    expect(seriesOutcomePlan({ source: 'SERIES', spec: seriesSpec }, shape)).toEqual({
      symbols: ['SPY', 'QQQ'],
      timeframe: '1d',
      returnKind: 'log',
      targets: [channels[0], channels[2]],
      horizon: 3,
    });
  });

  it('has none for another dataset, a target the dataset lacks, or a model that is not a forecast', () => {
    expect(seriesOutcomePlan({ source: 'CSV', spec: null }, shape)).toBeNull();
    expect(seriesOutcomePlan({ source: 'BARS', spec: seriesSpec }, shape)).toBeNull();
    expect(seriesOutcomePlan(null, shape)).toBeNull();
    expect(seriesOutcomePlan({ source: 'SERIES', spec: seriesSpec }, { ...shape, targets: ['SPY.close', 'IWM.close'] })).toBeNull();
    expect(seriesOutcomePlan({ source: 'SERIES', spec: seriesSpec }, null)).toBeNull();
  });
});

const day = (d: number) => Date.UTC(2024, 0, d);

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

describe('realisedForecast', () => {
  const spy = bars('SPY', [
    [1, 100],
    [2, 101],
    [3, 99],
    [4, 102],
    [5, 104],
    [6, 103],
    [7, 107],
    [8, 108],
    [9, 110],
  ]);
  const plan: SeriesOutcomePlan = {
    symbols: ['SPY'],
    timeframe: '1d',
    returnKind: 'log',
    targets: [{ column: 'SPY.close', symbol: 'SPY', field: 'close' }],
    horizon: 3,
  };

  it('gives each step’s log return after asOf, the first over the bar at asOf', () => {
    expect(realisedForecast(plan, day(5), new Map([['SPY', spy]]))).toEqual([
      Math.log(103 / 104),
      Math.log(107 / 103),
      Math.log(108 / 107),
    ]);
  });

  it('gives the bar fields themselves for a dataset of levels, and an asOf between bars counts from the last bar before it', () => {
    const levels = { ...plan, returnKind: null, horizon: 2 };
    expect(realisedForecast(levels, day(5) + 3_600_000, new Map([['SPY', spy]]))).toEqual([103, 107]);
  });

  it('steps over the times a symbol of the dataset has no bar, as the dataset’s alignment does, with returns across them', () => {
    const qqq = bars('QQQ', [
      [3, 300, 10],
      [4, 303, 11],
      [5, 306, 12],
      [6, 305, 13],
      [8, 310, 14],
      [9, 311, 15],
      [10, 312, 16],
    ]);
    const both: SeriesOutcomePlan = {
      symbols: ['SPY', 'QQQ'],
      timeframe: '1d',
      returnKind: 'log',
      targets: [
        { column: 'QQQ.close', symbol: 'QQQ', field: 'close' },
        { column: 'SPY.volume', symbol: 'SPY', field: 'volume' },
      ],
      horizon: 3,
    };
    const windows = new Map([
      ['SPY', spy],
      ['QQQ', qqq],
    ]);
    const realised = realisedForecast(both, day(5), windows)!;
    // Steps: days 6, 8 and 9 (QQQ has no bar on day 7); SPY's volume is constant, so its log returns are 0.
    expect(realised).toEqual([Math.log(305 / 306), 0, Math.log(310 / 305), 0, Math.log(311 / 310), 0]);
    // … exactly the rows the SERIES dataset of these bars has after day 5.
    const { table } = buildSeriesTable(
      new Map([
        ['SPY', spy],
        ['QQQ', qqq],
      ]),
      { fields: ['close', 'volume'], returns: 'log', align: 'inner' },
    );
    const times = table.data[0] as number[];
    const row = times.indexOf(day(6));
    const column = (name: string) => table.data[table.columns.findIndex((c) => c.name === name)] as number[];
    expect(realised).toEqual([0, 1, 2].flatMap((h) => [column('QQQ.close')[row + h], column('SPY.volume')[row + h]]));
    expect(times.slice(row, row + 3)).toEqual([day(6), day(8), day(9)]);
  });

  it('waits while the horizon bars are not all stored, or there is no bar at or before asOf', () => {
    const upTo = (d: number) => spy.filter((bar) => bar.timestamp <= day(d));
    expect(realisedForecast(plan, day(5), new Map([['SPY', upTo(7)]]))).toBeNull();
    expect(realisedForecast(plan, day(5), new Map([['SPY', spy.filter((bar) => bar.timestamp > day(5))]]))).toBeNull();
    expect(realisedForecast(plan, day(5), new Map())).toBeNull();
    // QQQ has no bar on day 7, so the third step is day 9: stored for SPY, not yet for QQQ.
    const qqq = bars('QQQ', [
      [4, 10],
      [5, 10],
      [6, 11],
      [8, 12],
    ]);
    const both = { ...plan, symbols: ['SPY', 'QQQ'] };
    const around = new Map([
      ['SPY', spy],
      ['QQQ', qqq],
    ]);
    expect(realisedForecast(both, day(5), around)).toBeNull();
    around.set('QQQ', [...qqq, ...bars('QQQ', [[9, 13]])]);
    expect(realisedForecast(both, day(5), around)).toEqual([Math.log(103 / 104), Math.log(108 / 103), Math.log(110 / 108)]);
  });

  it('refuses, as the dataset does, a return over a value that is not positive', () => {
    const volume = { ...plan, targets: [{ column: 'SPY.volume', symbol: 'SPY', field: 'volume' as const }] };
    const zero = bars('SPY', [
      [4, 1, 5],
      [5, 1, 0],
      [6, 1, 3],
      [7, 1, 3],
      [8, 1, 3],
    ]);
    expect(() => realisedForecast(volume, day(5), new Map([['SPY', zero]]))).toThrow(InvalidInputError);
  });
});
