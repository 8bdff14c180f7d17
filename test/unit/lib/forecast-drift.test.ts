import seedrandom from 'seedrandom';
import { DEFAULT_POLICY } from '../../../src/config/policy';
import { InvalidInputError } from '../../../src/lib/errors';
import { summarizeReference } from '../../../src/lib/reference';
import { assessDrift, type DriftRule } from '../../../src/monitoring/drift-assessment';
import { latestObservations } from '../../../src/monitoring/forecast-drift';
import { forecastValidationLoss } from '../../../src/monitoring/outcome-scoring';

const rule: DriftRule = { ...DEFAULT_POLICY.drift_detection, critical_win_rate: DEFAULT_POLICY.health.critical_win_rate };
const CHANNELS = ['a', 'b', 'c'];

const { sqrt, log, cos, PI } = Math; // local: global lookups are slow inside jest's VM context

function normals(seed: string) {
  const random = seedrandom.alea(seed);
  return () => sqrt(-2 * log(1 - random())) * cos(2 * PI * random());
}

/** `steps` rows × CHANNELS of a series: channel c is a sine of its own period plus noise, offset by `shift[c]`. */
function series(seed: string, steps: number, shift: number[] = [0, 0, 0]): Float64Array {
  const normal = normals(seed);
  const values = new Float64Array(steps * CHANNELS.length);
  for (let t = 0; t < steps; t++)
    CHANNELS.forEach((_, c) => (values[t * CHANNELS.length + c] = Math.sin((2 * PI * t) / (20 + 7 * c)) + 0.3 * normal() + shift[c]));
  return values;
}

/** Every window of `length` rows over the series, sliding one row at a time (as consecutive forecast requests do). */
function slidingWindows(values: Float64Array, length: number): Float64Array[] {
  const C = CHANNELS.length;
  const steps = values.length / C;
  return Array.from({ length: steps - length + 1 }, (_, start) => values.subarray(start * C, (start + length) * C));
}

describe('latestObservations', () => {
  it("takes each window's last row, one value per channel, in the reference's order", () => {
    // L = 3, C = 2, time-major: a0 b0 a1 b1 a2 b2.
    const windows = [Float32Array.of(1, 10, 2, 20, 3, 30), Float32Array.of(2, 20, 3, 30, 4, 40)];
    const [b, a] = latestObservations(windows, ['a', 'b'], ['b', 'a']);
    expect(Array.from(a)).toEqual([3, 4]);
    expect(Array.from(b)).toEqual([30, 40]);
  });

  it('counts each observation of overlapping windows once, where pooling every row would count it L times', () => {
    const values = series('overlap', 100);
    const windows = slidingWindows(values, 16);
    const columns = latestObservations(windows, CHANNELS, CHANNELS);
    CHANNELS.forEach((_, c) => {
      const observed = Array.from({ length: 100 - 15 }, (_, i) => values[(15 + i) * CHANNELS.length + c]);
      expect(Array.from(columns[c])).toEqual(observed);
    });
  });

  it('gives a reference channel the windows do not have a column of missing values, which the check reports as stopped arriving', () => {
    const windows = slidingWindows(series('missing', 40), 16);
    const [gone] = latestObservations(windows, CHANNELS, ['d']);
    expect(gone.every(Number.isNaN)).toBe(true);
    const reference = summarizeReference({ featureNames: ['d'], features: Float32Array.of(1, 2, 3), rows: 3 });
    const assessment = assessDrift({ reference, features: [gone] }, rule);
    expect(assessment.distributions).toEqual([expect.objectContaining({ name: 'd', count: 0, missingShare: 1, missingRose: true })]);
    expect(assessment.severity).toBe('HIGH');
  });

  it('refuses a window that is not whole rows of the channels, naming it', () => {
    expect(() => latestObservations([Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(1, 2, 3, 4)], CHANNELS, CHANNELS)).toThrow(
      new InvalidInputError('windows expects whole rows of 3 channels (a, b, c), but window 1 has 4 values', { field: 'windows' }),
    );
  });
});

describe('a drift assessment of forecasts', () => {
  const training = series('train', 3000);
  const reference = summarizeReference({ featureNames: CHANNELS, features: Float32Array.from(training), rows: 3000 }, {}, { seed: 1 });

  it('finds nothing on windows of the training distribution, and flags only the channel shifted by 10 standard deviations', () => {
    const calm = assessDrift(
      { reference, features: latestObservations(slidingWindows(series('live', 415), 16), CHANNELS, CHANNELS) },
      rule,
    );
    expect(calm).toMatchObject({ severity: 'NONE', featureCount: 3, driftedFeatures: 0, reasons: [] });

    const std = reference.features[1].std;
    const shifted = series('live', 415, [0, 10 * std, 0]);
    const assessment = assessDrift({ reference, features: latestObservations(slidingWindows(shifted, 16), CHANNELS, CHANNELS) }, rule);
    expect(assessment.distributions.map((entry) => [entry.name, entry.count, entry.drifted, entry.major])).toEqual([
      ['a', 400, false, false],
      ['b', 400, true, true],
      ['c', 400, false, false],
    ]);
    const b = assessment.distributions[1];
    expect(b.ksStatistic).toBeGreaterThan(rule.min_ks_statistic);
    expect(b.psi).toBeGreaterThan(rule.major_psi);
    // One major shift of three channels is at least high_feature_share (0.25) of them.
    expect(assessment.severity).toBe('HIGH');
    expect(assessment.reasons[0]).toMatch(/^1 of 3 features shifted, 1 by PSI ≥ 0\.25: b \(PSI \d+\.\d+, KS 1\.000\)$/);
  });

  it('grades a forecast loss well above validation HIGH (a forecast has no win rate, so never CRITICAL), and a loss like validation not at all', () => {
    const features = latestObservations(slidingWindows(series('loss', 415), 16), CHANNELS, CHANNELS);
    const normal = normals('losses');
    const losses = Float64Array.from({ length: 300 }, () => 0.1 * normal() ** 2); // mean ≈ 0.1
    const assess = (validationLoss: number | null) =>
      assessDrift({ reference, features, performance: { task: 'forecast', losses, validationLoss } }, rule);

    const risen = assess(0.05);
    expect(risen.severity).toBe('HIGH');
    expect(risen.performance).toEqual([expect.objectContaining({ metric: 'squared_error', reference: 0.05, samples: 300, drifted: true })]);
    expect(risen.reasons[0]).toMatch(/^squared_error rose to 0\.\d+ over 300 recent outcomes from 0\.05000 in validation/);

    const steady = assess(0.1);
    expect(steady.severity).toBe('NONE');
    expect(steady.performance).toEqual([expect.objectContaining({ metric: 'squared_error', drifted: false })]);
    // Without a validation loss there is nothing to judge the loss against: no performance test.
    expect(assess(null).performance).toEqual([]);
  });
});

describe('forecastValidationLoss', () => {
  it('is the original-scale validation MSE, or rmse² where only that is stored', () => {
    expect(forecastValidationLoss({ mse: 0.9, mse_original: 0.25, rmse: 0.5 })).toBe(0.25);
    expect(forecastValidationLoss({ rmse: 0.5 })).toBe(0.25);
    expect(forecastValidationLoss({})).toBeNull();
  });
});
