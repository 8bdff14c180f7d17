/**
 * The continuous-learning loop end to end, across processes: two API replicas (`kybernet serve
 * --no-worker`) and one `kybernet worker` share one Postgres and one artifact directory, and the test
 * talks to them only over HTTP and graphql-ws, as an orchestrator and an operator would.
 *
 * The market: src/lib/synthetic-factor-market.ts (seeded) — four factor signals of symbol SYN each
 * hour; in the VOLATILE regime the volatility factor shifts by +3σ and the return follows other
 * loadings, so a model of the CALM market is no better than a coin there.
 *
 * The story:
 *   1. paper trades in the CALM market (no model yet) become the trade-log dataset; version 1 learns
 *      price_return from it and is promoted;
 *   2. in the CALM market version 1 does well, and a drift check finds nothing;
 *   3. the regime changes; a drift check finds HIGH drift (the volatility shift and the fall of the win rate),
 *      whose response queues a FULL retraining, which the worker process runs: version 2 learns from
 *      the trade log rebuilt with the trades since, and is registered as a SHADOW;
 *   4. live trades give both versions outcomes; version 2 beats version 1 and is promoted automatically;
 *   5. an operator trains a deliberately worse candidate (on the CALM trades only); it is REJECTED;
 *   and a graphql-ws client of one replica receives the drift, job and promotion events in that order.
 *
 * Health answers (PARTIAL retraining on degradation) have their own test; here the policy's health
 * thresholds are set out of reach so that the drift path alone answers the regime change, and the
 * learning trigger's threshold so that no INCREMENTAL update joins in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckDriftDocument,
  CreateMaterializedDatasetDocument,
  CreateRegisteredModelDocument,
  EventsFeedDocument,
  JobDetailDocument,
  JobsDocument,
  ModelHealthDocument,
  ModelVersionsDocument,
  PredictDocument,
  ShadowEvaluationDocument,
  TrainModelDocument,
  UpdatePolicyPatchDocument,
  type EventsFeedSubscription,
} from '../../generated/graphql';
import { startTestApp } from '../../helpers/app';
import { createTestDatabase, type TestDatabase } from '../../helpers/database';
import { collect, dataOf, request, wsClient } from '../../helpers/graphql';
import { until } from '../../helpers/learning';
import { tradeFactorHour } from '../../helpers/factor-trades';
import { spawnServe, spawnWorker, stopAll, type KybernetProcess } from '../../helpers/processes';
import type { Role } from '../../../src/entities/api-key.entity';
import { FACTOR_NAMES, syntheticFactorMarket, type FactorRegime } from '../../../src/lib/synthetic-factor-market';

jest.setTimeout(600_000);

const MODEL = 'syn-next-hour';
const FEATURES = [...FACTOR_NAMES];
const START = Date.UTC(2025, 0, 6);
const HYPERPARAMETERS = { num_boost_round: 60, max_depth: 4, eta: 0.2, early_stopping_rounds: 0, refit_on_all_rows: true, seed: 1 };
const LOOP_EVENTS = [
  'drift.detected',
  'job.queued',
  'job.started',
  'job.completed',
  'shadow.promotion.recommended',
  'shadow.promoted',
  'shadow.rejected',
];

let db: TestDatabase;
let dataDir: string;
let keys: Record<Role, string>;
let replicas: KybernetProcess[];
let worker: KybernetProcess;
let calls = 0;
const nextHour = syntheticFactorMarket('kybernet:e2e');

/** Each request goes to the next replica in turn. */
function api(role: Role) {
  const replica = replicas[calls++ % replicas.length];
  return <TData, TVariables>(document: Parameters<typeof request<TData, TVariables>>[2], variables?: TVariables) =>
    request(replica.url, keys[role], document, variables);
}

/** One hour of the orchestrator: (with a model) predict and trade the sign, else go long; then close the trade an hour later. */
async function tradeHour(regime: FactorRegime, withModel: boolean) {
  const bar = nextHour(regime);
  const prediction = await tradeFactorHour(api, bar, withModel ? MODEL : null, { symbol: 'SYN', startMs: START, tradeIdPrefix: 'syn' });
  return { bar, prediction };
}

async function tradeHours(count: number, regime: FactorRegime, withModel: boolean) {
  const hours = [];
  for (let i = 0; i < count; i++) hours.push(await tradeHour(regime, withModel));
  return hours;
}

/** Trades `regime` hours in rounds of `round` until `done` holds (at most `max` hours). */
async function tradeUntil(
  what: string,
  regime: FactorRegime,
  done: () => Promise<boolean>,
  { round = 25, max = 600 } = {},
): Promise<number> {
  for (let traded = 0; traded < max; traded += round) {
    await tradeHours(round, regime, true);
    if (await done()) return traded + round;
  }
  throw new Error(`${what} did not happen within ${max} traded hours`);
}

const hitRate = (hours: Awaited<ReturnType<typeof tradeHours>>) =>
  hours.filter(({ bar, prediction }) => Math.sign(prediction!.value!) === Math.sign(bar.ret)).length / hours.length;

async function versions(status?: ('SHADOW' | 'ACTIVE' | 'REJECTED' | 'RETIRED')[]) {
  return dataOf(await api('viewer')(ModelVersionsDocument, { filter: { model: MODEL, status } })).modelVersions.nodes;
}

async function versionStatus(id: string) {
  return (await versions()).find((version) => version.id === id)?.status;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'kybernet-e2e-'));
  // An in-process app only to migrate the database and make the API keys; it stops before the loop runs.
  const setup = await startTestApp({ database: db, worker: false, env: { KYBERNET_DATA_DIR: dataDir } });
  keys = setup.keys;
  await setup.close();
  [replicas, worker] = await Promise.all([
    Promise.all([0, 1].map(() => spawnServe({ databaseUrl: db.url, dataDir, args: ['--no-worker'] }))),
    spawnWorker({ databaseUrl: db.url, dataDir }),
  ]);
  dataOf(
    await api('admin')(UpdatePolicyPatchDocument, {
      patch: {
        learning: { min_trades_for_update: 1_000_000 },
        health: {
          min_win_rate: 0.05,
          critical_win_rate: 0.01,
          max_calibration_error: 1,
          max_directional_bias: 1,
          max_latency_p99_ms: 10_000,
        },
      },
    }),
  );
  dataOf(
    await api('operator')(CreateRegisteredModelDocument, {
      input: { name: MODEL, family: 'xgboost', description: 'next-hour return of SYN from its factor signals' },
    }),
  );
}, 180_000);

afterAll(async () => {
  await stopAll();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it('detects the regime change, retrains on the worker, promotes the better shadow, rejects a worse one, and tells a subscriber in order', async () => {
  const subscriber = wsClient(replicas[0].wsUrl, keys.viewer);
  const loopEvents = collect(
    subscriber,
    EventsFeedDocument,
    { model: MODEL, types: LOOP_EVENTS, after: '0' },
    (items: EventsFeedSubscription[]) => items.some((item) => item.events.type === 'shadow.rejected'),
    540_000,
  );
  loopEvents.catch(() => undefined); // awaited at the end; a failure before then is reported by itself

  // 1. Paper trades in the calm market become the first training set.
  await tradeHours(400, 'CALM', false);
  dataOf(await api('operator')(CreateMaterializedDatasetDocument, { input: { name: 'syn-calm-trades', trades: { symbols: ['SYN'] } } }));
  const trained = dataOf(
    await api('operator')(TrainModelDocument, {
      input: {
        model: MODEL,
        dataset: 'syn-calm-trades',
        targetColumn: 'price_return',
        featureColumns: FEATURES,
        orderColumn: 'entry_time',
        hyperparameters: HYPERPARAMETERS,
        activate: true,
      },
    }),
  ).trainModel;
  const firstJob = await until(
    'version 1',
    async () => {
      const job = dataOf(await api('viewer')(JobDetailDocument, { id: trained.id })).job!;
      return job.status === 'COMPLETED' || job.status === 'FAILED' ? job : undefined;
    },
    120_000,
  );
  expect(firstJob).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 1, status: 'ACTIVE' } });

  // 2. Before the change version 1 does well, and nothing has drifted.
  const calm = await tradeHours(150, 'CALM', true);
  expect(calm.every(({ prediction }) => prediction!.modelVersion.version === 1)).toBe(true);
  expect(hitRate(calm)).toBeGreaterThan(0.8);
  const health = dataOf(await api('viewer')(ModelHealthDocument, { name: MODEL })).modelHealth;
  expect(health).toMatchObject({ status: 'HEALTHY', modelVersion: { version: 1 } });
  expect(health.winRate).toBeGreaterThan(0.7); // over its latest 50 outcomes (policy.health.window_trades)
  const calmCheck = dataOf(await api('operator')(CheckDriftDocument, { model: MODEL })).checkDrift;
  expect(calmCheck).toMatchObject({ severity: 'NONE', event: null });

  // 3. The regime changes: version 1 is now a coin, and a drift check sees it.
  const volatile = await tradeHours(150, 'VOLATILE', true);
  expect(hitRate(volatile)).toBeLessThan(0.65);
  const check = dataOf(await api('operator')(CheckDriftDocument, { model: MODEL })).checkDrift;
  expect(check.severity).toBe('HIGH');
  expect(check.event).toMatchObject({ severity: 'HIGH', response: 'FULL_RETRAINING' });
  expect(check.reasons.join('\n')).toMatch(/volatility/);
  const fullJobs = dataOf(await api('viewer')(JobsDocument, { filter: { kind: ['FULL'] } })).jobs.nodes;
  expect(fullJobs).toHaveLength(1);
  const [retraining] = fullJobs;
  const retrained = await until(
    'the FULL retraining',
    async () => {
      const job = dataOf(await api('viewer')(JobDetailDocument, { id: retraining.id })).job!;
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status) ? job : undefined;
    },
    180_000,
  );
  expect(retrained).toMatchObject({ status: 'COMPLETED', trigger: 'DRIFT', modelVersion: { version: 2, status: 'SHADOW' } });
  expect(retrained.workerId).toBe(`${hostname()}:${worker.pid}`); // the worker process, not an API replica
  const shadowId = retrained.modelVersion!.id;

  // 4. Live outcomes judge version 2 against version 1; it is promoted without a person.
  const hoursToPromotion = await tradeUntil(
    'the promotion of version 2',
    'VOLATILE',
    async () => (await versionStatus(shadowId)) === 'ACTIVE',
  );
  expect(hoursToPromotion).toBeLessThanOrEqual(600);
  const verdict = dataOf(await api('viewer')(ShadowEvaluationDocument, { modelVersionId: shadowId })).shadowEvaluation;
  expect(verdict).toMatchObject({ decision: 'PROMOTE', outcome: 'PROMOTED' });
  // refit on all rows, it learned the new regime
  expect(verdict.shadow!.hitRate!).toBeGreaterThan(Math.max(0.65, verdict.active!.hitRate!));
  expect(verdict.improvementPct!).toBeGreaterThanOrEqual(verdict.thresholds.minImprovementPct);
  expect((await versions(['ACTIVE'])).map((version) => version.version)).toEqual([2]);
  expect((await versions(['RETIRED'])).map((version) => version.version)).toEqual([1]);
  const served = dataOf(await api('trader')(PredictDocument, { input: { model: MODEL, features: nextHour('VOLATILE').features } })).predict;
  expect(served.modelVersion.version).toBe(2);

  // 5. A deliberately worse candidate (the calm market's data only) is rejected on live outcomes.
  const worse = dataOf(
    await api('operator')(TrainModelDocument, {
      input: {
        model: MODEL,
        dataset: 'syn-calm-trades',
        targetColumn: 'price_return',
        featureColumns: FEATURES,
        orderColumn: 'entry_time',
        hyperparameters: { ...HYPERPARAMETERS, seed: 2 },
        activate: false,
      },
    }),
  ).trainModel;
  const worseJob = await until(
    'the worse candidate',
    async () => {
      const job = dataOf(await api('viewer')(JobDetailDocument, { id: worse.id })).job!;
      return job.status === 'COMPLETED' || job.status === 'FAILED' ? job : undefined;
    },
    120_000,
  );
  expect(worseJob).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 3, status: 'SHADOW' } });
  const hoursToRejection = await tradeUntil(
    'the rejection of version 3',
    'VOLATILE',
    async () => (await versionStatus(worseJob.modelVersion!.id)) === 'REJECTED',
  );
  const rejection = dataOf(await api('viewer')(ShadowEvaluationDocument, { modelVersionId: worseJob.modelVersion!.id })).shadowEvaluation;
  expect(rejection).toMatchObject({ decision: 'REJECT', outcome: 'REJECTED' });
  expect((await versions(['ACTIVE'])).map((version) => version.version)).toEqual([2]);

  // The subscriber saw the loop in order: drift, the retraining job, the promotion, the rejection.
  const seen = (await loopEvents).map((item) => item.events);
  const position = (type: string, where: (event: (typeof seen)[number]) => boolean = () => true) => {
    const index = seen.findIndex((event) => event.type === type && where(event));
    if (index < 0) throw new Error(`no ${type} event among ${seen.map((event) => event.type).join(', ')}`);
    return index;
  };
  const ofRetraining = (event: (typeof seen)[number]) => event.jobId === retraining.id;
  const order = [
    position('drift.detected'),
    position('job.queued', ofRetraining),
    position('job.started', ofRetraining),
    position('job.completed', ofRetraining),
    position('shadow.promotion.recommended'),
    position('shadow.promoted'),
    position('shadow.rejected'),
  ];
  expect(order).toEqual([...order].sort((a, b) => a - b));
  expect(seen.filter((event) => event.type === 'shadow.promoted')).toHaveLength(1);
  await subscriber.dispose();
  console.info(
    [
      `version 1 hit rate: ${hitRate(calm).toFixed(3)} calm, ${hitRate(volatile).toFixed(3)} after the change; drift: ${check.reasons.join('; ')}`,
      `version 2 promoted after ${hoursToPromotion} hours: ${verdict.samples} outcomes, ` +
        `hit rate ${verdict.shadow!.hitRate!.toFixed(3)} vs ${verdict.active!.hitRate!.toFixed(3)}, ` +
        `loss ${verdict.improvementPct!.toFixed(1)}% lower, DM p = ${verdict.test!.pValue.toExponential(1)}`,
      `version 3 rejected after ${hoursToRejection} hours: ${rejection.reasons.join('; ')}`,
    ].join('\n'),
  );
});
