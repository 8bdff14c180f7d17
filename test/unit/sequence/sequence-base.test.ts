/**
 * The sequence base's pure parts: which windows belong to which split (the ETT protocol's counts),
 * the boundaries from fractions, the refusals of sets that cannot train, the scaling, the forecast
 * metrics against hand-computed figures, the dataset table → series, and a request history → row.
 */
import { tableFromCsv } from '../../../src/lib/dataset-table';
import { toSequenceSet } from '../../../src/learning/sequence-set';
import { forecastMetrics } from '../../../src/plugins/base/sequence/metrics';
import { fitChannelScaling } from '../../../src/plugins/base/sequence/scaling';
import {
  checkSequenceSet,
  gatherWindows,
  selectChannels,
  sequenceSplits,
  splitBoundaries,
  windowCount,
  windowTargets,
} from '../../../src/plugins/base/sequence/windows';
import type { SequenceTrainingSet } from '../../../src/plugins/contract';
import { forecastOutputNames } from '../../../src/plugins/onnx/sequence-signature';
import { encodeHistory, forecastRows } from '../../../src/serving/forecast-history';

function set(steps: number, overrides: Partial<SequenceTrainingSet> = {}): SequenceTrainingSet {
  const channels = ['x', 'y'];
  return {
    kind: 'sequence',
    channels,
    values: Float32Array.from({ length: steps * 2 }, (_, i) => (i % 2 === 0 ? Math.floor(i / 2) : -Math.floor(i / 2))),
    timestamps: Float64Array.from({ length: steps }, (_, t) => t * 1000),
    steps,
    inputChannels: channels,
    targets: ['y'],
    inputLength: 4,
    horizon: 2,
    trainEnd: Math.floor(steps * 0.6),
    validationEnd: Math.floor(steps * 0.8),
    ...overrides,
  };
}

describe('windows', () => {
  it('gives the ETT protocol its window counts: 8,209 training, 2,785 validation and 2,785 test windows at L 336, H 96', () => {
    const ett = { ...set(14400), inputLength: 336, horizon: 96, trainEnd: 8640, validationEnd: 11520 };
    const splits = sequenceSplits(ett);
    expect([windowCount(splits.train), windowCount(splits.validation), windowCount(splits.test)]).toEqual([8209, 2785, 2785]);
    // The first validation window reads the last 336 training rows and forecasts the first validation rows.
    expect(splits.validation[0]).toBe(8640 - 336);
    expect(splits.test).toEqual([11520 - 336, 14400 - 336 - 96 + 1]);
  });

  it('splits by fractions in time order', () => {
    expect(splitBoundaries(100, 0.2, 0.1)).toEqual({ trainEnd: 70, validationEnd: 90 });
    expect(splitBoundaries(100, 0, 0)).toEqual({ trainEnd: 100, validationEnd: 100 });
  });

  it('cuts inputs and targets of the windows it is asked for', () => {
    const s = set(20);
    // Rows are (t, -t): the window at 3 shows rows 3..6 and forecasts y at rows 7, 8.
    expect(Array.from(gatherWindows(s, [3], [0, 1]))).toEqual([3, -3, 4, -4, 5, -5, 6, -6]);
    expect(Array.from(windowTargets(s, [3, 5], [1]))).toEqual([-7, -8, -8, -9]);
    expect(Array.from(selectChannels(s, [1])).slice(0, 3)).toEqual([-0, -1, -2]);
  });

  it('refuses sets that cannot train, saying what to change', () => {
    expect(() => checkSequenceSet(set(5))).toThrow(
      /expects at least input_length \+ horizon = 6 rows for one window, but the series has 5/,
    );
    expect(() => checkSequenceSet(set(10, { trainEnd: 4, validationEnd: 8 }))).toThrow(
      /expects the training rows \(4\) to hold at least one window/,
    );
    expect(() => checkSequenceSet(set(20, { targets: ['z'] }))).toThrow(/expects channel "z" among the series' x, y/);
    expect(() => checkSequenceSet(set(20, { inputChannels: ['x'], targets: ['y'] }))).toThrow(/"y" is not among featureColumns/);
    const withNaN = set(20);
    withNaN.values[7] = NaN;
    expect(() => checkSequenceSet(withNaN)).toThrow(/expects finite values, but channel "y" at step 3 is NaN/);
  });
});

describe('scaling', () => {
  it('fits mean and population standard deviation on the training rows only; a constant channel gets 1', () => {
    const values = Float32Array.from([1, 5, 2, 5, 3, 5, 100, 100]);
    const scaling = fitChannelScaling(values, 2, 3);
    expect(scaling.mean).toEqual([2, 5]);
    expect(scaling.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(scaling.std[1]).toBe(1);
  });
});

describe('forecast metrics', () => {
  it('averages squared and absolute errors over windows, steps and targets, on both scales, and per step', () => {
    // 2 windows × 2 steps × 2 targets; target standard deviations 1 and 2.
    const forecast = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const actual = Float32Array.from([1, 4, 2, 4, 5, 2, 9, 8]);
    const m = forecastMetrics(forecast, actual, { windows: 2, horizon: 2, targets: 2, targetStd: [1, 2] });
    // Errors: [0, -2, 1, 0, 0, 4, -2, 0]; standardised: [0, -1, 1, 0, 0, 2, -2, 0].
    expect(m.mse_original).toBeCloseTo((4 + 1 + 16 + 4) / 8, 12);
    expect(m.mae_original).toBeCloseTo((2 + 1 + 4 + 2) / 8, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt(25 / 8), 12);
    expect(m.mse).toBeCloseTo((1 + 1 + 4 + 4) / 8, 12);
    expect(m.mae).toBeCloseTo((1 + 1 + 2 + 2) / 8, 12);
    expect(m.mse_step_1).toBeCloseTo((0 + 1 + 0 + 4) / 4, 12);
    expect(m.mse_step_2).toBeCloseTo((1 + 0 + 4 + 0) / 4, 12);
    expect(forecastMetrics(forecast, actual, { windows: 2, horizon: 2, targets: 2, targetStd: [1, 2] }, 'test_').test_mse).toBe(m.mse);
  });
});

describe('a dataset table as a series', () => {
  const csv = 'time,a,b\n2024-01-01T02:00:00Z,3,30\n2024-01-01T00:00:00Z,1,10\n2024-01-01T01:00:00Z,2,20\n2024-01-01T03:00:00Z,4,40\n';

  it('orders rows by time and lays the channels out time-major', () => {
    const s = toSequenceSet(
      tableFromCsv(csv),
      { inputs: ['a', 'b'], targets: ['b'], orderBy: 'time' },
      { input_length: 2, horizon: 1, validation_fraction: 0.25, test_fraction: 0 },
    );
    expect(Array.from(s.values)).toEqual([1, 10, 2, 20, 3, 30, 4, 40]);
    expect(s.timestamps[0]).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect([s.trainEnd, s.validationEnd, s.steps]).toEqual([3, 4, 4]);
  });

  it('refuses a series with a gap rather than stitching it', () => {
    const gap = csv.replace('2024-01-01T01:00:00Z,2,20', '2024-01-01T01:00:00Z,2,');
    expect(() =>
      toSequenceSet(
        tableFromCsv(gap),
        { inputs: ['a', 'b'], targets: ['b'], orderBy: 'time' },
        { input_length: 2, horizon: 1, validation_fraction: 0, test_fraction: 0 },
      ),
    ).toThrow(/expects a series without gaps, but channel "b" is missing at row 3; fill or drop that row before training/);
  });
});

describe('a forecast request', () => {
  const shape = { inputLength: 2, horizon: 2, inputChannels: ['a', 'b'], targets: ['b', 'a'], output: 'forecast' };

  it('encodes a history time-major and reads a forecast back step-major', () => {
    const row = new Float32Array(4);
    encodeHistory(
      [
        [1, 2],
        [3, 4],
      ],
      shape,
      row,
      0,
      'history',
    );
    expect(Array.from(row)).toEqual([1, 2, 3, 4]);
    expect(forecastRows(Float32Array.from([5, 6, 7, 8]), 0, shape)).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(forecastOutputNames(shape.targets, shape.horizon)).toEqual(['b@1', 'a@1', 'b@2', 'a@2']);
  });

  it('names the row and channel it refuses', () => {
    const row = new Float32Array(4);
    expect(() => encodeHistory([[1, 2]], shape, row, 0, 'history')).toThrow(/history: expects 2 rows .* of 2 values \(a, b\), but got 1/);
    expect(() => encodeHistory([[1, 2], [3]], shape, row, 0, 'history')).toThrow('history[1]: expects 2 values (a, b), but got 1');
    expect(() =>
      encodeHistory(
        [
          [1, null],
          [3, 4],
        ],
        shape,
        row,
        0,
        'history',
      ),
    ).toThrow('history[0][1] (b) is missing');
    expect(() =>
      encodeHistory(
        [
          [1, 2],
          [3, 1e39],
        ],
        shape,
        row,
        0,
        'histories[3]',
      ),
    ).toThrow('histories[3][1][1] (b) expects a finite float32, but got 1e+39');
    expect(() => forecastRows(Float32Array.from([5, NaN, 7, 8]), 0, shape)).toThrow('the model gave no finite forecast of a at step 1');
  });
});
