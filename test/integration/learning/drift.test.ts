/**
 * Drift over real HTTP, graphql-ws and Postgres: checkDrift on live predictions of trained XGBoost
 * versions — quiet on data like the training data, graded by severity when features shift or the model
 * starts losing — with the response policy carried out (a PARTIAL or FULL retraining job, a stop of
 * automatic promotion on CRITICAL), the scheduled DRIFT_CHECK job, driftEvents and driftAlerts.
 */
import {
  CancelJobDocument,
  CheckDriftDocument,
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  DriftAlertsDocument,
  DriftEventsDocument,
  EventsDocument,
  PromoteModelDocument,
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
  trainOnReplica,
  until,
} from '../../helpers/learning';

// Each test trains XGBoost versions and records hundreds of outcomes over HTTP.
jest.setTimeout(180_000);

let t: TestApp;
beforeAll(async () => {
  // No worker here: the retraining jobs drift queues stay QUEUED, so that the test can read them as queued.
  t = await startTestApp({ worker: false });
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'market', rows: trainingRows(1500, 'market', (f, noise) => signal(f) + noise) },
    }),
  );
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'turned', rows: trainingRows(1500, 'turned', (f, noise) => -signal(f) + noise) },
    }),
  );
  // Health would answer the losing model of the CRITICAL case with its own PARTIAL retraining (tested apart):
  // its window is longer than any test here records, so it never judges (INSUFFICIENT_DATA), while drift
  // still reads health.critical_win_rate (the default 0.35).
  dataOf(
    await t.as('operator')(UpdatePolicyPatchDocument, {
      patch: { health: { window_trades: 1_000_000, max_calibration_error: 1, max_directional_bias: 1, max_latency_p99_ms: 1e6 } },
    }),
  );
});
afterAll(async () => {
  await t?.close();
});

async function activeModel(name: string, seed: number) {
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name, family: 'xgboost' } }));
  return trainOnReplica(t, name, 'market', { activate: true, seed });
}

const check = async (model: string) => dataOf(await t.as('operator')(CheckDriftDocument, { model })).checkDrift;
const driftRows = () => countRows(t, 'SELECT 1 FROM drift_events');
/** The retraining a response queued is read, then withdrawn: these tests are about the drift, not the training. */
const cancel = async (jobs: { id: string }[]) => {
  for (const job of jobs) dataOf(await t.as('operator')(CancelJobDocument, { id: job.id }));
};

describe('checkDrift', () => {
  it('finds no drift on data like the training data, and records nothing', async () => {
    await activeModel('calm', 1);
    const tooFew = await check('calm');
    expect(tooFew).toMatchObject({
      severity: 'NONE',
      windowRows: 0,
      event: null,
      reasons: ['only 0 recent predictions of version 1; a check needs 50 (policy drift_detection.min_samples)'],
    });

    const requests = liveRequests(400, 'calm-live');
    await recordOutcomes(t, await predictRequests(t, 'calm', requests), requests);
    const result = await check('calm');
    expect(result).toMatchObject({ severity: 'NONE', windowRows: 400, outcomeRows: 400, event: null, reasons: [] });
    expect(result.distributions.map((entry) => entry.name)).toEqual(['f0', 'f1', 'f2', 'f3', 'prediction', 'outcome']);
    expect(result.distributions.every((entry) => !entry.drifted)).toBe(true);
    expect(result.performance.map((entry) => entry.metric)).toEqual(['win_rate', 'squared_error']);
    // Data quality per feature; the performance tests know how many validation rows their baselines rest on.
    for (const entry of result.distributions.slice(0, 4)) {
      expect(entry).toMatchObject({ count: 400, missingShare: 0, referenceMissingShare: 0, missingRose: false, constant: false });
      expect(entry.effectiveCount).toBeGreaterThan(0);
      expect(entry.effectiveCount).toBeLessThanOrEqual(400);
      expect(entry.outOfRange).toBe(false);
    }
    expect(result.distributions[4]).toMatchObject({ kind: 'prediction', missingShare: null, missingRose: null });
    for (const entry of result.performance) {
      expect(entry.referenceSamples).toBeGreaterThan(0);
      expect(entry.effectiveSamples).toBeLessThanOrEqual(400);
    }
    expect(await driftRows()).toBe(0);
  });

  it('grades a major shift of half the features HIGH, answers it with a FULL retraining once, and alerts subscribers', async () => {
    await activeModel('shifty', 2);
    const subscriber = t.ws('viewer');
    const alerts = collect(subscriber, DriftAlertsDocument, { minSeverity: 'MEDIUM', model: 'shifty' }, (items) => items.length === 2);

    const requests = liveRequests(400, 'shifty-live', { shift: [0, 0, 1.5, 1.5] });
    await predictRequests(t, 'shifty', requests);
    const first = await check('shifty');
    expect(first.severity).toBe('HIGH');
    expect(first.reasons[0]).toMatch(/^2 of 4 features shifted, 2 by PSI ≥ 0\.25: f[23] \(PSI \d+\.\d+, KS 0\.\d+\), f[23]/);
    const shifted = first.distributions.filter((entry) => entry.drifted).map((entry) => entry.name);
    expect(shifted.sort()).toEqual(['f2', 'f3']);
    // The recorded event keeps the data-quality fields of each feature.
    expect(first.event!.distributions.find((entry) => entry.name === 'f2')).toMatchObject({ missingShare: 0, missingRose: false });
    expect(first.event).toMatchObject({
      severity: 'HIGH',
      trigger: 'MANUAL',
      response: 'FULL_RETRAINING',
      responseNote: null,
      driftedFeatures: 2,
      majorFeatures: 2,
      featureCount: 4,
      checkJob: null,
    });
    // FULL retrains every model with a retrainable ACTIVE version: one job each, queued after the drift event.
    expect(first.event!.retrainingJobs.map((job) => [job.kind, job.trigger, job.status, job.registeredModel?.name]).sort()).toEqual([
      ['FULL', 'DRIFT', 'QUEUED', 'calm'],
      ['FULL', 'DRIFT', 'QUEUED', 'shifty'],
    ]);
    await cancel(first.event!.retrainingJobs);

    // The same drift again on the same ACTIVE version is recorded, but not answered twice.
    const second = await check('shifty');
    expect(second.event).toMatchObject({ severity: 'HIGH', response: 'LOGGED', retrainingJobs: [] });
    expect(second.event!.responseNote).toMatch(
      new RegExp(`^already answered on version 1 by drift event ${first.event!.id} \\(HIGH, FULL_RETRAINING\\)$`),
    );

    const heard = (await alerts).map((item) => [
      item.driftAlerts.type,
      item.driftAlerts.payload.severity,
      item.driftAlerts.payload.driftEventId,
    ]);
    await subscriber.dispose();
    expect(heard).toEqual([
      ['drift.detected', 'HIGH', first.event!.id],
      ['drift.detected', 'HIGH', second.event!.id],
    ]);
    const log = dataOf(await t.as('viewer')(EventsDocument, { types: ['drift.detected', 'job.queued'] })).events;
    const detected = log.findIndex((event) => event.payload.driftEventId === first.event!.id);
    const queued = log.findIndex((event) => event.type === 'job.queued' && event.payload.trigger === 'DRIFT');
    expect(detected).toBeGreaterThanOrEqual(0);
    expect(queued).toBeGreaterThan(detected);

    const listed = dataOf(await t.as('viewer')(DriftEventsDocument, { filter: { model: 'shifty', first: 1 } })).driftEvents;
    expect(listed.nodes.map((event) => event.id)).toEqual([second.event!.id]);
    expect(listed.pageInfo.hasNextPage).toBe(true);
    const next = dataOf(
      await t.as('viewer')(DriftEventsDocument, { filter: { model: 'shifty', first: 1, after: listed.pageInfo.endCursor } }),
    ).driftEvents;
    expect(next.nodes.map((event) => event.id)).toEqual([first.event!.id]);
    expect(dataOf(await t.as('viewer')(DriftEventsDocument, { filter: { minSeverity: 'CRITICAL' } })).driftEvents.nodes).toEqual([]);
  });

  it('grades a major shift of fewer features MEDIUM and answers it with a PARTIAL retraining of the model', async () => {
    await activeModel('partial', 3);
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { drift_detection: { high_feature_share: 0.5 } } }));
    try {
      await predictRequests(t, 'partial', liveRequests(300, 'partial-live', { shift: [0, 0, 0, 1.5] }));
      const result = await check('partial');
      expect(result.event).toMatchObject({ severity: 'MEDIUM', response: 'PARTIAL_RETRAINING', majorFeatures: 1 });
      expect(result.event!.retrainingJobs.map((job) => [job.kind, job.trigger, job.registeredModel?.name])).toEqual([
        ['PARTIAL', 'DRIFT', 'partial'],
      ]);
      await cancel(result.event!.retrainingJobs);
    } finally {
      dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { drift_detection: { high_feature_share: 0.25 } } }));
    }
  });

  it('grades a model that has started losing CRITICAL, stopping its automatic promotion until an operator promotes', async () => {
    await activeModel('losing', 4);
    // A candidate trained on the turned market: it will beat the ACTIVE version on live outcomes. Registered
    // without the gate before SHADOW, so that nothing but live outcomes shows it better: the stop holds it.
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { promotion_gate: { enabled: false } } }));
    const shadow = await trainOnReplica(t, 'losing', 'turned', { activate: false, seed: 5 });
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { promotion_gate: { enabled: true } } }));
    // The market turned: what used to go up goes down. Features are as before.
    const requests = liveRequests(300, 'losing-live', { outcome: (f, noise) => -signal(f) + noise });
    // Outcomes arrive while a verdict needs more of them than there are.
    dataOf(
      await t.as('operator')(UpdatePolicyPatchDocument, { patch: { auto_promote_threshold: { min_samples: 1000, max_samples: 2000 } } }),
    );
    await recordOutcomes(t, await predictRequests(t, 'losing', requests, 1), requests);
    const result = await check('losing');
    expect(result.severity).toBe('CRITICAL');
    expect(result.reasons[0]).toMatch(/^win rate 0\.\d+ is below the critical 0\.35$/);
    expect(result.performance.find((entry) => entry.metric === 'win_rate')).toMatchObject({ drifted: true, samples: 300 });
    expect(result.event).toMatchObject({ severity: 'CRITICAL', response: 'PROMOTION_STOPPED_FULL_RETRAINING' });
    await cancel(result.event!.retrainingJobs);
    expect(result.distributions.filter((entry) => entry.kind === 'feature').every((entry) => !entry.drifted)).toBe(true);

    // With enough outcomes, the shadow's verdict is PROMOTE — but it is not promoted automatically.
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { auto_promote_threshold: { min_samples: 100 } } }));
    const held = await until('the verdict', async () => {
      const evaluation = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: shadow.id })).shadowEvaluation;
      return evaluation.recommendedAt ? evaluation : undefined;
    });
    expect(held.decision).toBe('PROMOTE');
    expect(held.promotionHold).toMatch(
      new RegExp(`^automatic promotion of "losing" is stopped by CRITICAL drift ${result.event!.id} of version 1 `),
    );
    expect(held.modelVersion.status).toBe('SHADOW');
    const recommended = dataOf(
      await t.as('viewer')(EventsDocument, { model: 'losing', types: ['shadow.promotion.recommended', 'shadow.promoted'] }),
    ).events;
    expect(recommended.map((event) => [event.type, event.payload.automatic])).toEqual([['shadow.promotion.recommended', false]]);

    // The stop holds only candidates not shown better: one the gate before SHADOW passed against version 1 is not held.
    const gated = await trainOnReplica(t, 'losing', 'turned', { activate: false, seed: 7 });
    expect(gated.status).toBe('SHADOW');
    const unheld = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: gated.id })).shadowEvaluation;
    expect(unheld.promotionHold).toBeNull();
    expect(dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: shadow.id })).shadowEvaluation.promotionHold).toMatch(
      /stopped by CRITICAL drift/,
    );

    // An operator's promotion changes the ACTIVE version, which lifts the stop.
    dataOf(await t.as('operator')(PromoteModelDocument, { input: { model: 'losing', version: 2, reason: 'reviewed the CRITICAL drift' } }));
    const v3 = await trainOnReplica(t, 'losing', 'market', { activate: false, seed: 6 });
    const lifted = dataOf(await t.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v3.id })).shadowEvaluation;
    expect(lifted.promotionHold).toBeNull();
  });

  it('runs on schedule as a DRIFT_CHECK job over every model', async () => {
    const slot = new Date(Date.UTC(2030, 0, 1, 6));
    const job = (await t.app.services.scheduler.fire('drift_check', slot)) as { id: string; kind: string; singletonKey: string };
    expect(job).toMatchObject({ kind: 'DRIFT_CHECK', singletonKey: `schedule:drift_check:${slot.toISOString()}` });
    const again = (await t.app.services.scheduler.fire('drift_check', slot)) as { id: string };
    expect(again.id).toBe(job.id);
    const worker = await startTestApp({ database: t.db, env: { KYBERNET_DATA_DIR: t.dataDir } });
    try {
      const done = await until(
        'the DRIFT_CHECK job',
        async () => {
          const [row] = await t.dataSource.query(`SELECT status, result FROM jobs WHERE id = $1`, [job.id]);
          return row.status === 'COMPLETED' ? row : undefined;
        },
        60_000,
      );
      const results = done.result.results as { model: string; severity: string; driftEventId: string | null }[];
      expect(results.map((entry) => entry.model)).toEqual(['calm', 'losing', 'partial', 'shifty']);
      expect(results.find((entry) => entry.model === 'calm')).toMatchObject({ severity: 'NONE', driftEventId: null });
      expect(results.find((entry) => entry.model === 'shifty')).toMatchObject({ severity: 'HIGH' });
      const recorded = dataOf(await t.as('viewer')(DriftEventsDocument, { filter: { model: 'shifty', first: 1 } })).driftEvents.nodes[0];
      expect(recorded).toMatchObject({ trigger: 'SCHEDULE', checkJob: { id: job.id } });
    } finally {
      await worker.close();
    }
  });

  it('refuses bad requests with the field named and records nothing', async () => {
    const before = await driftRows();
    expect(errorOf(await t.as('operator')(CheckDriftDocument, { model: 'nope' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no registered model named "nope"',
    });
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'empty', family: 'xgboost' } }));
    expect(errorOf(await t.as('operator')(CheckDriftDocument, { model: 'empty' }))).toMatchObject({
      code: 'CONFLICT',
      message: `model "empty" has no ACTIVE version; drift is measured against the ACTIVE version's training data`,
    });
    expect(errorOf(await t.as('viewer')(CheckDriftDocument, { model: 'calm' })).code).toBe('FORBIDDEN');
    expect(errorOf(await t.as('viewer')(DriftEventsDocument, { filter: { first: 0 } }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects first to be an integer from 1 to 100, but got 0',
    });
    expect(errorOf(await t.as('viewer')(DriftEventsDocument, { filter: { model: 'nope' } })).code).toBe('NOT_FOUND');
    expect(await driftRows()).toBe(before);
  });
});
