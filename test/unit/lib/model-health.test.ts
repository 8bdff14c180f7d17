import { DEFAULT_POLICY } from '../../../src/config/policy';
import { assessHealth, type HealthThresholds } from '../../../src/monitoring/model-health';
import type { Outcome } from '../../../src/monitoring/outcome-scoring';

const thresholds: HealthThresholds = { ...DEFAULT_POLICY.health, window_trades: 20 };

/** `count` outcomes, the first `wins` of each 10 called right, alternating long and short. */
function outcomes(count: number, winsPerTen: number): Outcome[] {
  return Array.from({ length: count }, (_, i) => {
    const prediction = i % 2 === 0 ? 0.01 : -0.01;
    const right = i % 10 < winsPerTen;
    return { prediction, actual: (right ? 1 : -1) * Math.sign(prediction) * 0.02 };
  });
}

const steady = (count: number, latency = 2) => ({
  predictions: Array.from({ length: count }, (_, i) => (i % 2 ? 0.01 : -0.01)),
  latenciesMs: Array.from({ length: count }, () => latency),
});

describe('assessHealth', () => {
  it('is HEALTHY with a good win rate, balanced calls and low latency', () => {
    const health = assessHealth({ task: 'regression', ...steady(100), outcomes: outcomes(60, 6) }, thresholds);
    expect(health).toMatchObject({
      status: 'HEALTHY',
      reasons: [],
      winRate: 0.6,
      calibrationError: null,
      longShort: { long: 50, short: 50, ratio: 1 },
      latency: { p50: 2, p99: 2 },
    });
    expect(health.rollingWinRate).toHaveLength(41);
  });

  it('is DEGRADED below min_win_rate and CRITICAL below critical_win_rate', () => {
    const degraded = assessHealth({ task: 'regression', ...steady(100), outcomes: outcomes(40, 4) }, thresholds);
    expect(degraded.status).toBe('DEGRADED');
    expect(degraded.reasons).toEqual(['win rate 0.400 over the latest 20 outcomes is below 0.45']);
    const critical = assessHealth({ task: 'regression', ...steady(100), outcomes: outcomes(40, 3) }, thresholds);
    expect(critical.status).toBe('CRITICAL');
    expect(critical.reasons).toEqual(['win rate 0.300 over the latest 20 outcomes is below the critical 0.35']);
  });

  it('judges only the latest window of outcomes', () => {
    const recovered = [...outcomes(40, 2), ...outcomes(20, 7)];
    const health = assessHealth({ task: 'regression', ...steady(100), outcomes: recovered }, thresholds);
    expect(health.winRate).toBe(0.7);
    expect(health.status).toBe('HEALTHY');
    expect(Math.min(...health.rollingWinRate)).toBe(0.2);
  });

  it('reports but does not judge figures resting on fewer than window_trades observations: INSUFFICIENT_DATA, with the counts', () => {
    const health = assessHealth(
      { task: 'regression', predictions: [0.1, 0.2, 0.3], latenciesMs: [500, 500, 500], outcomes: outcomes(10, 0) },
      thresholds,
    );
    expect(health).toMatchObject({
      status: 'INSUFFICIENT_DATA',
      reasons: ['10 of the 20 outcomes needed to judge the win rate (policy.health.window_trades)'],
      outcomesNeeded: 20,
      winRate: null,
      rollingWinRate: [],
      longShort: { long: 3, short: 0, ratio: null },
      latency: { p99: 500 },
    });
    expect(assessHealth({ task: 'regression', predictions: [], latenciesMs: [], outcomes: [] }, thresholds)).toMatchObject({
      status: 'INSUFFICIENT_DATA',
      reasons: ['0 of the 20 outcomes needed to judge the win rate (policy.health.window_trades)'],
    });
  });

  it('is DEGRADED, not INSUFFICIENT_DATA, when a figure that rests on enough predictions is out of bounds before the outcomes are', () => {
    const slow = assessHealth({ task: 'regression', ...steady(100, 80), outcomes: outcomes(5, 6) }, thresholds);
    expect(slow).toMatchObject({ status: 'DEGRADED', reasons: ['p99 latency 80.0 ms is above 50 ms'] });
  });

  it('is DEGRADED when the calls lean to one side or the p99 latency is too high', () => {
    const leaning = assessHealth(
      {
        task: 'regression',
        predictions: Array.from({ length: 100 }, (_, i) => (i < 90 ? 0.01 : -0.01)),
        latenciesMs: Array.from({ length: 100 }, (_, i) => (i < 98 ? 3 : 80)),
        outcomes: [],
      },
      thresholds,
    );
    expect(leaning.status).toBe('DEGRADED');
    expect(leaning.reasons).toEqual([
      '90.0% of the latest 100 directional calls are long (at most 80%)',
      'p99 latency 80.0 ms is above 50 ms',
    ]);
  });

  it('measures the calibration of a binary model on its labels', () => {
    // Says 0.9 but is right half the time: ECE 0.4.
    const overconfident: Outcome[] = Array.from({ length: 40 }, (_, i) => ({ prediction: 0.9, actual: i % 2 }));
    const health = assessHealth(
      { task: 'binary', predictions: Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.9 : 0.1)), latenciesMs: [1], outcomes: overconfident },
      thresholds,
    );
    expect(health.calibrationError).toBeCloseTo(0.4, 12);
    expect(health.status).toBe('DEGRADED');
    expect(health.reasons).toContain('expected calibration error 0.400 is above 0.15');
    expect(health.longShort).toMatchObject({ long: 20, short: 20 });
  });
});
