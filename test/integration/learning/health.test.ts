/**
 * Model health over real HTTP and Postgres: modelHealth from a trained version's live predictions and
 * recorded outcomes, and a change for the worse reported once (model.performance.degraded) and
 * answered with one PARTIAL retraining, however many processes re-assess it.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  EventsDocument,
  ModelHealthDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';
import {
  countRows,
  liveRequests,
  predictRequests,
  recordOutcomes,
  signal,
  trainingRows,
  trainOnReplica,
  until,
} from '../../helpers/learning';

// Each test trains XGBoost versions and records hundreds of outcomes over HTTP.
jest.setTimeout(180_000);

let t: TestApp;
beforeAll(async () => {
  // No worker: the PARTIAL retraining health queues stays QUEUED for the test to read.
  t = await startTestApp({ worker: false });
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'market', rows: trainingRows(1000, 'market', (f, noise) => signal(f) + noise) },
    }),
  );
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { health: { window_trades: 20, max_latency_p99_ms: 1e6 } } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'hl', family: 'xgboost' } }));
  await trainOnReplica(t, 'hl', 'market', { activate: true, seed: 1 });
});
afterAll(async () => {
  await t?.close();
});

const health = async () => dataOf(await t.as('viewer')(ModelHealthDocument, { name: 'hl' })).modelHealth;
const recordedStatus = async () =>
  (
    await t.dataSource.query(
      `SELECT s.status FROM model_health_states s JOIN registered_models m ON m.id = s.registered_model_id WHERE m.name = 'hl'`,
    )
  )[0]?.status;

describe('modelHealth', () => {
  it('reports a fresh model INSUFFICIENT_DATA, with the outcomes it has and needs, and records it so', async () => {
    expect(await health()).toMatchObject({
      registeredModel: { name: 'hl' },
      modelVersion: { version: 1 },
      status: 'INSUFFICIENT_DATA',
      reasons: ['0 of the 20 outcomes needed to judge the win rate (policy.health.window_trades)'],
      outcomesNeeded: 20,
      winRate: null,
      rollingWinRate: [],
      calibrationError: null,
      longShort: null,
      latency: null,
      predictionCount: 0,
      outcomeCount: 0,
    });
    const few = liveRequests(5, 'few');
    await recordOutcomes(t, await predictRequests(t, 'hl', few), few);
    await until('the health refresh', recordedStatus);
    expect(await health()).toMatchObject({
      status: 'INSUFFICIENT_DATA',
      reasons: ['5 of the 20 outcomes needed to judge the win rate (policy.health.window_trades)'],
      winRate: null,
      outcomeCount: 5,
      windowOutcomes: 5,
    });
    expect(await recordedStatus()).toBe('INSUFFICIENT_DATA');
  });

  it('measures win rate, long/short balance, latency and counts from predictions and their outcomes', async () => {
    const requests = liveRequests(40, 'good');
    await recordOutcomes(t, await predictRequests(t, 'hl', requests), requests);
    await until('the health refresh', async () => (await recordedStatus()) === 'HEALTHY');
    const good = await health();
    expect(good).toMatchObject({
      status: 'HEALTHY',
      reasons: [],
      predictionCount: 45,
      outcomeCount: 45,
      windowPredictions: 45,
      windowOutcomes: 45,
    });
    expect(good.winRate!).toBeGreaterThan(0.7);
    expect(good.rollingWinRate).toHaveLength(26);
    expect(good.longShort!.long + good.longShort!.short + good.longShort!.flat).toBe(45);
    expect(good.latency!.p50).toBeGreaterThan(0);
    expect(good.latency!.p99).toBeGreaterThanOrEqual(good.latency!.p50);
    expect(await recordedStatus()).toBe('HEALTHY');
  });

  it('reports each turn for the worse once and answers it with one PARTIAL retraining', async () => {
    const turned = liveRequests(30, 'turned', { outcome: (f, noise) => -signal(f) + noise });
    await recordOutcomes(t, await predictRequests(t, 'hl', turned), turned);
    await until('the CRITICAL status', async () => (await recordedStatus()) === 'CRITICAL');
    // Three more re-assessments at once, as three replicas would run them.
    const [{ id }] = await t.dataSource.query(`SELECT id FROM registered_models WHERE name = 'hl'`);
    await Promise.all([1, 2, 3].map(() => t.app.services.health.refresh(id)));

    const critical = await health();
    expect(critical.status).toBe('CRITICAL');
    expect(critical.winRate!).toBeLessThan(0.35);
    expect(critical.reasons[0]).toMatch(/^win rate 0\.\d{3} over the latest 20 outcomes is below the critical 0\.35$/);
    expect(Math.max(...critical.rollingWinRate)).toBeGreaterThan(0.7);

    // Outcomes arrive one by one, so the way down may pass through DEGRADED: each step down is reported once.
    const events = dataOf(await t.as('viewer')(EventsDocument, { model: 'hl', types: ['model.performance.degraded'] })).events;
    const steps = events.map((event) => `${event.payload.from}→${event.payload.status}`);
    expect([['HEALTHY→CRITICAL'], ['HEALTHY→DEGRADED', 'DEGRADED→CRITICAL']]).toContainEqual(steps);
    expect(events.every((event) => event.payload.version === 1)).toBe(true);
    const jobs: { kind: string; trigger: string; status: string; reason: string }[] = await t.dataSource.query(
      `SELECT kind, trigger, status, reason FROM jobs WHERE trigger = 'PERFORMANCE'`,
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ kind: 'PARTIAL', status: 'QUEUED' });
    expect(jobs[0].reason).toMatch(new RegExp(`^health of "hl" v1 is ${events[0].payload.status} \\(event ${events[0].id}\\): win rate`));
  });

  it('refuses an unknown model, one without an ACTIVE version and an anonymous caller, writing nothing', async () => {
    const states = await countRows(t, 'SELECT 1 FROM model_health_states');
    expect(errorOf(await t.as('viewer')(ModelHealthDocument, { name: 'nope' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no registered model named "nope"',
    });
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'idle', family: 'xgboost' } }));
    expect(errorOf(await t.as('viewer')(ModelHealthDocument, { name: 'idle' }))).toMatchObject({
      code: 'CONFLICT',
      message: 'model "idle" has no ACTIVE version; health describes the ACTIVE version',
    });
    expect(errorOf(await t.as(null)(ModelHealthDocument, { name: 'hl' })).code).toBe('UNAUTHENTICATED');
    expect(await countRows(t, 'SELECT 1 FROM model_health_states')).toBe(states);
  });
});
