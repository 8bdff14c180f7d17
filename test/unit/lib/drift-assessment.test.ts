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

  it('skips features with no recent values and refuses a column count that does not match the reference', () => {
    const features = featureColumns('w9', 500, 16);
    features[3] = new Float64Array(500).fill(NaN);
    expect(assessDrift({ reference, features }, rule).distributions.map((entry) => entry.name)).not.toContain('f3');
    expect(() => assessDrift({ reference, features: features.slice(1) }, rule)).toThrow(InvalidInputError);
  });

  it('orders severities', () => {
    expect(severityRank('NONE')).toBeLessThan(severityRank('LOW'));
    expect(severityRank('HIGH')).toBeLessThan(severityRank('CRITICAL'));
  });
});
