/**
 * evaluateModel of a sequence version over real HTTP: an N-HiTS version trained here on a small CSV
 * series is backtested with an expanding walk-forward of 3 folds over its window starts, and the pooled,
 * per-fold and per-step MSE of the report equal those recomputed here from forecastBatch answers on the
 * same windows. A dataset without the version's channels is refused with nothing queued.
 */
import seedrandom from 'seedrandom';
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  EvaluateModelDocument,
  ForecastBatchDocument,
  ForecastEvaluationDocument,
  TrainModelDocument,
  type EvaluateModelInput,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { countRows } from '../../helpers/learning';
import { waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';
import { validationFolds } from '../../../src/lib/validation-folds';
import { splitBoundaries } from '../../../src/plugins/base/sequence/windows';

jest.setTimeout(240_000);

const MODEL = 'fc-nhits';
const ROWS = 400;
const L = 16;
const H = 4;
const WINDOWS = ROWS - L - H + 1;
const NHITS = { input_length: L, horizon: H, max_epochs: 2, mlp_units: [16, 16], seed: 1, validation_fraction: 0.2, test_fraction: 0 };

/** Two hourly channels: a noisy sine, and a cosine that leans on it. */
const random = seedrandom('forecast-evaluation');
const SERIES = Array.from({ length: ROWS }, (_, i) => {
  const a = Math.sin(i / 8) + 0.1 * (random() - 0.5);
  return {
    time: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    a,
    b: Math.cos(i / 13) + 0.5 * a + 0.1 * (random() - 0.5),
  };
});

let t: TestApp;

const evaluateJobs = () => countRows(t, `SELECT 1 FROM jobs WHERE kind = 'EVALUATE'`);

const input = (patch: Partial<EvaluateModelInput> = {}): EvaluateModelInput => ({
  model: MODEL,
  version: 1,
  dataset: 'fc-waves',
  scheme: { kind: 'EXPANDING' as EvaluateModelInput['scheme']['kind'], folds: 3, resamples: 50, seed: 'fc' },
  ...patch,
});

beforeAll(async () => {
  t = await startTestApp();
  const csv = ['time,a,b', ...SERIES.map((r) => `${r.time},${r.a},${r.b}`)].join('\n');
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'fc-waves', csv } }));
  const partial = ['time,a', ...SERIES.map((r) => `${r.time},${r.a}`)].join('\n');
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'fc-partial', csv: partial } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: MODEL, family: 'nhits' } }));
  const { trainModel } = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model: MODEL,
        dataset: 'fc-waves',
        featureColumns: ['a', 'b'],
        targetColumns: ['b'],
        orderColumn: 'time',
        hyperparameters: NHITS,
        activate: true,
      },
    }),
  );
  const job = await waitForJob(t, trainModel.id, 180_000);
  expect({ status: job.status, error: job.error }).toEqual({ status: 'COMPLETED', error: null });
}, 240_000);

afterAll(async () => {
  await t?.close();
});

describe('evaluateModel of a sequence version', () => {
  it('backtests N-HiTS over its window starts: MSE per fold, pooled and per step equal those of its forecastBatch answers', async () => {
    const queued = dataOf(await t.as('operator')(EvaluateModelDocument, { input: input() })).evaluateModel;
    expect(queued).toMatchObject({ kind: 'EVALUATE', status: 'QUEUED' });
    const done = await waitForJob(t, queued.id, 120_000);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'COMPLETED', error: null });
    const evaluation = dataOf(await t.as('viewer')(ForecastEvaluationDocument, { jobId: queued.id })).evaluation;
    expect(evaluation).toMatchObject({ model: MODEL, version: 1, dataset: 'fc-waves' });
    const report = evaluation.report!;
    expect(report).toMatchObject({ task: 'forecast', rows: WINDOWS, resamples: 50, seed: 'fc', intervalRows: 0 });
    const forecast = report.forecast!;
    expect(forecast).toMatchObject({ inputLength: L, horizon: H, targets: ['b'], targetStdSource: 'training' });
    // The version's training std of b: population std over the training rows (float32, as the series holds them).
    const { trainEnd } = splitBoundaries(ROWS, NHITS.validation_fraction, NHITS.test_fraction);
    const train = SERIES.slice(0, trainEnd).map((r) => Math.fround(r.b));
    const mean = train.reduce((a, b) => a + b, 0) / train.length;
    const std = Math.sqrt(train.reduce((s, v) => s + (v - mean) ** 2, 0) / train.length);
    expect(forecast.targetStd[0]).toBeCloseTo(std, 4);
    const targetStd = forecast.targetStd[0];

    const histories = Array.from({ length: WINDOWS }, (_, s) => SERIES.slice(s, s + L).map((r) => [r.a, r.b]));
    const answers = dataOf(
      await t.as('trader')(ForecastBatchDocument, { input: { model: MODEL, histories, requestId: 'fc-eval' } }),
    ).forecastBatch;
    expect(answers).toHaveLength(WINDOWS);
    const errorAt = (s: number, h: number) => answers[s].values[h][0] - Math.fround(SERIES[s + L + h].b);

    /** MSE, MAE (standardised), the original-scale MSE and the per-step MSE of the windows `starts`. */
    const recompute = (starts: number[]) => {
      const step = Array.from({ length: H }, () => 0);
      let squared = 0;
      let absolute = 0;
      let original = 0;
      for (const s of starts) {
        for (let h = 0; h < H; h++) {
          const error = errorAt(s, h);
          squared += (error / targetStd) ** 2;
          absolute += Math.abs(error / targetStd);
          original += error * error;
          step[h] += (error / targetStd) ** 2;
        }
      }
      const cells = starts.length * H;
      return { mse: squared / cells, mae: absolute / cells, mseOriginal: original / cells, steps: step.map((v) => v / starts.length) };
    };
    const close = (got: number, expected: number) => expect(Math.abs(got - expected)).toBeLessThan(1e-5);

    const folds = validationFolds(WINDOWS, { kind: 'expanding', folds: 3, gap: 0 });
    expect(report.folds.map((fold) => [fold.testStart, fold.testEnd])).toEqual(folds.map((fold) => fold.test));
    expect(forecast.folds.map((fold) => [fold.testStart, fold.testEnd])).toEqual(folds.map((fold) => fold.test));
    const range = ([from, to]: number[]) => Array.from({ length: to - from }, (_, k) => from + k);
    for (const [i, fold] of folds.entries()) {
      const expected = recompute(range(fold.test));
      const got = forecast.folds[i];
      expect(got.windows).toBe(fold.test[1] - fold.test[0]);
      close(got.mse, expected.mse);
      close(got.mseOriginal, expected.mseOriginal);
      got.steps.forEach((step, h) => close(step.mse, expected.steps[h]));
      close(report.folds[i].metrics.find((m) => m.name === 'mse')!.value!, expected.mse);
    }
    const pooledStarts = folds.flatMap((fold) => range(fold.test));
    const expected = recompute(pooledStarts);
    const pooled = forecast.pooled;
    expect(pooled.windows).toBe(pooledStarts.length);
    close(pooled.mse, expected.mse);
    close(pooled.mae, expected.mae);
    close(pooled.mseOriginal, expected.mseOriginal);
    close(pooled.rmse, Math.sqrt(expected.mseOriginal));
    expect(pooled.steps.map((step) => step.step)).toEqual([1, 2, 3, 4]);
    pooled.steps.forEach((step, h) => close(step.mse, expected.steps[h]));

    // The segment's figures: mse and mae with a bootstrap interval around them; no trading figures for forecasts.
    const mse = report.pooled.metrics.find((m) => m.name === 'mse')!;
    close(mse.value!, expected.mse);
    expect(mse.lower!).toBeLessThanOrEqual(mse.value!);
    expect(mse.upper!).toBeGreaterThanOrEqual(mse.value!);
    expect(report.pooled.metrics.map((m) => m.name)).toEqual(['mse', 'mae', 'mse_original', 'mae_original', 'rmse']);
    expect(report.pooled.trading).toEqual([]);
    expect(report.pooled.tradingNote).toMatch(/no trading figures for forecasts/);
  });

  it('refuses a dataset without the version’s channels, naming the missing ones, and queues nothing', async () => {
    const before = await evaluateJobs();
    const error = errorOf(await t.as('operator')(EvaluateModelDocument, { input: input({ dataset: 'fc-partial' }) }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.field).toBe('featureColumns');
    expect(error.message).toMatch(/lacks input channels b/);
    expect(error.extensions?.missing).toEqual(['b']);
    const target = errorOf(await t.as('operator')(EvaluateModelDocument, { input: input({ targetColumn: 'b' }) }));
    expect(target).toMatchObject({ code: 'BAD_USER_INPUT', extensions: expect.objectContaining({ field: 'targetColumn' }) });
    expect(await evaluateJobs()).toBe(before);
  });
});
