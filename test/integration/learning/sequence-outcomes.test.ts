/**
 * The outcomes of forecasts over real HTTP, with datasets in a real S3 bucket (s3rver): an N-HiTS model
 * trained on a SERIES dataset of log returns of stored bars (ACTIVE, and a second version as SHADOW)
 * forecasts with `asOf`; once the next horizon bars are ingested its outcome is filled in with their log
 * returns; recordOutcome takes a forecast's realised rows as `values` and refuses what does not fit,
 * writing nothing; and the shadow tester judges the SHADOW on the forecasts' losses over the horizon.
 */
import seedrandom from 'seedrandom';
import {
  CreateDatasetDocument,
  CreateMaterializedDatasetDocument,
  CreateRegisteredModelDocument,
  IngestBarsDocument,
  PredictDocument,
  SequenceOutcomeForecastBatchDocument,
  SequenceOutcomeForecastDocument,
  SequenceOutcomePredictionsDocument,
  SequenceOutcomeRecordDocument,
  ShadowEvaluationDocument,
  TrainModelDocument,
  UpdatePolicyPatchDocument,
  type BarInput,
  type RecordOutcomeInput,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';
import { FEATURES, trainingRows, trainVersion, until } from '../../helpers/learning';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../../helpers/s3rver';

jest.setTimeout(240_000);

let s3: RunningS3rver;
let t: TestApp;
const savedEnv = { ...process.env };

const L = 16;
const H = 4;
const NHITS = { input_length: L, horizon: H, max_epochs: 2, mlp_units: [16, 16], seed: 1 };

/** Daily closes of SEQ: a random walk with a slow cycle in its log returns. */
const BARS = 200;
const random = seedrandom('sequence-outcomes');
const closes: number[] = [100];
for (let i = 1; i < BARS; i++) closes.push(closes[i - 1] * Math.exp(0.01 * Math.sin(i / 5) + 0.004 * (random() - 0.5)));
/** Log return of bar i over bar i − 1, as the dataset computes it. */
const logReturn = (i: number) => Math.log(closes[i] / closes[i - 1]);
const time = (i: number) => new Date(Date.UTC(2023, 0, 1) + i * 86_400_000).toISOString();
/** The last bar of the training dataset. */
const LAST = 160;

function bar(i: number): BarInput {
  return {
    symbol: 'SEQ',
    timeframe: '1d',
    timestamp: time(i),
    open: closes[i],
    high: closes[i],
    low: closes[i],
    close: closes[i],
    volume: 1000,
  };
}

async function ingest(from: number, to: number): Promise<void> {
  const bars = Array.from({ length: to - from + 1 }, (_, k) => bar(from + k));
  dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars } }));
}

/** The model's input for a forecast at bar j: the log returns of the L bars up to j, oldest first (one channel). */
const historyAt = (j: number) => Array.from({ length: L }, (_, k) => [logReturn(j - L + 1 + k)]);
/** The realised rows of a forecast at bar j, as stored (float32). */
const realisedAt = (j: number) => Array.from({ length: H }, (_, h) => [Math.fround(logReturn(j + 1 + h))]);

async function count(sql: string): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${sql}`);
  return row.n;
}

async function predictionsOf(requestId: string) {
  return dataOf(await t.as('viewer')(SequenceOutcomePredictionsDocument, { filter: { model: 'seq', requestId } })).predictions.nodes;
}

async function train(activate: boolean, seed: number) {
  const { trainModel } = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model: 'seq',
        dataset: 'seq-returns',
        featureColumns: ['SEQ.close'],
        orderColumn: 'time',
        hyperparameters: { ...NHITS, seed },
        activate,
      },
    }),
  );
  const job = await waitForJob(t, trainModel.id, 120_000);
  expect({ status: job.status, error: job.error }).toEqual({ status: 'COMPLETED', error: null });
  return job.modelVersion!;
}

let v2: { id: string };

beforeAll(async () => {
  s3 = await startS3rver('kybernet-sequence-outcomes');
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  t = await startTestApp({ env: { S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_PREFIX: 'sequence-outcomes' } });
  dataOf(
    await t.as('operator')(UpdatePolicyPatchDocument, {
      // Verdicts only once every forecast below has its outcome; health never asks for a retraining here.
      patch: {
        auto_promote_threshold: { min_samples: 1000, max_samples: 2000 },
        health: { max_latency_p99_ms: 1e6 },
        // The SHADOW is a second seed of the same model, no better on validation: the shadow tester judges it here.
        promotion_gate: { enabled: false },
      },
    }),
  );
  await ingest(0, LAST);
  dataOf(
    await t.as('operator')(CreateMaterializedDatasetDocument, {
      input: {
        name: 'seq-returns',
        series: { symbols: ['SEQ'], timeframe: '1d', from: time(0), to: time(LAST), columns: ['CLOSE'], returns: true, returnKind: 'LOG' },
      },
    }),
  );
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'seq', family: 'nhits' } }));
  await train(true, 1);
  v2 = await train(false, 2);
});

afterAll(async () => {
  await t?.close();
  await s3?.stop();
  process.env = savedEnv;
});

describe('a forecast of a model trained on a SERIES dataset', () => {
  it('gets its outcome once the next horizon bars are ingested: their log returns, source SERIES', async () => {
    const forecast = dataOf(
      await t.as('trader')(SequenceOutcomeForecastDocument, {
        input: { model: 'seq', history: historyAt(LAST), asOf: time(LAST), requestId: 'at-last-bar' },
      }),
    ).forecast;
    expect(forecast).toMatchObject({ horizon: H, targets: ['SEQ.close'], modelVersion: { version: 1 } });
    expect(await count(`forecast_requests WHERE request_id = 'at-last-bar'`)).toBe(1);
    const logged = await until('the shadow to score the forecast', async () => {
      const nodes = await predictionsOf('at-last-bar');
      return nodes.length === 2 && nodes;
    });
    expect(logged.map((p) => [p.role, p.outcome])).toEqual(
      expect.arrayContaining([
        ['ACTIVE', null],
        ['SHADOW', null],
      ]),
    );

    // Three of the four horizon bars: not yet.
    await ingest(LAST + 1, LAST + H - 1);
    expect((await predictionsOf('at-last-bar')).map((p) => p.outcome)).toEqual([null, null]);
    expect(await count(`forecast_requests`)).toBe(1);
    await ingest(LAST + H, LAST + H);

    for (const prediction of await predictionsOf('at-last-bar')) {
      expect(prediction.outcome).toMatchObject({ source: 'SERIES', values: realisedAt(LAST), actual: realisedAt(LAST)[0][0] });
    }
    expect(await count(`forecast_requests`)).toBe(0);

    // Ingesting the same bars again changes nothing; recording the same rows is idempotent, other rows are a CONFLICT.
    const outcomeRow = () =>
      t.dataSource.query(`SELECT source, recorded_at, actuals::float8[] AS actuals FROM request_outcomes WHERE request_id = 'at-last-bar'`);
    const filled = await outcomeRow();
    await ingest(LAST + 1, LAST + H);
    expect(await outcomeRow()).toEqual(filled);
    expect(filled[0]).toMatchObject({ source: 'SERIES', actuals: realisedAt(LAST).flat() });
    const again = dataOf(
      await t.as('trader')(SequenceOutcomeRecordDocument, { input: { predictionId: forecast.id, values: realisedAt(LAST) } }),
    ).recordOutcome;
    expect(again.outcome).toMatchObject({ source: 'SERIES', values: realisedAt(LAST) });
    const conflict = errorOf(
      await t.as('trader')(SequenceOutcomeRecordDocument, {
        input: { predictionId: forecast.id, values: realisedAt(LAST).map(([v]) => [v + 0.01]) },
      }),
    );
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toContain('already has its realised rows (SERIES)');
  });

  it('is not filled in without asOf; recordOutcome takes its realised rows as values', async () => {
    const forecast = dataOf(
      await t.as('trader')(SequenceOutcomeForecastDocument, {
        input: { model: 'seq', history: historyAt(LAST - 10), requestId: 'recorded' },
      }),
    ).forecast;
    expect(await count(`forecast_requests`)).toBe(0);
    const values = [[0.01], [-0.02], [0.5], [1e-3]];
    const recorded = dataOf(
      await t.as('trader')(SequenceOutcomeRecordDocument, { input: { predictionId: forecast.id, values } }),
    ).recordOutcome;
    const stored = values.map(([v]) => [Math.fround(v)]);
    expect(recorded.outcome).toEqual({ actual: stored[0][0], values: stored, source: 'RECORDED' });
    const [row] = await t.dataSource.query(
      `SELECT actual, actuals::float8[] AS actuals FROM request_outcomes WHERE request_id = 'recorded'`,
    );
    expect(row).toEqual({ actual: stored[0][0], actuals: stored.flat() });
  });

  it('refuses values of another shape, beyond float32, actual for a forecast and values for any other prediction, writing nothing', async () => {
    const forecast = dataOf(
      await t.as('trader')(SequenceOutcomeForecastDocument, {
        input: { model: 'seq', history: historyAt(LAST - 20), requestId: 'refused' },
      }),
    ).forecast;
    dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'tabular', rows: trainingRows(200, 'tabular', (f) => f[0]) } }));
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'tabular', family: 'xgboost' } }));
    await trainVersion(t, 'tabular', 'tabular', { activate: true, seed: 1 });
    const tabular = dataOf(
      await t.as('trader')(PredictDocument, { input: { model: 'tabular', features: FEATURES.map(() => 0.5) } }),
    ).predict;

    const before = await count('request_outcomes');
    const refused = async (input: RecordOutcomeInput) => {
      const error = errorOf(await t.as('trader')(SequenceOutcomeRecordDocument, { input }));
      expect(error.code).toBe('BAD_USER_INPUT');
      return error.message;
    };
    const predictionId = forecast.id;
    expect(await refused({ predictionId, values: [[0.1], [0.2], [0.3]] })).toBe(
      "values: expects 4 rows (the forecast's horizon) of 1 value (SEQ.close), but got 3 rows",
    );
    expect(await refused({ predictionId, values: [[0.1], [0.2, 0.3], [0.3], [0.4]] })).toBe(
      'values[1]: expects 1 value (SEQ.close), but got 2',
    );
    expect(await refused({ predictionId, values: [[0.1], [0.2], [1e39], [0.4]] })).toBe(
      'values[2][0] (SEQ.close) expects a finite float32, but got 1e+39',
    );
    expect(await refused({ predictionId, actual: 0.1 })).toMatch(/^expects values for a forecast \(4 rows × SEQ\.close/);
    expect(await refused({ predictionId, actual: 0.1, values: [[0.1], [0.2], [0.3], [0.4]] })).toMatch(/but got both$/);
    expect(await refused({ predictionId })).toMatch(/but got neither$/);
    expect(await refused({ predictionId: tabular.id, values: [[0.1]] })).toMatch(/^expects actual for a regression model's prediction/);
    expect(await count('request_outcomes')).toBe(before);

    // forecastBatch takes one asOf per history.
    const predictions = await count('predictions');
    const batch = errorOf(
      await t.as('trader')(SequenceOutcomeForecastBatchDocument, {
        input: { model: 'seq', histories: [historyAt(LAST), historyAt(LAST - 1)], asOf: [time(LAST)] },
      }),
    );
    expect(batch).toMatchObject({ code: 'BAD_USER_INPUT', message: 'expects one asOf per history (2), but got 1' });
    expect(await count('predictions')).toBe(predictions);
    expect(await count('forecast_requests')).toBe(0);
  });
});

describe('the shadow tester on sequence versions', () => {
  it('judges the SHADOW on the forecasts’ losses over the horizon, request by request', async () => {
    // Ten more forecasts at bars whose next bars are not stored yet, scored by the shadow as well.
    const at = Array.from({ length: 10 }, (_, k) => LAST + H + 1 + k);
    dataOf(
      await t.as('trader')(SequenceOutcomeForecastBatchDocument, {
        input: { model: 'seq', histories: at.map(historyAt), asOf: at.map(time), requestId: 'batch' },
      }),
    );
    const judged = 12; // these, the forecast filled in from bars, and the recorded one
    await until(
      'the shadow to score every forecast',
      async () => (await count(`predictions WHERE role = 'SHADOW' AND model_version_id = '${v2.id}'`)) === 13,
    );
    dataOf(
      await t.as('operator')(UpdatePolicyPatchDocument, {
        patch: { auto_promote_threshold: { min_samples: judged, max_samples: judged } },
      }),
    );

    await ingest(LAST + H + 1, at[at.length - 1] + H);
    const [last] = await predictionsOf('batch:9');
    expect(last.outcome).toMatchObject({ source: 'SERIES', values: realisedAt(at[9]) });

    // At max_samples the rule gives PROMOTE or REJECT, and the tester acts on it.
    const evaluation = await until('a verdict on the shadow', async () => {
      const { shadowEvaluation } = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id }));
      return shadowEvaluation.outcome ? shadowEvaluation : null;
    });
    expect(['PROMOTE', 'REJECT']).toContain(evaluation.decision);
    expect(evaluation).toMatchObject({ samples: judged, lossName: 'squared_error' });

    // The losses by hand: per request, the mean squared error of each version's outputs against the realised rows.
    const { predictions } = dataOf(
      await t.as('viewer')(SequenceOutcomePredictionsDocument, { filter: { model: 'seq', hasOutcome: true } }),
    );
    const byVersion = (version: number) => predictions.nodes.filter((p) => p.modelVersion.version === version);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const errors = (version: number, error: (d: number) => number) =>
      byVersion(version).map((p) => mean(p.outputs.map((output, i) => error(output.value! - p.outcome!.values!.flat()[i]))));
    expect(byVersion(2)).toHaveLength(judged);
    const shadowLoss = mean(errors(2, (d) => d * d));
    const activeLoss = mean(errors(1, (d) => d * d));
    expect(evaluation.shadow!.meanLoss).toBeCloseTo(shadowLoss, 12);
    expect(evaluation.active!.meanLoss).toBeCloseTo(activeLoss, 12);
    expect(evaluation.shadow!.rmse).toBeCloseTo(Math.sqrt(shadowLoss), 12);
    expect(evaluation.shadow!.mae).toBeCloseTo(mean(errors(2, Math.abs)), 12);
    expect(evaluation.shadow).toMatchObject({ hitRate: null, meanReturn: null, sharpe: null, maxDrawdownPct: null });
    expect(evaluation.improvementPct).toBeCloseTo(((activeLoss - shadowLoss) / activeLoss) * 100, 8);
    expect(evaluation.test).toMatchObject({ method: 'diebold-mariano' });
    expect(evaluation.outcome).toBe(evaluation.decision === 'PROMOTE' ? 'PROMOTED' : 'REJECTED');
  });
});
