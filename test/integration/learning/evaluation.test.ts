/**
 * evaluateModel over real HTTP: an xgboost version trained here is backtested with an expanding
 * walk-forward of 3 folds as an EVALUATE job, and `evaluation(jobId)` returns the typed report, whose
 * figures equal those recomputed here from predictBatch answers on the same rows. Bad requests are
 * refused with their code and field, and queue nothing.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  EvaluateModelDocument,
  EvaluationDocument,
  PredictBatchDocument,
  TrainModelDocument,
  type EvaluateModelInput,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { countRows } from '../../helpers/learning';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';
import { backtest } from '../../../src/monitoring/backtest';
import { directionalAccuracy, mae, r2, rmse } from '../../../src/lib/metrics';
import { signStrategy, tradingMetrics } from '../../../src/lib/trading-metrics';
import { linearQuantileSorted } from '../../../src/lib/stats/quantile-bins';
import { validationFolds } from '../../../src/lib/validation-folds';

const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const MODEL = 'evaluated';
const ROWS = 600;
/** The synthetic targets scaled to returns of a few per cent, so that the sign strategy's returns are simple returns. */
const rows: Record<string, number | null>[] = syntheticRows(ROWS, 7).map((row) => ({ ...row, y: row.y === null ? null : row.y * 0.1 }));

let t: TestApp;

const evaluateJobs = () => countRows(t, `SELECT 1 FROM jobs WHERE kind = 'EVALUATE'`);

const input = (patch: Partial<EvaluateModelInput> = {}): EvaluateModelInput => ({
  model: MODEL,
  version: 1,
  dataset: 'eval-rows',
  scheme: { kind: 'EXPANDING' as EvaluateModelInput['scheme']['kind'], folds: 3, gap: 2, resamples: 100, seed: 'it' },
  ...patch,
});

beforeAll(async () => {
  t = await startTestApp();
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'eval-rows', rows } }));
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'eval-partial', rows: rows.map(({ t: time, f0, f1 }) => ({ t: time, f0, f1 })) },
    }),
  );
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: MODEL, family: 'xgboost' } }));
  const job = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model: MODEL,
        dataset: 'eval-rows',
        targetColumn: 'y',
        featureColumns: FEATURES,
        orderColumn: 't',
        hyperparameters: { num_boost_round: 30, max_depth: 3, seed: 1 },
        activate: true,
      },
    }),
  ).trainModel;
  expect((await waitForJob(t, job.id, 120_000)).status).toBe('COMPLETED');
  // A sequence version without its sequence shape, as its row reads (evaluateModel refuses it before it would load anything).
  const [model] = await t.dataSource.query(`INSERT INTO registered_models (name, family) VALUES ('forecaster', 'nhits') RETURNING id`);
  await t.dataSource.query(
    `INSERT INTO model_versions (registered_model_id, version, status, source, family, feature_names, signature)
     VALUES ($1, 1, 'SHADOW', 'IMPORTED', 'nhits', '["close"]', $2)`,
    [model.id, JSON.stringify({ task: 'forecast', inputWidth: 8, outputs: ['close@1'], allowsMissing: false })],
  );
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('evaluateModel', () => {
  it('backtests a version with an expanding walk-forward: the figures equal those of its predictBatch answers', async () => {
    const queued = dataOf(await t.as('operator')(EvaluateModelDocument, { input: input() })).evaluateModel;
    expect(queued).toMatchObject({ kind: 'EVALUATE', status: 'QUEUED' });
    const done = await waitForJob(t, queued.id, 120_000);
    expect(done.status).toBe('COMPLETED');
    const evaluation = dataOf(await t.as('viewer')(EvaluationDocument, { jobId: queued.id })).evaluation;
    expect(evaluation).toMatchObject({ model: MODEL, version: 1, dataset: 'eval-rows', job: { status: 'COMPLETED' } });
    const report = evaluation.report!;
    expect(report).toMatchObject({ task: 'regression', rows: ROWS, resamples: 100, seed: 'it', confidence: 0.95 });

    const answers = dataOf(
      await t.as('trader')(PredictBatchDocument, { input: { model: MODEL, rows: rows.map((row) => FEATURES.map((f) => row[f])) } }),
    ).predictBatch;
    const predictions = answers.map((answer) => answer.value as number);
    // The job scores the dataset's labels as float32, as every training set holds them.
    const labels = rows.map((row) => Math.fround(row.y!));
    const folds = validationFolds(ROWS, { kind: 'expanding', folds: 3, gap: 2 });
    expect(report.folds.map((fold) => [fold.testStart, fold.testEnd])).toEqual(folds.map((fold) => fold.test));

    const figure = (list: { name: string; value?: number | null }[], name: string) => list.find((e) => e.name === name)!.value!;
    for (const [i, fold] of folds.entries()) {
      const p = predictions.slice(...fold.test);
      const y = labels.slice(...fold.test);
      const scored = report.folds[i];
      expect(scored.rows).toBe(fold.test[1] - fold.test[0]);
      expect(figure(scored.metrics, 'rmse')).toBeCloseTo(rmse(p, y), 9);
      expect(figure(scored.metrics, 'mae')).toBeCloseTo(mae(p, y), 9);
      expect(figure(scored.metrics, 'r2')).toBeCloseTo(r2(p, y)!, 9);
      expect(figure(scored.metrics, 'directional_accuracy')).toBeCloseTo(directionalAccuracy(p, y)!, 9);
    }
    const testRows = folds.flatMap((fold) => Array.from({ length: fold.test[1] - fold.test[0] }, (_, k) => fold.test[0] + k));
    const p = testRows.map((r) => predictions[r]);
    const y = testRows.map((r) => labels[r]);
    expect(figure(report.pooled.metrics, 'rmse')).toBeCloseTo(rmse(p, y), 9);
    const strategy = signStrategy(p, y);
    const trading = tradingMetrics(strategy.returns, { positions: strategy.positions });
    expect(figure(report.pooled.trading, 'sharpe')).toBeCloseTo(trading.sharpe!, 6);
    expect(figure(report.pooled.trading, 'max_drawdown')).toBeCloseTo(trading.maxDrawdown, 9);
    expect(figure(report.pooled.trading, 'var_95')).toBeCloseTo(trading.var95, 9);
    expect(figure(report.pooled.trading, 'es_99')).toBeCloseTo(trading.es99, 9);
    expect(figure(report.pooled.trading, 'hit_rate')).toBeCloseTo(trading.hitRate!, 9);
    expect(figure(report.pooled.trading, 'turnover')).toBeCloseTo(trading.turnover!, 9);

    // Intervals from the residuals of the first fold's train rows.
    const [trainStart, trainEnd] = folds[0].train[0];
    const residuals = Float64Array.from(
      { length: trainEnd - trainStart },
      (_, k) => labels[trainStart + k] - predictions[trainStart + k],
    ).sort();
    expect(report.intervalRows).toBe(trainEnd - trainStart);
    for (const level of report.pooled.calibration.coverage) {
      const low = linearQuantileSorted(residuals, (1 - level.level) / 2);
      const high = linearQuantileSorted(residuals, (1 + level.level) / 2);
      expect(level.lowerOffset).toBeCloseTo(low, 9);
      expect(level.upperOffset).toBeCloseTo(high, 9);
      const inside = p.filter((q, k) => y[k] - q >= low && y[k] - q <= high).length / p.length;
      expect(level.coverage.value).toBeCloseTo(inside, 9);
      expect(level.coverage.lower!).toBeLessThanOrEqual(level.coverage.upper!);
    }
    expect(report.pooled.calibration.pit.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);

    // The intervals too: the pure backtest of the same answers with the same settings gives the same report.
    const expected = backtest({ task: 'regression', predictions, labels, folds, bootstrap: { resamples: 100, seed: 'it' } });
    for (const [name, estimate] of expected.pooled.metrics.concat(expected.pooled.trading).map((e) => [e.name, e] as const)) {
      const got = [...report.pooled.metrics, ...report.pooled.trading].find((e) => e.name === name)!;
      for (const key of ['value', 'lower', 'upper'] as const) {
        if (estimate[key] === null) expect(got[key]).toBeNull();
        else expect(got[key]).toBeCloseTo(estimate[key]!, 6);
      }
    }
  }, 180_000);

  it('refuses a dataset without the version’s features or label, naming the missing columns, and queues nothing', async () => {
    const before = await evaluateJobs();
    const error = errorOf(await t.as('operator')(EvaluateModelDocument, { input: input({ dataset: 'eval-partial' }) }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.field).toBe('featureColumns');
    expect(error.message).toMatch(/lacks features f2, f3; label y/);
    expect(error.extensions?.missing).toEqual(['f2', 'f3', 'y']);
    expect(await evaluateJobs()).toBe(before);
  });

  it('refuses a scheme whose folds are too small with validationFolds’ message and the field', async () => {
    const before = await evaluateJobs();
    const error = errorOf(
      await t.as('operator')(EvaluateModelDocument, {
        input: input({ scheme: { kind: 'EXPANDING' as EvaluateModelInput['scheme']['kind'], folds: 60 } }),
      }),
    );
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.field).toBe('scheme.folds');
    expect(error.message).toMatch(/^scheme\.folds expects folds of at least 10 test rows, but 60 folds over the 300 test rows/);
    const unused = errorOf(
      await t.as('operator')(EvaluateModelDocument, {
        input: input({ scheme: { kind: 'HOLDOUT' as EvaluateModelInput['scheme']['kind'], gap: 3 } }),
      }),
    );
    expect(unused).toMatchObject({ code: 'BAD_USER_INPUT', extensions: expect.objectContaining({ field: 'scheme.gap' }) });
    expect(await evaluateJobs()).toBe(before);
  });

  it('refuses an unknown version or model as NOT_FOUND', async () => {
    const before = await evaluateJobs();
    const version = errorOf(await t.as('operator')(EvaluateModelDocument, { input: input({ version: 99 }) }));
    expect(version).toMatchObject({ code: 'NOT_FOUND', extensions: expect.objectContaining({ field: 'version' }) });
    expect(version.message).toMatch(/has no version 99/);
    const model = errorOf(await t.as('operator')(EvaluateModelDocument, { input: input({ model: 'nobody' }) }));
    expect(model).toMatchObject({ code: 'NOT_FOUND', extensions: expect.objectContaining({ field: 'model' }) });
    expect(await evaluateJobs()).toBe(before);
  });

  it('refuses a sequence version without a sequence shape (forecast-evaluation.test.ts backtests a trained one)', async () => {
    const before = await evaluateJobs();
    const error = errorOf(await t.as('operator')(EvaluateModelDocument, { input: input({ model: 'forecaster' }) }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: expect.objectContaining({ field: 'version' }) });
    expect(error.message).toMatch(/expects a sequence shape \(input length, horizon, channels\), but version 1 of "forecaster" keeps none/);
    expect(await evaluateJobs()).toBe(before);
  });

  it('is an operator mutation', async () => {
    const error = errorOf(await t.as('trader')(EvaluateModelDocument, { input: input() }));
    expect(error.code).toBe('FORBIDDEN');
  });
});
