/**
 * False drift alarms on a real market. An XGBoost model of the next day's return on the product's bars
 * features (market/features: returns, vol_20, RSI, MACD, Bollinger, ATR, …) is trained on an early
 * stretch of SPY daily bars, with the reference summary training stores; then it predicts one row a
 * day, and the drift check runs every day over the following stable years, as the service would (the
 * latest policy.drift_detection.window predictions, newest first, and their realised returns, at the
 * default policy) — once by the rule before (every row an independent observation, a feature without
 * values skipped, the validation figures taken as exact: `assessDrift(…, { effectiveSampleSize: false,
 * dataQuality: false, validationSampleSize: false })`) and once by the rule now (effective sample
 * sizes, data quality, the validation figures as estimates from their rows). Counted per calendar year: checks, and the
 * checks whose drift would be recorded as HIGH or CRITICAL (each would queue a FULL retraining).
 * The model is not retrained in between: each check judges the same version. The reference is what
 * the tabular base stores: the training rows without the validation tail (the last 20 %), whose
 * predictions and outcomes are the reference of the model's outputs. Stable years: 2006, 2014, 2016–2017
 * (no 2008, 2011 or 2020); the last scenario, trained on the turbulent 2010–2011, is a contrast.
 *
 *   KYBERNET_SHARED=../shared node -r @swc-node/register bench/drift-false-alarms.ts
 */
import { createReadStream } from 'node:fs';
import { DEFAULT_POLICY } from '../src/config/policy';
import { type Bar, readBarBatches } from '../src/lib/bars';
import { assessDrift, type DriftAssessment, type DriftOptions, type DriftRule, severityRank } from '../src/monitoring/drift-assessment';
import { validationBaseline } from '../src/monitoring/outcome-scoring';
import { computeFeatures, FEATURE_NAMES, WARMUP_BARS } from '../src/market/features';
import { forwardReturns } from '../src/market/labels';
import { xgboostFamily } from '../src/plugins/xgboost';
import { sharedPath } from '../test/helpers/shared';
import { printTable, type Row, writeResults } from './lib/report';
import { runBench } from './lib/entry';

interface Scenario {
  name: string;
  /** Training (and reference) rows: bars in [trainFrom, trainTo], the label realised by trainTo. */
  trainFrom: string;
  trainTo: string;
  /** Daily predictions and checks from monitorFrom to monitorTo (stable years). */
  monitorFrom: string;
  monitorTo: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'train 2004–2005, check 2006',
    trainFrom: '2004-01-01',
    trainTo: '2005-12-31',
    monitorFrom: '2006-01-01',
    monitorTo: '2006-12-31',
  },
  {
    name: 'train 2012–2013, check 2014',
    trainFrom: '2012-01-01',
    trainTo: '2013-12-31',
    monitorFrom: '2014-01-01',
    monitorTo: '2014-12-31',
  },
  {
    name: 'train 2013–2015, check 2016–2017',
    trainFrom: '2013-01-01',
    trainTo: '2015-12-31',
    monitorFrom: '2016-01-01',
    monitorTo: '2017-12-31',
  },
  // A contrast: trained on a turbulent stretch (the 2010 flash crash, the 2011 downgrade), checked on calm years.
  {
    name: 'train 2010–2011, check 2012–2014',
    trainFrom: '2010-01-01',
    trainTo: '2011-12-31',
    monitorFrom: '2012-01-01',
    monitorTo: '2014-12-31',
  },
];

const MODES: { label: string; options: DriftOptions }[] = [
  {
    label: 'before (independent rows, exact baselines)',
    options: { effectiveSampleSize: false, dataQuality: false, validationSampleSize: false },
  },
  { label: 'now (effective sizes, data quality, validation size)', options: {} },
];

const rule: DriftRule = { ...DEFAULT_POLICY.drift_detection, critical_win_rate: DEFAULT_POLICY.health.critical_win_rate };
const { window, min_samples: minSamples } = DEFAULT_POLICY.drift_detection;

async function loadSpy(): Promise<Bar[]> {
  const bars: Bar[] = [];
  for await (const batch of readBarBatches(createReadStream(sharedPath('data', 'market', 'SPY_D.csv')), {
    symbol: 'SPY',
    timeframe: '1d',
  })) {
    bars.push(...batch);
  }
  return bars;
}

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const yearOf = (timestamp: number) => new Date(timestamp).getUTCFullYear();

/** What made a check HIGH or worse, in the rule's words. */
function highCauses(assessment: DriftAssessment): string[] {
  const out: string[] = [];
  for (const entry of assessment.performance) if (entry.drifted) out.push(entry.metric);
  if (assessment.distributions.some((entry) => entry.kind === 'prediction' && entry.major)) out.push('predictions');
  if (assessment.majorFeatures > 0 && assessment.majorFeatures >= rule.high_feature_share * assessment.featureCount) out.push('features');
  if (assessment.distributions.some((entry) => entry.kind === 'feature' && entry.count === 0)) out.push('missing feature');
  return out;
}

/** Every finding of a check (for the JSON): shifted distributions and the data-quality findings, by name. */
function findings(assessment: DriftAssessment): string[] {
  const out: string[] = [];
  for (const entry of assessment.performance) if (entry.drifted) out.push(entry.metric);
  for (const entry of assessment.distributions) {
    const name = entry.kind === 'feature' ? entry.name : `${entry.kind}s`;
    if (entry.drifted) out.push(`${entry.major ? 'major shift' : 'shift'} ${name}`);
    if (entry.missingRose) out.push(`missing ${name}`);
    if (entry.constant) out.push(`constant ${name}`);
    if (entry.outOfRange) out.push(`out of range ${name}`);
  }
  return out;
}

async function runScenario(bars: Bar[], scenario: Scenario) {
  const matrix = computeFeatures(bars);
  const labels = forwardReturns(bars, 1);
  const width = FEATURE_NAMES.length;
  const [trainFrom, trainTo, monitorFrom, monitorTo] = [scenario.trainFrom, scenario.trainTo, scenario.monitorFrom, scenario.monitorTo].map(
    day,
  );
  const trainRows: number[] = [];
  const monitorRows: number[] = [];
  bars.forEach((bar, t) => {
    if (t < WARMUP_BARS) return;
    const labelTime = t + 1 < bars.length ? bars[t + 1].timestamp : Infinity;
    if (bar.timestamp >= trainFrom && labelTime <= trainTo + 86_400_000 - 1) trainRows.push(t);
    if (bar.timestamp >= monitorFrom && bar.timestamp <= monitorTo + 86_400_000 - 1) monitorRows.push(t);
  });
  const rowsOf = (rows: number[]) => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((t, r) => out.set(matrix.values.subarray(t * width, (t + 1) * width), r * width));
    return out;
  };
  const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed: 1, threads: 2 };
  const trained = await xgboostFamily.train(
    {
      kind: 'tabular',
      featureNames: [...FEATURE_NAMES],
      features: rowsOf(trainRows),
      target: Float32Array.from(trainRows, (t) => labels[t]),
      rows: trainRows.length,
    },
    xgboostFamily.hyperparameters.parse({}),
    ctx,
  );
  const reference = trained.reference!;
  const predictor = await xgboostFamily.load(trained.artifact);
  const predictions = await predictor.predict(rowsOf(monitorRows), monitorRows.length);
  await predictor.dispose();
  const baseline = validationBaseline('regression', trained.metrics);

  type Tally = {
    checks: number;
    LOW: number;
    MEDIUM: number;
    HIGH: number;
    CRITICAL: number;
    /** Checks HIGH or worse by what made them so. */
    causes: Record<string, number>;
    /** Checks with each finding, at any severity. */
    findings: Record<string, number>;
  };
  const tallies = MODES.map(() => new Map<number, Tally>());
  const started = performance.now();
  // The check of day i: predictions 0..i are logged; outcomes are realised for 0..i−1 (the next close).
  for (let i = minSamples - 1; i < monitorRows.length; i++) {
    const from = Math.max(0, i + 1 - window);
    const recent = monitorRows.slice(from, i + 1).reverse(); // newest first, as the service reads them
    const features = FEATURE_NAMES.map((_, j) => Float64Array.from(recent, (t) => matrix.values[t * width + j]));
    const recentPredictions = Float64Array.from({ length: recent.length }, (_, k) => predictions[i - k]);
    const withOutcomes = Math.min(i, window); // predictions i−1, i−2, … have their outcome
    const measured: Parameters<typeof assessDrift>[0] = { reference, features, predictions: recentPredictions };
    if (withOutcomes >= minSamples) {
      const newestFirst = Array.from({ length: withOutcomes }, (_, k) => ({
        prediction: predictions[i - 1 - k],
        actual: labels[monitorRows[i - 1 - k]],
      }));
      measured.outcomes = Float64Array.from(newestFirst, (pair) => pair.actual);
      measured.performance = { task: 'regression', outcomes: newestFirst.reverse(), baseline };
    }
    const year = yearOf(bars[monitorRows[i]].timestamp);
    MODES.forEach((mode, m) => {
      const assessment = assessDrift(measured, rule, mode.options);
      const tally = tallies[m].get(year) ?? { checks: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0, causes: {}, findings: {} };
      tally.checks++;
      if (assessment.severity !== 'NONE') tally[assessment.severity]++;
      if (severityRank(assessment.severity) >= severityRank('HIGH')) {
        for (const cause of highCauses(assessment)) tally.causes[cause] = (tally.causes[cause] ?? 0) + 1;
      }
      for (const finding of findings(assessment)) tally.findings[finding] = (tally.findings[finding] ?? 0) + 1;
      tallies[m].set(year, tally);
    });
  }
  return {
    trainRows: trainRows.length,
    monitorRows: monitorRows.length,
    metrics: trained.metrics,
    seconds: (performance.now() - started) / 1000,
    modes: MODES.map((mode, m) => ({ mode: mode.label, years: Object.fromEntries(tallies[m]) })),
  };
}

async function main(): Promise<void> {
  const bars = await loadSpy();
  const results: Record<string, unknown> = {};
  const rows: Row[] = [];
  for (const scenario of SCENARIOS) {
    const result = await runScenario(bars, scenario);
    results[scenario.name] = { ...scenario, ...result };
    for (const { mode, years } of result.modes) {
      for (const [year, tally] of Object.entries(years)) {
        rows.push({
          scenario: scenario.name,
          rule: mode,
          year,
          checks: tally.checks,
          LOW: tally.LOW,
          MEDIUM: tally.MEDIUM,
          'HIGH+CRITICAL': tally.HIGH + tally.CRITICAL,
          'HIGH by': Object.entries(tally.causes)
            .map(([cause, count]) => `${cause} ${count}`)
            .join(', '),
        });
      }
    }
    console.log(
      `${scenario.name}: ${result.trainRows} training rows, ${result.monitorRows} daily checks in ${result.seconds.toFixed(0)} s; validation ${JSON.stringify(result.metrics)}`,
    );
  }
  printTable(
    `SPY daily, drift check every trading day at the default policy (window ${window}, min_samples ${minSamples}): checks per year by severity`,
    rows,
  );
  console.log(`\nwrote ${writeResults('drift-false-alarms', { policy: DEFAULT_POLICY.drift_detection, scenarios: results })}`);
}

runBench(main);
