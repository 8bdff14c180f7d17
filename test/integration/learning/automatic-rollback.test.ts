/**
 * The automatic rollback over real HTTP, graphql-ws and Postgres: a version that went live and turns
 * CRITICAL on live outcomes is rolled back by the loop to its predecessor, which was HEALTHY over its
 * last period of service and passes the gate on the recent requests; a subscriber sees
 * `model.rolled_back` with automatic: true. With policy safety.automatic_rollback off it only retrains.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  PromotionAlertsDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { collect, dataOf } from '../../helpers/graphql';
import { liveRequests, predictRequests, recordOutcomes, signal, trainingRows, trainOnReplica, until } from '../../helpers/learning';

// Trains XGBoost versions on a replica and records hundreds of outcomes over HTTP.
jest.setTimeout(180_000);

let t: TestApp;

const statusOf = async (model: string, version: number) =>
  (
    await t.dataSource.query(
      `SELECT v.status FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id WHERE m.name = $1 AND v.version = $2`,
      [model, version],
    )
  )[0]?.status;
const healthOf = async (model: string) =>
  (
    await t.dataSource.query(
      `SELECT s.status, v.version FROM model_health_states s JOIN registered_models m ON m.id = s.registered_model_id
        JOIN model_versions v ON v.id = s.model_version_id WHERE m.name = $1`,
      [model],
    )
  )[0];

/** v1 trained on the market, HEALTHY on 40 live outcomes; v2 trained on a flipped market, activated through the gate. */
async function liveModelReplacedByFlippedOne(model: string): Promise<void> {
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: model, family: 'xgboost' } }));
  await trainOnReplica(t, model, 'market', { activate: true, seed: 1 });
  const calm = liveRequests(40, `${model}-calm`);
  await recordOutcomes(t, await predictRequests(t, model, calm), calm);
  await until('v1 HEALTHY', async () => (await healthOf(model))?.status === 'HEALTHY');
  const flipped = await trainOnReplica(t, model, 'flipped', { activate: true, seed: 2 });
  expect(flipped).toMatchObject({ version: 2, status: 'ACTIVE' });
}

beforeAll(async () => {
  // No worker: the PARTIAL retraining a worsening asks for stays QUEUED for the test to read.
  t = await startTestApp({ worker: false });
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'market', rows: trainingRows(1000, 'market', (f, noise) => signal(f) + noise) },
    }),
  );
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'flipped', rows: trainingRows(1000, 'flipped', (f, noise) => -signal(f) + noise) },
    }),
  );
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { health: { window_trades: 20, max_latency_p99_ms: 1e6 } } }));
});
afterAll(async () => {
  await t?.close();
});

describe('automatic rollback', () => {
  it('rolls a version that turned CRITICAL back to its healthy predecessor, and says so to subscribers', async () => {
    await liveModelReplacedByFlippedOne('rb');
    const ws = t.ws('viewer');
    const alerts = collect(ws, PromotionAlertsDocument, { model: 'rb' }, (items) =>
      items.some((item) => item.promotionAlerts.type === 'model.rolled_back'),
    );
    // The market did not flip: v2's calls lose.
    const live = liveRequests(30, 'rb-live');
    await recordOutcomes(t, await predictRequests(t, 'rb', live), live);
    await until('the rollback', async () => (await statusOf('rb', 1)) === 'ACTIVE');
    expect(await statusOf('rb', 2)).toBe('RETIRED');

    const rolledBack = (await alerts).map((item) => item.promotionAlerts).find((event) => event.type === 'model.rolled_back')!;
    ws.dispose();
    expect(rolledBack.payload).toMatchObject({ model: 'rb', version: 1, previousVersion: 2, automatic: true });
    expect(rolledBack.payload.reason).toMatch(
      /^automatic: version 2 is CRITICAL \(health: win rate .*\); version 1 was HEALTHY over its last period of service and squared_error .*% lower than version 2's/,
    );
    // The retraining the worsening asks for is queued as before.
    const jobs: { kind: string; status: string }[] = await t.dataSource.query(
      `SELECT j.kind, j.status FROM jobs j JOIN registered_models m ON m.id = j.registered_model_id WHERE m.name = 'rb' AND j.trigger = 'PERFORMANCE'`,
    );
    expect(jobs).toEqual([{ kind: 'PARTIAL', status: 'QUEUED' }]);
    // The restored version is judged afresh at its next refresh.
    const [{ id }] = await t.dataSource.query(`SELECT id FROM registered_models WHERE name = 'rb'`);
    await t.app.services.health.refresh(id);
    expect((await healthOf('rb'))?.version).toBe(1);
  });

  it('only retrains, leaving the CRITICAL version ACTIVE, with safety.automatic_rollback off', async () => {
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { safety: { automatic_rollback: false } } }));
    await liveModelReplacedByFlippedOne('kept');
    const live = liveRequests(30, 'kept-live');
    await recordOutcomes(t, await predictRequests(t, 'kept', live), live);
    await until('the CRITICAL status', async () => (await healthOf('kept'))?.status === 'CRITICAL');
    await until('the PARTIAL retraining', async () => {
      const [row] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM jobs j JOIN registered_models m ON m.id = j.registered_model_id WHERE m.name = 'kept' AND j.trigger = 'PERFORMANCE'`,
      );
      return row.n === 1;
    });
    expect(await statusOf('kept', 2)).toBe('ACTIVE');
    expect(t.logs.some((line) => line.includes('automatic rollback of "kept" v2: not done, policy safety.automatic_rollback is off'))).toBe(
      true,
    );
  });
});
