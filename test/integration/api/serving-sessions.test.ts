/**
 * The sessions a ServingService holds, on real Postgres and real ONNX sessions: a model idle for
 * policy.serving.session_idle_seconds is unloaded and its session disposed, and its next request loads
 * it again; a session that a refresh still loading holds (not yet swapped in) is not disposed by a
 * disposal pass meanwhile — the soak run's "Session already disposed". The service under test gets the
 * built-in XGBoost family wrapped so that the test sees each predictor load and dispose, and can hold a
 * load back.
 */
import { CreateDatasetDocument, CreateRegisteredModelDocument, UpdatePolicyPatchDocument } from '../../generated/graphql';
import { GATE_OFF, startTestApp, type TestApp } from '../../helpers/app';
import { dataOf } from '../../helpers/graphql';
import { countRows, signal, trainingRows, trainVersion, until } from '../../helpers/learning';
import { FamilyRegistry } from '../../../src/plugins';
import type { ModelFamily, Predictor } from '../../../src/plugins/contract';
import { xgboostFamily } from '../../../src/plugins/xgboost';
import { ServingService } from '../../../src/serving/serving.service';

jest.setTimeout(120_000);

let t: TestApp;
beforeAll(async () => {
  // Its shadow is a second seed on the same rows, no better: registered past the gate, as this is about sessions.
  t = await startTestApp({ policy: GATE_OFF });
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'rows', rows: trainingRows(400, 'sessions', (f, noise) => signal(f) + noise) },
    }),
  );
  for (const name of ['idle', 'race', 'other']) {
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name, family: 'xgboost' } }));
    await trainVersion(t, name, 'rows', { activate: true, seed: 1 });
  }
});
afterAll(async () => {
  await t?.close();
});

/** XGBoost predictors that record their loads and disposals; while `held` is set, a load waits for it. */
function observedFamilies() {
  const loaded: Predictor[] = [];
  const disposed = new Set<Predictor>();
  const control = { held: undefined as Promise<void> | undefined, waiting: 0 };
  const family: ModelFamily<unknown> = {
    ...xgboostFamily,
    async load(artifact) {
      if (control.held) {
        control.waiting++;
        await control.held;
      }
      const inner = await xgboostFamily.load(artifact);
      const predictor: Predictor = {
        signature: inner.signature,
        predict: (batch, rows) => inner.predict(batch, rows),
        async dispose() {
          disposed.add(predictor);
          await inner.dispose();
        },
      };
      loaded.push(predictor);
      return predictor;
    },
  };
  return { families: new FamilyRegistry([family]), loaded, disposed, control };
}

function servingWith(families: FamilyRegistry, logs: string[]): ServingService {
  return new ServingService(t.dataSource, t.app.services.registry, families, {
    batchWindowMs: 0,
    batchMaxRows: 512,
    policy: async () => (await t.app.services.policy.current()).document,
    disposeDelayMs: 20,
    log: (message) => logs.push(message),
  });
}

const features = [0.5, -0.2, 0.1, 0];

it('does not dispose a session that a refresh still loading holds, so the refreshed state serves with live sessions', async () => {
  const logs: string[] = [];
  const observed = observedFamilies();
  const serving = servingWith(observed.families, logs);
  try {
    await serving.predict({ model: 'race', features });
    await serving.predict({ model: 'other', features });
    const shadow = await trainVersion(t, 'race', 'rows', { activate: false, seed: 2 });

    // The refresh of "race" loads the new SHADOW version's session and is held there, not yet swapped in …
    let release!: () => void;
    observed.control.held = new Promise((resolve) => (release = resolve));
    const refreshing = serving.refresh('race');
    await until('the refresh to load the shadow', async () => observed.control.waiting === 1);
    // … while another refresh ends and its disposal pass runs (20 ms later).
    await serving.refresh('other');
    await new Promise((resolve) => setTimeout(resolve, 200));
    observed.control.held = undefined;
    release();
    await refreshing;

    const answer = await serving.predict({ model: 'race', features, requestId: 'after-refresh' });
    expect(answer.modelVersion.version).toBe(1);
    await until(
      'the shadow’s row',
      async () =>
        (await countRows(t, `SELECT 1 FROM predictions WHERE request_id = 'after-refresh' AND model_version_id = $1`, [shadow.id])) === 1,
      5_000,
    );
    expect(observed.loaded.filter((predictor) => observed.disposed.has(predictor))).toEqual([]);
    expect(logs).toEqual([]);
  } finally {
    await serving.close();
  }
});

it('unloads a model idle for policy.serving.session_idle_seconds, disposing its session, and loads it again on the next request', async () => {
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { serving: { session_idle_seconds: 1 } } }));
  const logs: string[] = [];
  const observed = observedFamilies();
  const serving = servingWith(observed.families, logs);
  try {
    const first = await serving.predict({ model: 'idle', features });
    expect(observed.loaded).toHaveLength(1);
    await until('the idle session disposed', async () => observed.disposed.has(observed.loaded[0]), 5_000);
    expect(logs).toEqual(['serving: unloaded "idle" after 1 s without a request']);

    const again = await serving.predict({ model: 'idle', features });
    expect(again.value).toBe(first.value);
    expect(observed.loaded).toHaveLength(2);
    expect(observed.disposed.has(observed.loaded[1])).toBe(false);
  } finally {
    await serving.close();
  }
});
