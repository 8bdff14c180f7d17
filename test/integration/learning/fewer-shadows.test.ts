/**
 * Fewer, better shadows over real HTTP: INCREMENTAL updates chain on the newest candidate that passed its
 * gate and supersede it (status SUPERSEDED, `model.superseded`), an update with no new rows registers
 * nothing, at most shadow_testing.max_shadows SHADOW versions remain, and an operator can reject or
 * retire a SHADOW by hand.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  ModelLineageDocument,
  RejectShadowDocument,
  RetireModelDocument,
  TriggerRetrainingDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { trainVersion } from '../../helpers/learning';
import { dataOf, errorOf } from '../../helpers/graphql';

const MODEL = 'chained';
const WEAK = { num_boost_round: 3, max_depth: 1, eta: 0.1, early_stopping_rounds: 0, update_rounds: 30, seed: 2 };
const STRONG = { num_boost_round: 80, max_depth: 3, early_stopping_rounds: 0, seed: 2 };

let t: TestApp;

async function lineage() {
  const versions = dataOf(await t.as('viewer')(ModelLineageDocument, { name: MODEL })).registeredModel.versions.nodes;
  return [...versions].sort((a, b) => a.version - b.version);
}

async function incremental(dataset: string) {
  const plan = dataOf(
    await t.as('operator')(TriggerRetrainingDocument, { input: { kind: 'INCREMENTAL', models: [MODEL], dataset, reason: 'new rows' } }),
  ).triggerRetraining;
  const job = await waitForJob(t, plan.jobs[0].id, 120_000);
  expect(job.status).toBe('COMPLETED');
  return job;
}

const train = (dataset: string, hyperparameters: Record<string, unknown>, activate = false) =>
  trainVersion(t, MODEL, dataset, { activate, seed: Number(hyperparameters.seed), hyperparameters });

beforeAll(async () => {
  t = await startTestApp();
  // The same seeded series, longer each time: each dataset holds the rows of the one before and 300 more.
  for (const rows of [600, 900, 1200]) {
    dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: `rows-${rows}`, rows: syntheticRows(rows, 41) } }));
  }
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: MODEL, family: 'xgboost' } }));
  expect((await train('rows-600', WEAK, true)).status).toBe('ACTIVE');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('INCREMENTAL candidates', () => {
  it('chain on the newest candidate that passed its gate and supersede it, instead of forking siblings from the ACTIVE version', async () => {
    const first = await incremental('rows-900');
    expect(first.modelVersion).toMatchObject({ version: 2, status: 'SHADOW' });
    const second = await incremental('rows-1200');
    expect(second.modelVersion).toMatchObject({ version: 3, status: 'SHADOW' });
    expect(second.result).toMatchObject({ parentVersionId: first.modelVersion!.id, rows: 300 });

    const versions = await lineage();
    expect(versions.map((v) => [v.version, v.status, v.parent?.version ?? null])).toEqual([
      [1, 'ACTIVE', null],
      [2, 'SUPERSEDED', 1],
      [3, 'SHADOW', 2],
    ]);
    expect(versions[1].error).toBe('replaced by version 3, a newer INCREMENTAL candidate, before its verdict');
    const [event] = await t.dataSource.query(`SELECT payload FROM events WHERE type = 'model.superseded'`);
    expect(event.payload).toEqual({ model: MODEL, version: 2, by: 3, reason: versions[1].error });
  });

  it('registers nothing when there are no rows after the newest candidate’s', async () => {
    const again = await incremental('rows-1200');
    expect(again.result).toMatchObject({ skipped: true, rows: 0 });
    expect(again.modelVersion).toBeNull();
    expect((await lineage()).map((v) => v.version)).toEqual([1, 2, 3]);
  });
});

describe('shadows by hand and by the limit', () => {
  it('keeps at most shadow_testing.max_shadows SHADOW versions, superseding the oldest', async () => {
    await t.app.services.policy.updatePolicy({ shadow_testing: { max_shadows: 2 } }, null);
    expect((await train('rows-1200', STRONG)).status).toBe('SHADOW');
    expect((await train('rows-1200', { ...STRONG, seed: 3 })).status).toBe('SHADOW');
    const versions = await lineage();
    expect(versions.filter((v) => v.status === 'SHADOW').map((v) => v.version)).toEqual([4, 5]);
    expect(versions.find((v) => v.version === 3)).toMatchObject({ status: 'SUPERSEDED' });
    expect(versions.find((v) => v.version === 3)!.error).toMatch(/at most shadow_testing.max_shadows \(2\) SHADOW versions/);
  });

  it('rejects a SHADOW by hand with a reason, and refuses without one or for another status', async () => {
    const noReason = await t.as('operator')(RejectShadowDocument, { input: { model: MODEL, version: 4, reason: '  ' } });
    expect(errorOf(noReason).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    const notShadow = await t.as('operator')(RejectShadowDocument, { input: { model: MODEL, version: 1, reason: 'no' } });
    expect(errorOf(notShadow).extensions).toMatchObject({ code: 'CONFLICT' });
    expect(errorOf(notShadow).message).toBe('expects a SHADOW version to reject, but version 1 of "chained" is ACTIVE');
    const viewer = await t.as('viewer')(RejectShadowDocument, { input: { model: MODEL, version: 4, reason: 'no' } });
    expect(errorOf(viewer).extensions?.code).toBe('FORBIDDEN');

    const rejected = dataOf(
      await t.as('operator')(RejectShadowDocument, { input: { model: MODEL, version: 4, reason: 'uses a stale feed' } }),
    );
    expect(rejected.rejectShadow).toMatchObject({ version: 4, status: 'REJECTED' });
    const [event] = await t.dataSource.query(`SELECT payload FROM events WHERE type = 'shadow.rejected' ORDER BY id DESC LIMIT 1`);
    expect(event.payload).toMatchObject({ model: MODEL, version: 4, reason: 'rejected by hand: uses a stale feed' });
  });

  it('retires a SHADOW by hand', async () => {
    const retired = dataOf(await t.as('operator')(RetireModelDocument, { input: { model: MODEL, version: 5, reason: 'not needed' } }));
    expect(retired.retireModel).toMatchObject({ version: 5, status: 'RETIRED' });
    expect((await lineage()).find((v) => v.version === 1)).toMatchObject({ status: 'ACTIVE' });
  });
});
