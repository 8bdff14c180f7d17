/**
 * The shadow tester over real HTTP, graphql-ws and Postgres: trained XGBoost versions answer the same
 * live requests, outcomes are recorded with recordOutcome, and — with no call to the tester — the
 * better SHADOW is promoted and the worse one REJECTED as the outcomes arrive (the database's NOTIFY
 * on request_outcomes drives the re-evaluation). Then the race: an operator promotes while an
 * automatic evaluation is about to act on its verdict.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  EventsDocument,
  PredictDocument,
  PromoteModelDocument,
  PromotionAlertsDocument,
  RegisteredModelDocument,
  ShadowEvaluationDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { collect, dataOf, errorOf } from '../../helpers/graphql';
import {
  countRows,
  liveRequests,
  predictRequests,
  recordOutcomes,
  signal,
  trainingRows,
  trainVersion,
  until,
} from '../../helpers/learning';

// Each test trains XGBoost versions and records hundreds of outcomes over HTTP.
jest.setTimeout(180_000);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const train = (model: string, dataset: string, activate: boolean, seed: number) => trainVersion(t, model, dataset, { activate, seed });
const count = (sql: string, parameters: unknown[] = []) => countRows(t, sql, parameters);

describe('the shadow tester', () => {
  beforeAll(async () => {
    for (const [name, target] of [
      ['weak', (f: number[], noise: number) => 0.01 * 0.8 * f[2] + noise], // learns an unrelated feature
      ['true', (f: number[], noise: number) => signal(f) + noise],
      ['inverted', (f: number[], noise: number) => -signal(f) + noise],
    ] as const) {
      dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name, rows: trainingRows(800, name, target) } }));
    }
    dataOf(
      await t.as('operator')(UpdatePolicyPatchDocument, {
        patch: {
          auto_promote_threshold: { min_samples: 100, max_samples: 1000, min_improvement_pct: 5, max_drawdown_pct: 50, significance: 0.01 },
          // Health would answer the weak ACTIVE version with a PARTIAL retraining (a third shadow); that is tested apart.
          health: { min_win_rate: 0, critical_win_rate: 0, max_directional_bias: 1, max_latency_p99_ms: 1e6 },
        },
      }),
    );
  });

  it('promotes the better SHADOW and rejects the worse one as outcomes arrive, and says why', async () => {
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'sig', family: 'xgboost' } }));
    const v1 = await train('sig', 'weak', true, 1);
    const v2 = await train('sig', 'true', false, 2);
    const v3 = await train('sig', 'inverted', false, 3);
    expect([v1.status, v2.status, v3.status]).toEqual(['ACTIVE', 'SHADOW', 'SHADOW']);

    const before = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id })).shadowEvaluation;
    expect(before).toMatchObject({
      decision: 'CONTINUE',
      samples: 0,
      reasons: ['0 of the 100 paired outcomes needed for a verdict'],
      activeVersion: { version: 1 },
      shadow: null,
    });
    expect(before.thresholds).toMatchObject({ minSamples: 100, significance: 0.01, enabled: true });

    const subscriber = t.ws('viewer');
    const alerts = collect(
      subscriber,
      PromotionAlertsDocument,
      { model: 'sig' },
      (items) => items.some((item) => item.promotionAlerts.type === 'shadow.promoted'),
      60_000,
    );

    const requests = liveRequests(200, 'live');
    const answers = await predictRequests(t, 'sig', requests, 2);
    expect(answers.every((answer) => answer.modelVersion.version === 1)).toBe(true);
    await recordOutcomes(t, answers.slice(0, 60), requests.slice(0, 60));
    const midway = await until('60 paired outcomes', async () => {
      const evaluation = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id })).shadowEvaluation;
      return evaluation.samples === 60 && evaluation;
    });
    expect(midway.decision).toBe('CONTINUE');
    expect(midway.reasons).toEqual(['60 of the 100 paired outcomes needed for a verdict']);
    expect(midway.shadow!.hitRate!).toBeGreaterThan(midway.active!.hitRate!);

    await recordOutcomes(t, answers.slice(60), requests.slice(60));
    const heard = (await alerts).map((item) => [item.promotionAlerts.type, item.promotionAlerts.payload.version]);
    await subscriber.dispose();
    expect(heard).toEqual([
      ['shadow.rejected', 3],
      ['shadow.promotion.recommended', 2],
      ['model.retired', 1],
      ['model.promoted', 2],
      ['shadow.promoted', 2],
    ]);

    const model = dataOf(await t.as('viewer')(RegisteredModelDocument, { name: 'sig' })).registeredModel;
    expect(model.versions.nodes.map((version) => [version.version, version.status])).toEqual([
      [3, 'REJECTED'],
      [2, 'ACTIVE'],
      [1, 'RETIRED'],
    ]);
    const promoted = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id })).shadowEvaluation;
    expect(promoted).toMatchObject({ decision: 'PROMOTE', outcome: 'PROMOTED', lossName: 'squared_error', activeVersion: { version: 1 } });
    expect(promoted.samples).toBeGreaterThanOrEqual(100);
    expect(promoted.improvementPct!).toBeGreaterThanOrEqual(5);
    expect(promoted.test!.pValue).toBeLessThan(0.01);
    expect(promoted.shadow!.rmse).toBeLessThan(promoted.active!.rmse);
    expect(promoted.shadow!.hitRate!).toBeGreaterThan(0.7);
    expect(promoted.reasons[1]).toMatch(/^significant: Diebold–Mariano p = /);
    const rejected = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v3.id })).shadowEvaluation;
    expect(rejected).toMatchObject({ decision: 'REJECT', outcome: 'REJECTED' });
    expect(rejected.shadow!.hitRate!).toBeLessThan(0.3);

    // Evaluated after every burst of outcomes, yet each test started once.
    const events = dataOf(
      await t.as('viewer')(EventsDocument, { model: 'sig', types: ['shadow.testing.started', 'shadow.promotion.recommended'] }),
    ).events;
    expect(events.map((event) => [event.type, event.payload.version, event.payload.againstVersion])).toEqual([
      ['shadow.testing.started', 2, 1],
      ['shadow.testing.started', 3, 1],
      ['shadow.promotion.recommended', 2, 1],
    ]);
    expect(events[2].payload).toMatchObject({ automatic: true, heldBy: null, samples: promoted.samples });

    const after = dataOf(await t.as('trader')(PredictDocument, { input: { model: 'sig', features: [1, -1, 0, 0] } })).predict;
    expect(after.modelVersion.version).toBe(2);
  });

  it('refuses to evaluate an unknown version or one that was never a tested SHADOW, writing nothing', async () => {
    const tests = await count('SELECT 1 FROM shadow_tests');
    expect(
      errorOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: '00000000-0000-4000-8000-000000000000' })),
    ).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no model version with id 00000000-0000-4000-8000-000000000000',
    });
    expect(errorOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: 'not-a-version' })).code).toBe('NOT_FOUND');
    const v1 = (
      await t.dataSource.query(
        `SELECT v.id FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id WHERE m.name = 'sig' AND v.version = 1`,
      )
    )[0];
    expect(errorOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v1.id }))).toMatchObject({
      code: 'CONFLICT',
      message: 'expects a SHADOW version or one the shadow tester judged, but version 1 of "sig" is RETIRED and was never evaluated',
    });
    expect(errorOf(await t.as(null)(ShadowEvaluationDocument, { modelVersionId: v1.id })).code).toBe('UNAUTHENTICATED');
    expect(await count('SELECT 1 FROM shadow_tests')).toBe(tests);
  });
});

describe('promotion while a shadow evaluation is running', () => {
  it('gives exactly one outcome: the operator’s promotion wins, the evaluation’s gets CONFLICT and is judged again', async () => {
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'race', family: 'xgboost' } }));
    await train('race', 'weak', true, 11);
    const v2 = await train('race', 'true', false, 12);
    await train('race', 'true', false, 13);
    // Outcomes land while verdicts need more samples than there are.
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { auto_promote_threshold: { min_samples: 500 } } }));
    const requests = liveRequests(200, 'race-live');
    await recordOutcomes(t, await predictRequests(t, 'race', requests, 2), requests);
    await until(
      'the outcomes to be judged',
      async () => dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id })).shadowEvaluation.samples === 200,
    );

    // The next automatic evaluation reaches PROMOTE; just before it acts, an operator promotes v3.
    const interleaved: string[] = [];
    let operatorAnswer: Promise<unknown> | undefined;
    t.app.services.shadow.setHooks({
      verdictWillApply: async (evaluation) => {
        if (evaluation.decision !== 'PROMOTE' || operatorAnswer) return;
        interleaved.push(`evaluation of v${evaluation.shadow.version} reached PROMOTE against v${evaluation.active.version}`);
        operatorAnswer = t
          .as('operator')(PromoteModelDocument, { input: { model: 'race', version: 3, reason: 'operator' } })
          .then((response) => {
            interleaved.push(`operator promoted v${dataOf(response).promoteModel.version}`);
          });
        await operatorAnswer;
      },
    });
    try {
      dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { auto_promote_threshold: { min_samples: 100 } } }));
      await until('the evaluation to give way', async () =>
        t.logs.find((line) => /version \d of "race": not promoted, the model changed meanwhile/.test(line)),
      );
    } finally {
      t.app.services.shadow.setHooks({});
    }
    expect(interleaved[0]).toMatch(/^evaluation of v[23] reached PROMOTE against v1$/);
    expect(interleaved[1]).toBe('operator promoted v3');

    const statuses = async () =>
      (await t.dataSource.query(
        `SELECT v.version, v.status FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id WHERE m.name = 'race' ORDER BY v.version`,
      )) as {
        version: number;
        status: string;
      }[];
    expect(await statuses()).toEqual([
      { version: 1, status: 'RETIRED' },
      { version: 2, status: 'SHADOW' },
      { version: 3, status: 'ACTIVE' },
    ]);
    // Judged again against the new ACTIVE version: a new test, and no automatic promotion happened.
    const rejudged = await until('v2 judged against v3', async () => {
      const evaluation = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id })).shadowEvaluation;
      return evaluation.activeVersion.version === 3 && evaluation.startedAt ? evaluation : undefined;
    });
    expect(rejudged.modelVersion.status).toBe('SHADOW');
    const events = dataOf(
      await t.as('viewer')(EventsDocument, { model: 'race', types: ['model.promoted', 'shadow.promoted', 'shadow.testing.started'] }),
    ).events;
    expect(events.filter((event) => event.type !== 'shadow.testing.started').map((event) => [event.type, event.payload.version])).toEqual([
      ['model.promoted', 1],
      ['model.promoted', 3],
    ]);
    expect(
      events
        .filter((event) => event.type === 'shadow.testing.started')
        .map((event) => [event.payload.version, event.payload.againstVersion]),
    ).toEqual(
      expect.arrayContaining([
        [2, 1],
        [3, 1],
        [2, 3],
      ]),
    );
    expect(
      await count(
        `SELECT 1 FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id WHERE m.name = 'race' AND v.status = 'ACTIVE'`,
      ),
    ).toBe(1);
  });
});
