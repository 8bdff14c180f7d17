/**
 * rollbackModel over real HTTP: each rollback without a version goes to the version that was ACTIVE
 * before the current one and was not itself rolled back from — so two in a row walk back v3 → v2 → v1
 * instead of re-activating v3 — and refuses, naming the versions, when only rolled-back ones are left.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  PromoteModelDocument,
  RollbackModelDocument,
  TrainModelDocument,
} from '../../generated/graphql';
import { GATE_OFF, startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';

jest.setTimeout(120_000);

let t: TestApp;
beforeAll(async () => {
  // Its versions are retrainings on the same rows, no better than the one before: the gate before SHADOW is off here.
  t = await startTestApp({ worker: true, policy: GATE_OFF });
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'walk-rows', rows: syntheticRows(300, 5) } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'walk', family: 'xgboost' } }));
  for (const seed of [1, 2, 3]) {
    const job = dataOf(
      await t.as('operator')(TrainModelDocument, {
        input: {
          model: 'walk',
          dataset: 'walk-rows',
          targetColumn: 'y',
          featureColumns: ['f0', 'f1', 'f2', 'f3'],
          orderColumn: 't',
          hyperparameters: { num_boost_round: 10, seed },
          activate: seed === 1,
        },
      }),
    ).trainModel;
    expect(await waitForJob(t, job.id)).toMatchObject({ status: 'COMPLETED' });
  }
});
afterAll(async () => {
  await t?.close();
});

const rollback = (version?: number) =>
  t.as('operator')(RollbackModelDocument, { input: { model: 'walk', ...(version ? { version } : {}) } });
const promote = (version: number) => t.as('operator')(PromoteModelDocument, { input: { model: 'walk', version } });

it('walks back one ACTIVE version per rollback, never to the one it just left, and refuses at the start', async () => {
  dataOf(await promote(2));
  dataOf(await promote(3));
  expect(dataOf(await rollback()).rollbackModel).toMatchObject({ version: 2, status: 'ACTIVE' });
  expect(dataOf(await rollback()).rollbackModel).toMatchObject({ version: 1, status: 'ACTIVE' });
  expect(errorOf(await rollback())).toMatchObject({
    code: 'CONFLICT',
    message:
      'model "walk" has no earlier ACTIVE version to roll back to: versions 2, 3 were rolled back from already; name one to go back to it anyway (rollbackModel(input: { model, version }))',
  });

  // Promoting a version again clears its rollback: a rollback from it returns to the one it replaced.
  dataOf(await promote(3));
  expect(dataOf(await rollback()).rollbackModel).toMatchObject({ version: 1, status: 'ACTIVE' });
  // A named RETIRED version is always allowed, and counts as a rollback from the version it replaced.
  expect(dataOf(await rollback(2)).rollbackModel).toMatchObject({ version: 2, status: 'ACTIVE' });
  expect(errorOf(await rollback()).message).toMatch(
    /^model "walk" has no earlier ACTIVE version to roll back to: versions 1, 3 were rolled back from already/,
  );
});
