/**
 * forecast-backtest.ts: the report of a sequence version's forecasts over window starts — per fold and
 * pooled, forecastMetrics of the windows of each test block; mse and mae with a bootstrap interval
 * around them; no trading figures.
 */
import seedrandom from 'seedrandom';
import { validationFolds } from '../../../src/lib/validation-folds';
import { forecastBacktest, FORECAST_TRADING_NOTE } from '../../../src/monitoring/forecast-backtest';
import { forecastMetrics } from '../../../src/plugins/base/sequence/metrics';

const WINDOWS = 120;
const H = 3;
const K = 2;
const random = seedrandom('forecast-backtest');
const actuals = Float32Array.from({ length: WINDOWS * H * K }, () => random() * 4);
const forecasts = Float32Array.from(actuals, (v) => v + (random() - 0.5));
const targetStd = [2, 0.5];
const folds = validationFolds(WINDOWS, { kind: 'expanding', folds: 3, gap: 0 });
const report = forecastBacktest({
  forecasts,
  actuals,
  windows: WINDOWS,
  inputLength: 8,
  horizon: H,
  targets: ['x', 'y'],
  targetStd,
  targetStdSource: 'training',
  folds,
  bootstrap: { resamples: 200, seed: 's' },
});
const cells = H * K;
const slice = (a: Float32Array, [from, to]: readonly [number, number]) => a.slice(from * cells, to * cells);

describe('forecastBacktest', () => {
  it('scores each fold and all folds pooled with forecastMetrics over their window starts', () => {
    expect(report).toMatchObject({ task: 'forecast', rows: WINDOWS, resamples: 200, seed: 's', intervalRows: 0 });
    for (const [i, fold] of folds.entries()) {
      const n = fold.test[1] - fold.test[0];
      const expected = forecastMetrics(slice(forecasts, fold.test), slice(actuals, fold.test), {
        windows: n,
        horizon: H,
        targets: K,
        targetStd,
      });
      const got = report.forecast.folds[i];
      expect(got).toMatchObject({ fold: fold.fold, testStart: fold.test[0], testEnd: fold.test[1], windows: n });
      expect(got.mse).toBeCloseTo(expected.mse, 12);
      expect(got.maeOriginal).toBeCloseTo(expected.mae_original, 12);
      expect(got.steps.map((s) => s.mse)).toEqual([1, 2, 3].map((h) => expected[`mse_step_${h}`]));
      expect(report.folds[i].rows).toBe(n);
    }
    const pooled: [number, number] = [folds[0].test[0], folds[folds.length - 1].test[1]];
    const n = pooled[1] - pooled[0];
    const expected = forecastMetrics(slice(forecasts, pooled), slice(actuals, pooled), { windows: n, horizon: H, targets: K, targetStd });
    expect(report.forecast.pooled.mse).toBeCloseTo(expected.mse, 12);
    expect(report.forecast.pooled.rmse).toBeCloseTo(expected.rmse, 12);
  });

  it('gives mse and mae a bootstrap interval around them, the rest point values, and no trading figures', () => {
    const [mse, mae, ...rest] = report.pooled.metrics;
    for (const estimate of [mse, mae]) {
      expect(estimate.lower!).toBeLessThanOrEqual(estimate.value!);
      expect(estimate.upper!).toBeGreaterThanOrEqual(estimate.value!);
      expect(estimate.lower!).toBeLessThan(estimate.upper!);
    }
    expect(rest.map((e) => [e.name, e.lower, e.upper])).toEqual([
      ['mse_original', null, null],
      ['mae_original', null, null],
      ['rmse', null, null],
    ]);
    expect(report.pooled.trading).toEqual([]);
    expect(report.pooled.tradingNote).toBe(FORECAST_TRADING_NOTE);
  });
});
