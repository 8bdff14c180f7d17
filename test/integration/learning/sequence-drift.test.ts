/**
 * Drift and health of a sequence model over real HTTP and Postgres: a tiny N-HiTS trained on a CSV
 * series, activated, then forecast over HTTP. checkDrift compares each input channel (the newest row
 * of each request's window) with its training distribution, the forecasts and outcomes with the
 * validation ones, and each forecast's loss over its horizon with the validation loss; modelHealth
 * judges the loss. Quiet on histories like the training series; the one channel shifted by ten
 * standard deviations is the one flagged; realised rows far from the forecasts raise the loss.
 * Outcomes arrive as recordOutcome's `values` (a forecast's realised rows), which also refreshes the
 * model's health, as for any model.
 */
import seedrandom from 'seedrandom';
import { sampleStandardDeviation } from 'simple-statistics';
import {
  CancelJobDocument,
  CheckDriftDocument,
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  ForecastHealthDocument,
  MonitoredForecastsDocument,
  MonitoredVersionDocument,
  RecordOutcomeDocument,
  TrainModelDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { waitForJob } from '../../helpers/fixtures';
import { dataOf } from '../../helpers/graphql';
import { until } from '../../helpers/learning';

// One tiny N-HiTS training (a few seconds) and a thousand forecasts.
jest.setTimeout(240_000);

const L = 16;
const H = 4;
const NHITS = { input_length: L, horizon: H, max_epochs: 2, mlp_units: [16, 16], seed: 1 };
const CHANNELS = ['a', 'b', 'c'];
const PERIODS = [24, 30, 50];
const TRAINING_ROWS = 400;

/** Hourly rows of three channels: sines of their own periods plus seeded noise. */
function series(rows: number, seed: string): number[][] {
  const random = seedrandom(seed);
  return Array.from({ length: rows }, (_, t) => PERIODS.map((period) => Math.sin((2 * Math.PI * t) / period) + 0.3 * (random() - 0.5)));
}

const SERIES = series(TRAINING_ROWS + 1200, 'sequence-drift');
const TRAINING = SERIES.slice(0, TRAINING_ROWS);
const csv = [
  ['time', ...CHANNELS].join(','),
  ...TRAINING.map((row, t) => [new Date(Date.UTC(2024, 0, 1) + t * 3_600_000).toISOString(), ...row].join(',')),
].join('\n');

interface LiveWindow {
  history: number[][];
  /** The realised next H rows × channels. */
  realised: number[][];
}

/** `count` consecutive windows of the series after the training rows, from `start` on; `shift` is added to the history's channels. */
function windows(start: number, count: number, shift: number[] = [0, 0, 0]): LiveWindow[] {
  return Array.from({ length: count }, (_, i) => {
    const first = TRAINING_ROWS + start + i;
    return {
      history: SERIES.slice(first, first + L).map((row) => row.map((value, c) => value + shift[c])),
      realised: SERIES.slice(first + L, first + L + H),
    };
  });
}

let t: TestApp;
let modelId: string;
beforeAll(async () => {
  // No worker: the retraining drift and health ask for stays QUEUED (a short-lived replica trains the version).
  t = await startTestApp({ worker: false });
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'sines', csv } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'sines-nhits', family: 'nhits' } }));
  // Latency is not under test (a loaded machine must not turn health DEGRADED).
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { health: { max_latency_p99_ms: 1e6 } } }));
  const replica = await startTestApp({ database: t.db, env: { KYBERNET_DATA_DIR: t.dataDir } });
  try {
    const job = dataOf(
      await replica.as('operator')(TrainModelDocument, {
        input: {
          model: 'sines-nhits',
          dataset: 'sines',
          featureColumns: CHANNELS,
          orderColumn: 'time',
          hyperparameters: NHITS,
          activate: true,
        },
      }),
    ).trainModel;
    const done = await waitForJob(replica, job.id, 180_000);
    if (done.status !== 'COMPLETED') throw new Error(`training sines-nhits: ${done.status} ${done.error}`);
  } finally {
    await replica.close();
  }
  [{ id: modelId }] = await t.dataSource.query(`SELECT id FROM registered_models WHERE name = 'sines-nhits'`);
});
afterAll(async () => {
  await t?.close();
});

const check = async () => dataOf(await t.as('operator')(CheckDriftDocument, { model: 'sines-nhits' })).checkDrift;
const health = async () => dataOf(await t.as('viewer')(ForecastHealthDocument, { name: 'sines-nhits' })).modelHealth;
const setWindow = async (window: number) =>
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { drift_detection: { window } } }));

/** Forecasts the windows over HTTP (one forecastBatch); returns the prediction ids. */
async function forecast(live: LiveWindow[], requestId: string): Promise<string[]> {
  const answers = dataOf(
    await t.as('trader')(MonitoredForecastsDocument, { input: { model: 'sines-nhits', histories: live.map((w) => w.history), requestId } }),
  ).forecastBatch;
  expect(answers).toHaveLength(live.length);
  return answers.map((answer) => answer.id);
}

/** recordOutcome for each forecast, with its realised rows (`values`). */
async function recordRealised(predictionIds: string[], realised: number[][][]): Promise<void> {
  for (const [i, predictionId] of predictionIds.entries())
    dataOf(await t.as('trader')(RecordOutcomeDocument, { input: { predictionId, values: realised[i] } }));
}

describe('a drift check and the health of a sequence model', () => {
  it('says clearly that there is nothing to compare before any forecast, and reports health as lacking data', async () => {
    expect(await check()).toMatchObject({
      severity: 'NONE',
      windowRows: 0,
      outcomeRows: 0,
      distributions: [],
      event: null,
      reasons: ['only 0 recent forecasts of version 1; a check needs 50 (policy drift_detection.min_samples)'],
    });
    expect(await health()).toMatchObject({
      status: 'INSUFFICIENT_DATA',
      reasons: ['0 of the 50 forecasts with realised rows needed to judge the loss (policy.health.window_trades)'],
      winRate: null,
      meanLoss: null,
      predictionCount: 0,
    });
  });

  it('finds no drift in forecasts of the same series, their realised rows meeting the validation loss', async () => {
    const calm = windows(0, 300);
    await recordRealised(
      await forecast(calm, 'calm'),
      calm.map((w) => w.realised),
    );
    const result = await check();
    expect(result).toMatchObject({ severity: 'NONE', windowRows: 300, outcomeRows: 300, event: null, reasons: [] });
    expect(result.distributions.map((entry) => [entry.kind, entry.name, entry.count, entry.drifted])).toEqual([
      ['feature', 'a', 300, false],
      ['feature', 'b', 300, false],
      ['feature', 'c', 300, false],
      ['prediction', 'prediction', 300, false],
      ['outcome', 'outcome', 300, false],
    ]);
    // The loss of each forecast over its whole horizon, against the validation MSE of the same horizon.
    const version = dataOf(await t.as('viewer')(MonitoredVersionDocument, { id: result.modelVersion.id })).modelVersion;
    const metrics = version.metrics as Record<string, number>;
    expect(result.performance).toEqual([
      expect.objectContaining({
        metric: 'squared_error',
        reference: expect.closeTo(metrics.mse_original, 6),
        samples: 300,
        drifted: false,
      }),
    ]);

    expect(await health()).toMatchObject({
      status: 'HEALTHY',
      reasons: [],
      outcomesNeeded: 50,
      winRate: null,
      rollingWinRate: [],
      longShort: null,
      calibrationError: null,
      validationLoss: expect.closeTo(metrics.mse_original, 6),
      windowOutcomes: 300,
      outcomeCount: 300,
      predictionCount: 300,
    });
  });

  it('flags the one channel whose histories moved ten standard deviations, and not the others', async () => {
    const sigma = sampleStandardDeviation(TRAINING.map((row) => row[1]));
    await forecast(windows(300, 300, [0, 10 * sigma, 0]), 'shifted');
    await setWindow(300); // only the shifted forecasts
    const result = await check();
    const features = result.distributions.filter((entry) => entry.kind === 'feature');
    expect(features.map((entry) => [entry.name, entry.drifted])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ]);
    const b = features[1];
    expect(b.ksStatistic).toBeGreaterThan(0.99);
    expect(b.psi).toBeGreaterThan(0.25);
    expect(b.adjustedPValue).toBeLessThan(0.05);
    for (const other of [features[0], features[2]]) {
      expect(other.ksStatistic).toBeLessThan(0.1);
      expect(other.psi).toBeLessThan(0.1);
    }
    // A major shift of one of three channels is at least high_feature_share (0.25) of them: HIGH, answered by a FULL retraining.
    expect(result.severity).toBe('HIGH');
    expect(result.reasons).toContainEqual(
      expect.stringMatching(/^1 of 3 features shifted, 1 by PSI ≥ 0\.25: b \(PSI \d+\.\d+, KS 1\.000\)$/),
    );
    expect(result.event).toMatchObject({ severity: 'HIGH', response: 'FULL_RETRAINING', featureCount: 3, driftedFeatures: 1 });
    for (const job of result.event!.retrainingJobs) dataOf(await t.as('operator')(CancelJobDocument, { id: job.id }));
  });

  it('grades forecasts whose realised rows are far from them as a loss drift, and their health DEGRADED', async () => {
    const missed = windows(600, 100);
    // The world moved after these forecasts: every realised value is 2 higher than the series went on.
    await recordRealised(
      await forecast(missed, 'missed'),
      missed.map((w) => w.realised.map((row) => row.map((value) => value + 2))),
    );
    await setWindow(100);
    const result = await check();
    expect(result.distributions.filter((entry) => entry.kind === 'feature').every((entry) => !entry.drifted)).toBe(true);
    expect(result.outcomeRows).toBe(100);
    const loss = result.performance.find((entry) => entry.metric === 'squared_error')!;
    expect(loss).toMatchObject({ samples: 100, drifted: true });
    expect(loss.current).toBeGreaterThan(3);
    // A loss finding of a model without a win rate is HIGH (CRITICAL needs a failing win rate).
    expect(result.severity).toBe('HIGH');
    expect(result.reasons[0]).toMatch(/^squared_error rose to \d+\.\d+ over 100 recent outcomes from 0\.\d+ in validation/);

    const degraded = await health();
    expect(degraded.status).toBe('DEGRADED');
    expect(degraded.meanLoss).toBeGreaterThan(3);
    expect(degraded.reasons[0]).toMatch(/^mean forecast loss \d+\.\d+ over the latest 50 outcomes is \d+\.\d% above the validation loss/);

    // The refresh that the recorded outcomes set off records the status and reports the worsening once.
    const reported = await until('model.performance.degraded', async () => {
      const events = await t.dataSource.query(`SELECT payload FROM events WHERE type = 'model.performance.degraded' AND model_name = $1`, [
        'sines-nhits',
      ]);
      return events.length > 0 && events;
    });
    expect(reported.map((row: { payload: { from: string; status: string } }) => [row.payload.from, row.payload.status])).toEqual([
      ['HEALTHY', 'DEGRADED'],
    ]);
    const [state] = await t.dataSource.query(`SELECT status FROM model_health_states WHERE registered_model_id = $1`, [modelId]);
    expect(state.status).toBe('DEGRADED');
  });
});
