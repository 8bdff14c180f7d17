import seedrandom from 'seedrandom';
import { DEFAULT_POLICY } from '../../../src/config/policy';
import { assessDrift, type DriftRule, severityRank } from '../../../src/monitoring/drift-assessment';
import { InvalidInputError } from '../../../src/lib/errors';
import type { Outcome } from '../../../src/monitoring/outcome-scoring';
import { summarizeReference } from '../../../src/lib/reference';

const rule: DriftRule = { ...DEFAULT_POLICY.drift_detection, critical_win_rate: DEFAULT_POLICY.health.critical_win_rate };

const { sqrt, log, cos, PI } = Math; // local: global lookups are slow inside jest's VM context

function normals(seed: string) {
  const random = seedrandom.alea(seed);
  return () => sqrt(-2 * log(1 - random())) * cos(2 * PI * random());
}

/** `rows` rows of `width` independent standard normal features (feature j scaled by 1 + j/10). */
function featureColumns(seed: string, rows: number, width: number, shift: (j: number) => number = () => 0): Float64Array[] {
  const normal = normals(seed);
  return Array.from({ length: width }, (_, j) =>
    Float64Array.from({ length: rows }, () => (1 + j / 10) * normal() + shift(j) * (1 + j / 10)),
  );
}

function referenceOf(columns: Float64Array[], extra: { predictions?: ArrayLike<number>; outcomes?: ArrayLike<number> } = {}) {
  const rows = columns[0].length;
  const width = columns.length;
  const features = new Float32Array(rows * width);
  columns.forEach((column, j) => column.forEach((value, r) => (features[r * width + j] = value)));
  return summarizeReference({ featureNames: columns.map((_, j) => `f${j}`), features, rows }, extra, { seed: 1 });
}

/** Outcomes whose direction the prediction calls right with probability `hitRate`. */
function outcomes(seed: string, count: number, hitRate: number): Outcome[] {
  const random = seedrandom(seed);
  return Array.from({ length: count }, () => {
    const prediction = random() < 0.5 ? 0.01 : -0.01;
    const magnitude = 0.005 + 0.02 * random();
    return { prediction, actual: (random() < hitRate ? 1 : -1) * Math.sign(prediction) * magnitude };
  });
}

describe('assessDrift on stable data', () => {
  it('raises no alarm over 64 features in 12 windows, where uncorrected 5% tests would', () => {
    const reference = referenceOf(featureColumns('train', 5000, 64));
    let uncorrected = 0;
    for (let seed = 0; seed < 12; seed++) {
      const assessment = assessDrift({ reference, features: featureColumns(`window-${seed}`, 2000, 64) }, rule);
      expect(assessment.severity).toBe('NONE');
      expect(assessment.driftedFeatures).toBe(0);
      expect(assessment.reasons).toEqual([]);
      uncorrected += assessment.distributions.filter((entry) => entry.pValue < 0.05).length;
    }
    // About 5% of 768 raw tests fall below 0.05 by chance: the correction and effect sizes are what keep them quiet.
    expect(uncorrected).toBeGreaterThan(15);
  });
});

describe('the severity rule', () => {
  const trainColumns = featureColumns('train', 10_000, 16);
  const reference = referenceOf(trainColumns);

  it('LOW: a small but significant shift of a few features', () => {
    const assessment = assessDrift({ reference, features: featureColumns('w1', 2000, 16, (j) => (j < 2 ? 0.4 : 0)) }, rule);
    expect(assessment.severity).toBe('LOW');
    expect(assessment.driftedFeatures).toBe(2);
    expect(assessment.majorFeatures).toBe(0);
    const shifted = assessment.distributions.filter((entry) => entry.drifted);
    expect(shifted.map((entry) => entry.name).sort()).toEqual(['f0', 'f1']);
    for (const entry of shifted) {
      expect(entry.adjustedPValue).toBeLessThan(0.05);
      expect(entry.psi).toBeLessThan(0.25);
    }
    expect(assessment.reasons[0]).toMatch(/^2 of 16 features shifted, 0 by PSI ≥ 0\.25: f[01] \(PSI 0\.\d+, KS 0\.\d+\)/);
  });

  it('MEDIUM: a major shift of some features', () => {
    const assessment = assessDrift({ reference, features: featureColumns('w2', 2000, 16, (j) => (j < 2 ? 1 : 0)) }, rule);
    expect(assessment).toMatchObject({ severity: 'MEDIUM', driftedFeatures: 2, majorFeatures: 2 });
  });

  it('HIGH: major shifts on at least high_feature_share of the features', () => {
    const assessment = assessDrift({ reference, features: featureColumns('w3', 2000, 16, (j) => (j < 4 ? 1 : 0)) }, rule);
    expect(assessment).toMatchObject({ severity: 'HIGH', majorFeatures: 4 });
    expect(
      assessDrift({ reference, features: featureColumns('w3', 2000, 16, (j) => (j < 4 ? 1 : 0)) }, { ...rule, high_feature_share: 0.3 })
        .severity,
    ).toBe('MEDIUM');
  });

  it('weighs effect size: a small shift on a large window is significant but not drift', () => {
    const big = referenceOf(featureColumns('train-big', 50_000, 4));
    const assessment = assessDrift({ reference: big, features: featureColumns('w4', 50_000, 4, (j) => (j === 0 ? 0.12 : 0)) }, rule);
    const f0 = assessment.distributions[0];
    expect(f0.adjustedPValue).toBeLessThan(0.05);
    expect(f0.drifted).toBe(false);
    expect(assessment.severity).toBe('NONE');
  });

  it('MEDIUM for a shift of the predictions, HIGH when it is major', () => {
    const normal = normals('p');
    const validation = Float64Array.from({ length: 2000 }, () => 0.01 * normal());
    const withPredictions = referenceOf(trainColumns, { predictions: validation });
    const stable = featureColumns('w5', 2000, 16);
    const moved = (delta: number) => Float64Array.from({ length: 2000 }, () => 0.01 * normal() + delta);
    expect(assessDrift({ reference: withPredictions, features: stable, predictions: moved(0.003) }, rule).severity).toBe('MEDIUM');
    const major = assessDrift({ reference: withPredictions, features: stable, predictions: moved(0.01) }, rule);
    expect(major.severity).toBe('HIGH');
    expect(major.reasons).toContainEqual(expect.stringMatching(/^predictions shifted \(PSI \d+\.\d+/));
  });

  it('HIGH when the win rate falls significantly below validation; CRITICAL below critical_win_rate', () => {
    const stable = featureColumns('w6', 2000, 16);
    const baseline = { hitRate: 0.6, meanLoss: 0.0004 };
    const high = assessDrift(
      { reference, features: stable, performance: { task: 'regression', outcomes: outcomes('o1', 400, 0.45), baseline } },
      rule,
    );
    expect(high.severity).toBe('HIGH');
    const winRate = high.performance.find((entry) => entry.metric === 'win_rate')!;
    expect(winRate).toMatchObject({ reference: 0.6, samples: 400, drifted: true });
    expect(winRate.current).toBeGreaterThan(0.4);
    expect(high.reasons[0]).toMatch(/^win_rate fell to 0\.4\d+ over 400 recent outcomes from 0\.6000 in validation/);
    // Small losses keep four significant digits, not four decimals ("0.0003" from "0.0000").
    const lossy = assessDrift(
      {
        reference,
        features: stable,
        performance: { task: 'regression', outcomes: outcomes('o3', 400, 0.6), baseline: { hitRate: 0.6, meanLoss: 0.00002 } },
      },
      rule,
    );
    expect(lossy.reasons.find((reason) => reason.startsWith('squared_error'))).toMatch(
      /^squared_error rose to 0\.000\d{4} over 400 recent outcomes from 0\.00002000 in validation/,
    );

    const critical = assessDrift(
      { reference, features: stable, performance: { task: 'regression', outcomes: outcomes('o2', 400, 0.25), baseline } },
      rule,
    );
    expect(critical.severity).toBe('CRITICAL');
    expect(critical.reasons[0]).toMatch(/^win rate 0\.2\d+ is below the critical 0\.35$/);

    const fine = assessDrift(
      { reference, features: stable, performance: { task: 'regression', outcomes: outcomes('o3', 400, 0.6), baseline } },
      rule,
    );
    expect(fine.severity).toBe('NONE');
  });

  it('judges the win rate against a validation hit rate from its own rows, not as an exact figure', () => {
    const stable = featureColumns('w6', 2000, 16);
    const normal = normals('v');
    // 100 validation rows: a hit rate of 0.6 there is 0.6 ± 0.05
    const withValidation = referenceOf(trainColumns, {
      predictions: Float64Array.from({ length: 100 }, () => normal()),
      outcomes: Float64Array.from({ length: 100 }, () => normal()),
    });
    // a win rate of 0.53 realised over 600 recent outcomes
    const performance = { task: 'regression' as const, outcomes: outcomes('o5', 600, 0.5), baseline: { hitRate: 0.6, meanLoss: null } };
    const estimated = assessDrift({ reference: withValidation, features: stable, performance }, rule);
    const winRate = estimated.performance[0];
    expect(winRate).toMatchObject({ metric: 'win_rate', samples: 600, effectiveSamples: 600, referenceSamples: 100, drifted: false });
    expect(winRate.current).toBeGreaterThan(0.5);
    expect(winRate.current).toBeLessThan(0.55);
    expect(winRate.pValue).toBeGreaterThan(0.05);
    expect(estimated.severity).toBe('NONE');
    const exact = assessDrift({ reference: withValidation, features: stable, performance }, rule, { validationSampleSize: false });
    expect(exact.performance[0]).toMatchObject({ referenceSamples: null, drifted: true });
    expect(exact.severity).toBe('HIGH');
    // 0.25 over 600 is far below 0.6 over 100 either way
    const failing = { ...performance, outcomes: outcomes('o6', 600, 0.25) };
    expect(assessDrift({ reference: withValidation, features: stable, performance: failing }, rule).severity).toBe('CRITICAL');
  });

  it('HIGH when the mean loss rises significantly by more than min_error_increase_pct', () => {
    const stable = featureColumns('w7', 2000, 16);
    const sample = outcomes('o4', 400, 0.6); // |actual| up to 0.025: mean squared error ≈ 3e-4 … 6e-4
    const meanLoss = sample.reduce((sum, { prediction, actual }) => sum + (prediction - actual) ** 2, 0) / sample.length;
    const assess = (baselineLoss: number) =>
      assessDrift(
        {
          reference,
          features: stable,
          performance: { task: 'regression', outcomes: sample, baseline: { hitRate: null, meanLoss: baselineLoss } },
        },
        rule,
      );
    const risen = assess(meanLoss / 2);
    expect(risen.severity).toBe('HIGH');
    expect(risen.performance).toEqual([
      expect.objectContaining({ metric: 'squared_error', current: expect.closeTo(meanLoss, 15), drifted: true }),
    ]);
    expect(assess(meanLoss / 1.1).severity).toBe('NONE'); // +10%: significant, below the 20% that matters
  });

  it('corrects with Bonferroni when the policy says so', () => {
    const features = featureColumns('w8', 2000, 16, (j) => (j < 2 ? 0.3 : 0));
    const bh = assessDrift({ reference, features }, rule);
    const bonferroni = assessDrift({ reference, features }, { ...rule, correction: 'bonferroni' });
    bonferroni.distributions.forEach((entry) => expect(entry.adjustedPValue).toBeCloseTo(Math.min(1, entry.pValue * 16), 12));
    bh.distributions.forEach((entry, i) =>
      expect(entry.adjustedPValue).toBeLessThanOrEqual(bonferroni.distributions[i].adjustedPValue + 1e-15),
    );
  });

  it('HIGH when a feature is missing in every recent row (the old rule skipped it); refuses a column count unlike the reference', () => {
    const features = featureColumns('w9', 500, 16);
    features[3] = new Float64Array(500).fill(NaN);
    const assessment = assessDrift({ reference, features }, rule);
    expect(assessment.severity).toBe('HIGH');
    expect(assessment.distributions.find((entry) => entry.name === 'f3')).toMatchObject({
      count: 0,
      missingShare: 1,
      referenceMissingShare: 0,
      missingRose: true,
      drifted: false,
      pValue: 1,
    });
    expect(assessment.reasons[0]).toBe('1 of 16 features missing in every recent row: f3 (0.0% missing in training)');
    expect(assessment.featureCount).toBe(16);
    const old = assessDrift({ reference, features }, rule, { dataQuality: false });
    expect(old.distributions.map((entry) => entry.name)).not.toContain('f3');
    expect(old.severity).toBe('NONE');
    expect(() => assessDrift({ reference, features: features.slice(1) }, rule)).toThrow(InvalidInputError);
  });

  it('orders severities', () => {
    expect(severityRank('NONE')).toBeLessThan(severityRank('LOW'));
    expect(severityRank('HIGH')).toBeLessThan(severityRank('CRITICAL'));
  });
});

describe('data quality', () => {
  const reference = referenceOf(featureColumns('train', 10_000, 16));

  it('MEDIUM when the missing share rises by more than max_missing_increase; not for a rise below it', () => {
    const features = featureColumns('q1', 2000, 16);
    features[2] = features[2].map((value, r) => (r % 5 === 0 ? NaN : value)); // 20% missing
    features[5] = features[5].map((value, r) => (r % 50 === 0 ? NaN : value)); // 2% missing: significant, too small to matter
    const assessment = assessDrift({ reference, features }, rule);
    expect(assessment.severity).toBe('MEDIUM');
    const f2 = assessment.distributions.find((entry) => entry.name === 'f2')!;
    expect(f2).toMatchObject({ count: 1600, missingShare: 0.2, referenceMissingShare: 0, missingRose: true, drifted: false });
    expect(f2.missingAdjustedPValue).toBeLessThan(1e-10);
    const f5 = assessment.distributions.find((entry) => entry.name === 'f5')!;
    expect(f5.missingPValue).toBeLessThan(0.05);
    expect(f5.missingRose).toBe(false);
    expect(assessment.reasons).toContainEqual(
      expect.stringMatching(/^missing share rose on 1 of 16 features: f2 \(20\.0% from 0\.0%, adjusted p = /),
    );
    expect(assessDrift({ reference, features }, { ...rule, max_missing_increase: 0.25 }).severity).toBe('NONE');
  });

  it('MEDIUM for a constant feature', () => {
    const features = featureColumns('q2', 2000, 16);
    features[7] = new Float64Array(2000).fill(0.1);
    const assessment = assessDrift({ reference, features }, rule);
    expect(assessment.distributions[7]).toMatchObject({ constant: true, autocorrelation: null });
    expect(assessment.severity).not.toBe('NONE');
    expect(severityRank(assessment.severity)).toBeGreaterThanOrEqual(severityRank('MEDIUM'));
    expect(assessment.reasons).toContainEqual('constant over the window while varying in training: f7');
  });

  it('LOW for values outside the training range beyond max_out_of_range_share, on their own', () => {
    const features = featureColumns('q3', 2000, 16);
    features[0] = features[0].map((value, r) => (r % 12 === 0 ? 100 : value)); // 8.3% far out
    const assessment = assessDrift({ reference, features }, rule);
    const f0 = assessment.distributions[0];
    expect(f0.outOfRangeShare).toBeCloseTo(167 / 2000, 3);
    expect(f0).toMatchObject({ outOfRange: true, drifted: false });
    expect(assessment.severity).toBe('LOW');
    expect(assessment.reasons).toEqual(['recent values outside the training range on more than 5.0% of rows: f0 (8.3%)']);
    expect(assessment.distributions[1]).toMatchObject({ outOfRange: false });
    expect(assessDrift({ reference, features }, { ...rule, max_out_of_range_share: 0.1 }).severity).toBe('NONE');
  });
});

describe('autocorrelated features', () => {
  /** `width` independent stationary AR(1) columns of unit variance. */
  function ar1Columns(seed: string, rows: number, width: number, rho: number): Float64Array[] {
    const normal = normals(seed);
    return Array.from({ length: width }, () => {
      let x = normal();
      return Float64Array.from({ length: rows }, () => (x = rho * x + sqrt(1 - rho * rho) * normal()));
    });
  }

  it('a stable AR(0.9) series raises no alarm with effective sample sizes, and alarms without them', () => {
    const reference = referenceOf(ar1Columns('ar-train', 5000, 4, 0.9));
    const alarms = { with: 0, without: 0, driftedWith: 0, driftedWithout: 0 };
    for (let seed = 0; seed < 10; seed++) {
      const features = ar1Columns(`ar-window-${seed}`, 2000, 4, 0.9);
      const assessment = assessDrift({ reference, features }, rule);
      const independent = assessDrift({ reference, features }, rule, { effectiveSampleSize: false });
      expect(severityRank(assessment.severity)).toBeLessThan(severityRank('HIGH'));
      if (assessment.severity !== 'NONE') alarms.with++;
      if (independent.severity !== 'NONE') alarms.without++;
      alarms.driftedWith += assessment.driftedFeatures;
      alarms.driftedWithout += independent.driftedFeatures;
      for (const entry of assessment.distributions) {
        expect(entry.autocorrelation).toBeCloseTo(0.9, 1);
        // 2000 · 0.1/1.9 ≈ 105; the reference's 2,000 of 5,000 rows: 1/(1/2000 − 1/5000 + 19/5000) ≈ 244
        expect(entry.effectiveCount).toBeGreaterThan(70);
        expect(entry.effectiveCount).toBeLessThan(150);
        expect(entry.referenceEffectiveCount).toBeGreaterThan(170);
        expect(entry.referenceEffectiveCount).toBeLessThan(340);
      }
    }
    // Counting every row as independent, some stable windows "drift".
    expect(alarms).toEqual({ with: 0, without: expect.any(Number), driftedWith: 0, driftedWithout: expect.any(Number) });
    expect(alarms.without).toBeGreaterThanOrEqual(3);
    expect(alarms.driftedWithout).toBeGreaterThanOrEqual(3);
  });

  it('a stable AR(0.98) series (a slow indicator) is HIGH without effective sample sizes, not with them', () => {
    const reference = referenceOf(ar1Columns('ar98-train', 5000, 4, 0.98));
    let highWithout = 0;
    for (let seed = 0; seed < 10; seed++) {
      const features = ar1Columns(`ar98-window-${seed}`, 2000, 4, 0.98);
      expect(severityRank(assessDrift({ reference, features }, rule).severity)).toBeLessThan(severityRank('HIGH'));
      if (severityRank(assessDrift({ reference, features }, rule, { effectiveSampleSize: false }).severity) >= severityRank('HIGH'))
        highWithout++;
    }
    expect(highWithout).toBeGreaterThanOrEqual(3);
  });

  it('still finds a real shift of an autocorrelated feature', () => {
    const reference = referenceOf(ar1Columns('ar-train', 5000, 4, 0.9));
    const features = ar1Columns('ar-shift', 2000, 4, 0.9).map((column, j) => (j < 2 ? column.map((value) => value + 2) : column));
    const assessment = assessDrift({ reference, features }, rule);
    expect(assessment.severity).toBe('HIGH');
    expect(assessment.distributions.filter((entry) => entry.major).map((entry) => entry.name)).toEqual(['f0', 'f1']);
  });

  it('leaves independent rows at their own counts', () => {
    const reference = referenceOf(featureColumns('train', 5000, 4));
    const assessment = assessDrift({ reference, features: featureColumns('iid', 2000, 4) }, rule);
    for (const entry of assessment.distributions) expect(entry).toMatchObject({ effectiveCount: 2000, referenceEffectiveCount: 2000 });
  });
});
