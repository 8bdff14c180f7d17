import { DEFAULT_POLICY } from '../../../src/config/policy';
import { assessForecastHealth, type ForecastHealthThresholds } from '../../../src/monitoring/model-health';

const thresholds: ForecastHealthThresholds = {
  ...DEFAULT_POLICY.health,
  window_trades: 20,
  min_error_increase_pct: DEFAULT_POLICY.drift_detection.min_error_increase_pct,
};

const latencies = (count: number, latency = 2) => Array.from({ length: count }, () => latency);
/** `count` losses alternating around `mean` (± 10 %). */
const losses = (count: number, mean: number) => Array.from({ length: count }, (_, i) => mean * (i % 2 ? 1.1 : 0.9));

describe('assessForecastHealth', () => {
  it('is HEALTHY with a loss like validation, and reports no directional figures', () => {
    const health = assessForecastHealth({ latenciesMs: latencies(100), losses: losses(40, 0.5), validationLoss: 0.5 }, thresholds);
    expect(health).toMatchObject({
      status: 'HEALTHY',
      reasons: [],
      outcomesNeeded: 20,
      meanLoss: expect.closeTo(0.5, 12),
      validationLoss: 0.5,
      winRate: null,
      rollingWinRate: [],
      calibrationError: null,
      longShort: null,
      latency: { p50: 2, p99: 2 },
    });
  });

  it('is DEGRADED from a rise of min_error_increase_pct over validation on the latest window_trades losses, never CRITICAL', () => {
    // Older losses were fine; the latest 20 are 50 % above validation.
    const degraded = assessForecastHealth(
      { latenciesMs: latencies(100), losses: [...losses(40, 0.5), ...losses(20, 0.75)], validationLoss: 0.5 },
      thresholds,
    );
    expect(degraded.status).toBe('DEGRADED');
    expect(degraded.meanLoss).toBeCloseTo(0.75, 12);
    expect(degraded.reasons).toEqual([
      'mean forecast loss 0.7500 over the latest 20 outcomes is 50.0% above the validation loss 0.5000 (a rise of 20% or more degrades: policy drift_detection.min_error_increase_pct)',
    ]);
    // Ten times validation is still DEGRADED: the policy's CRITICAL threshold is a win rate, which a forecast has not.
    expect(assessForecastHealth({ latenciesMs: latencies(100), losses: losses(20, 5), validationLoss: 0.5 }, thresholds).status).toBe(
      'DEGRADED',
    );
    // +10 %: below the rise that degrades.
    expect(assessForecastHealth({ latenciesMs: latencies(100), losses: losses(20, 0.55), validationLoss: 0.5 }, thresholds).status).toBe(
      'HEALTHY',
    );
  });

  it('is INSUFFICIENT_DATA with fewer than window_trades losses, or without a validation loss', () => {
    const few = assessForecastHealth({ latenciesMs: latencies(100), losses: losses(5, 5), validationLoss: 0.5 }, thresholds);
    expect(few).toMatchObject({
      status: 'INSUFFICIENT_DATA',
      meanLoss: null,
      reasons: ['5 of the 20 forecasts with realised rows needed to judge the loss (policy.health.window_trades)'],
    });
    const unjudged = assessForecastHealth({ latenciesMs: latencies(100), losses: losses(40, 5), validationLoss: null }, thresholds);
    expect(unjudged).toMatchObject({
      status: 'INSUFFICIENT_DATA',
      meanLoss: 5,
      reasons: ['the version has no validation loss (metrics.mse_original) to judge its forecast loss against'],
    });
  });

  it('is DEGRADED by a p99 latency above max_latency_p99_ms, as any model is', () => {
    const slow = assessForecastHealth({ latenciesMs: latencies(100, 80), losses: [], validationLoss: 0.5 }, thresholds);
    expect(slow).toMatchObject({ status: 'DEGRADED', reasons: ['p99 latency 80.0 ms is above 50 ms'] });
  });
});
