import seedrandom from 'seedrandom';
import {
  backtest,
  backtestWithPauses,
  classificationCounts,
  expectedCalibrationError,
  intervalCoverage,
  intervalOffsets,
  pitHistogram,
  reliabilityBins,
} from '../../../src/monitoring/backtest';
import { mae, rmse, r2 } from '../../../src/lib/metrics';
import { signStrategy, tradingMetrics } from '../../../src/lib/trading-metrics';
import { validationFolds } from '../../../src/lib/validation-folds';

describe('backtest figures by hand', () => {
  it('ECE: Σ n_b/n · |observed − mean p| over 10 equal bins', () => {
    // bins: {0.1, 0.15} → mean p 0.125, rate 0.5; {0.8} → 1; {0.9} → 1
    const p = [0.1, 0.15, 0.8, 0.9];
    const y = [0, 1, 1, 1];
    expect(expectedCalibrationError(p, y)).toBeCloseTo((2 * 0.375 + 0.2 + 0.1) / 4, 12);
    const bins = reliabilityBins(p, y);
    expect(bins).toHaveLength(10);
    expect(bins[1]).toEqual({ lower: 0.1, upper: 0.2, count: 2, meanPredicted: 0.125, observedRate: 0.5 });
    expect(bins[0].count).toBe(0);
    expect(bins[0].meanPredicted).toBeNull();
    // p = 1 falls in the last bin
    expect(reliabilityBins([1], [1])[9].count).toBe(1);
  });

  it('precision, recall and F1 of p > 0.5', () => {
    // tp 2 (0.9, 0.6), fp 1 (0.7), fn 2 (0.4, 0.3)
    const counts = classificationCounts([0.9, 0.7, 0.4, 0.6, 0.2, 0.3], [1, 0, 1, 1, 0, 1]);
    expect(counts.precision).toBeCloseTo(2 / 3, 12);
    expect(counts.recall).toBeCloseTo(1 / 2, 12);
    expect(counts.f1).toBeCloseTo(4 / 7, 12);
    expect(classificationCounts([0.1, 0.2], [0, 0])).toEqual({ precision: null, recall: null, f1: null });
  });

  it('interval offsets, coverage and the PIT histogram from residual quantiles', () => {
    const residuals = [-2, -1, 0, 1, 2];
    expect(intervalOffsets(residuals, 0.5)).toEqual({ lowerOffset: -1, upperOffset: 1 });
    const eighty = intervalOffsets(residuals, 0.8);
    expect(eighty.lowerOffset).toBeCloseTo(-1.6, 12);
    expect(eighty.upperOffset).toBeCloseTo(1.6, 12);
    const predictions = [0, 0, 0, 0, 0];
    const labels = [0.5, -1, 1.2, 3, -1.5];
    expect(intervalCoverage(predictions, labels, { lowerOffset: -1, upperOffset: 1 })).toBeCloseTo(2 / 5, 12);
    expect(intervalCoverage(predictions, labels, eighty)).toBeCloseTo(4 / 5, 12);
    // PIT: 0.5 → 3/5, −1 → 2/5, 1.2 → 4/5, 3 → 5/5 (last bin), −1.5 → 1/5
    const pit = pitHistogram(predictions, labels, residuals);
    expect(pit).toEqual([0, 0, 0.2, 0, 0.2, 0, 0.2, 0, 0.2, 0.2]);
  });
});

function series(n: number, seed: string) {
  const random = seedrandom(seed);
  const labels: number[] = [];
  const predictions: number[] = [];
  for (let i = 0; i < n; i++) {
    const signal = (random() - 0.5) * 0.02;
    labels.push(signal + (random() - 0.5) * 0.02);
    predictions.push(signal * 0.8);
  }
  return { labels, predictions };
}

describe('backtest', () => {
  const { labels, predictions } = series(400, 'bt');
  const folds = validationFolds(400, { kind: 'expanding', folds: 3, gap: 2, testFraction: 0.5 });
  const report = backtest({ task: 'regression', predictions, labels, folds, bootstrap: { resamples: 200, seed: 's' } });
  const value = (list: { name: string; value: number | null }[], name: string) => list.find((e) => e.name === name)!.value;

  it('scores each fold’s test block and all of them pooled, with the figures of lib/metrics and lib/trading-metrics', () => {
    expect(report.folds.map((f) => [f.testStart, f.testEnd])).toEqual(folds.map((f) => f.test));
    expect(report.folds.map((f) => f.trainRows)).toEqual(folds.map((f) => f.train[0][1]));
    const test = folds.flatMap((f) => Array.from({ length: f.test[1] - f.test[0] }, (_, i) => f.test[0] + i));
    const p = test.map((r) => predictions[r]);
    const y = test.map((r) => labels[r]);
    expect(report.pooled.rows).toBe(200);
    expect(value(report.pooled.metrics, 'rmse')).toBeCloseTo(rmse(p, y), 12);
    expect(value(report.pooled.metrics, 'r2')).toBeCloseTo(r2(p, y)!, 12);
    const strategy = signStrategy(p, y);
    const trading = tradingMetrics(strategy.returns, { positions: strategy.positions });
    expect(value(report.pooled.trading, 'sharpe')).toBeCloseTo(trading.sharpe!, 10);
    expect(value(report.pooled.trading, 'max_drawdown')).toBeCloseTo(trading.maxDrawdown, 12);
    expect(value(report.pooled.trading, 'es_95')).toBeCloseTo(trading.es95, 12);
    expect(value(report.pooled.trading, 'turnover')).toBeCloseTo(trading.turnover!, 12);
    const first = folds[0].test;
    expect(value(report.folds[0].metrics, 'mae')).toBeCloseTo(mae(predictions.slice(...first), labels.slice(...first)), 12);
  });

  it('puts a bootstrap interval around every figure, the same for the same seed', () => {
    for (const estimate of [...report.pooled.metrics, ...report.pooled.trading]) {
      if (estimate.value === null) continue;
      expect(estimate.lower).not.toBeNull();
      expect(estimate.lower!).toBeLessThanOrEqual(estimate.upper!);
    }
    const rm = report.pooled.metrics.find((e) => e.name === 'rmse')!;
    expect(rm.lower!).toBeLessThan(rm.value!);
    expect(rm.upper!).toBeGreaterThan(rm.value!);
    const again = backtest({ task: 'regression', predictions, labels, folds, bootstrap: { resamples: 200, seed: 's' } });
    expect(again).toEqual(report);
  });

  it('computes the same report in steps, pausing after every resample, and stops when a pause throws', async () => {
    const pauses: number[] = [];
    const stepped = await backtestWithPauses(
      { task: 'regression', predictions, labels, folds, bootstrap: { resamples: 200, seed: 's' } },
      async (done, total) => {
        pauses.push(done);
        expect(total).toBe(4 * 200);
      },
    );
    expect(stepped).toEqual(report);
    expect(pauses).toHaveLength(4 * 200);
    const stopped = backtestWithPauses({ task: 'regression', predictions, labels, folds, bootstrap: { resamples: 10 } }, async (done) => {
      if (done === 3) throw new Error('cancelled');
    });
    await expect(stopped).rejects.toThrow('cancelled');
  });

  it('takes the regression intervals from the first fold’s train residuals', () => {
    const train = folds[0].train[0];
    const residuals = labels
      .slice(...train)
      .map((y, i) => y - predictions[train[0] + i])
      .sort((a, b) => a - b);
    expect(report.intervalRows).toBe(train[1] - train[0]);
    const c80 = report.pooled.calibration.coverage.find((c) => c.level === 0.8)!;
    expect(c80).toMatchObject(intervalOffsets(residuals, 0.8));
    expect(c80.coverage.value).toBeGreaterThan(0.6);
    expect(report.pooled.calibration.pit.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('gives a binary version its classification figures and ECE, and no trading figures', () => {
    const random = seedrandom('b');
    const p = Array.from({ length: 300 }, () => random());
    const y = p.map((q) => (random() < q ? 1 : 0));
    const binary = backtest({
      task: 'binary',
      predictions: p,
      labels: y,
      folds: validationFolds(300, { kind: 'purged_kfold', folds: 3, purge: 1, embargo: 1 }),
      bootstrap: { resamples: 50 },
    });
    expect(binary.pooled.metrics.map((e) => e.name)).toEqual(['logloss', 'auc', 'accuracy', 'precision', 'recall', 'f1']);
    expect(binary.pooled.rows).toBe(300);
    expect(binary.pooled.calibration.ece!.value).toBeCloseTo(expectedCalibrationError(p, y), 12);
    expect(binary.pooled.trading).toEqual([]);
    expect(binary.pooled.tradingNote).toMatch(/classes, not returns/);
  });

  it('leaves rows without a prediction out, and names labels that are no returns', () => {
    const withGap = [...predictions];
    withGap[399] = NaN;
    const big = labels.map((y) => y * 1000);
    const out = backtest({ task: 'regression', predictions: withGap, labels: big, folds, bootstrap: { resamples: 10 } });
    expect(out.pooled.unscoredRows).toBe(1);
    expect(out.pooled.rows).toBe(199);
    expect(out.pooled.trading).toEqual([]);
    expect(out.pooled.tradingNote).toMatch(/not simple returns/);
  });
});
