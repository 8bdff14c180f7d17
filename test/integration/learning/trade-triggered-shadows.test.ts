/**
 * Trade-triggered updates leave few shadows: 100 closed trades with the learning trigger at 10 queue ten
 * INCREMENTAL updates of a model trained on its trade log, and at most shadow_testing.max_shadows SHADOW
 * versions remain — each update supersedes the one before it. With the default gate the ten updates of
 * 10 trades each are judged on too few held-out rows to pass, so none scores live traffic at all; with
 * the gate off the superseding alone keeps one.
 */
import {
  CreateMaterializedDatasetDocument,
  CreateRegisteredModelDocument,
  TrainModelDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { waitForJob } from '../../helpers/fixtures';
import { dataOf } from '../../helpers/graphql';
import { until } from '../../helpers/learning';
import { tradeFactorHour } from '../../helpers/factor-trades';
import { FACTOR_NAMES, syntheticFactorMarket } from '../../../src/lib/synthetic-factor-market';

jest.setTimeout(400_000);

const FEATURES = [...FACTOR_NAMES];
const START = Date.UTC(2025, 0, 6);
const HYPERPARAMETERS = { num_boost_round: 30, max_depth: 3, eta: 0.2, early_stopping_rounds: 0, update_rounds: 5, seed: 1 };

let t: TestApp;
const nextHour = syntheticFactorMarket('kybernet:trade-triggered-shadows');

/** One hour of the orchestrator: predict with `model` (when given), trade its sign, close an hour later. */
const tradeHour = (model: string | null) =>
  tradeFactorHour(t.as, nextHour('CALM'), model, { symbol: 'SYN', startMs: START, tradeIdPrefix: 'tts' });

async function statuses(model: string): Promise<Record<string, number>> {
  const rows: { status: string; n: number }[] = await t.dataSource.query(
    `SELECT v.status, count(*)::int AS n FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id
      WHERE m.name = $1 GROUP BY v.status`,
    [model],
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

/** A model trained on the trade log so far, then 100 trades on its predictions; waits for the ten updates they trigger. */
async function hundredTradesOn(model: string): Promise<string[]> {
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: model, family: 'xgboost' } }));
  const trained = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model,
        dataset: 'tts-trades',
        targetColumn: 'price_return',
        featureColumns: FEATURES,
        orderColumn: 'entry_time',
        hyperparameters: HYPERPARAMETERS,
        activate: true,
      },
    }),
  ).trainModel;
  expect(await waitForJob(t, trained.id, 120_000)).toMatchObject({ status: 'COMPLETED', modelVersion: { status: 'ACTIVE' } });
  for (let i = 0; i < 100; i++) await tradeHour(model);
  const jobs = await until('ten INCREMENTAL jobs', async () => {
    const rows: { id: string }[] = await t.dataSource.query(
      `SELECT j.id FROM jobs j JOIN registered_models m ON m.id = j.registered_model_id
        WHERE m.name = $1 AND j.kind = 'INCREMENTAL' AND j.trigger = 'TRADES' ORDER BY j.created_at`,
      [model],
    );
    return rows.length >= 10 ? rows.map((row) => row.id) : null;
  });
  for (const id of jobs) expect(await waitForJob(t, id, 120_000)).toMatchObject({ status: 'COMPLETED', error: null });
  return jobs;
}

beforeAll(async () => {
  t = await startTestApp({ policy: { learning: { min_trades_for_update: 10 } } });
  for (let i = 0; i < 300; i++) await tradeHour(null);
  dataOf(await t.as('operator')(CreateMaterializedDatasetDocument, { input: { name: 'tts-trades', trades: { symbols: ['SYN'] } } }));
});
afterAll(async () => {
  await t?.close();
});

it('with the default gate: ten updates of 10 trades each, none scoring live traffic', async () => {
  const jobs = await hundredTradesOn('tts-gated');
  expect(jobs).toHaveLength(10);
  expect(await statuses('tts-gated')).toEqual({ ACTIVE: 1, REJECTED: 10 });
  const [gate] = await t.dataSource.query(
    `SELECT v.gate FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id
      WHERE m.name = 'tts-gated' AND v.status = 'REJECTED' ORDER BY v.version LIMIT 1`,
  );
  expect(gate.gate.reasons[0]).toMatch(/below promotion_gate.min_rows \(30\)/);
});

it('with the gate off: each update supersedes the one before, leaving one SHADOW', async () => {
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { promotion_gate: { enabled: false } } }));
  await hundredTradesOn('tts-ungated');
  const counts = await statuses('tts-ungated');
  expect(counts).toEqual({ ACTIVE: 1, SHADOW: 1, SUPERSEDED: 9 });
});
