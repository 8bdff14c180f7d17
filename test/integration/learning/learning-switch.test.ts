/**
 * The kill switch and the circuit breaker of automatic learning, on two replicas of one database
 * (a with the worker, b without): with policy learning.enabled off, or paused by pauseLearning, no
 * schedule firing, trade cycle, drift or health request queues a job while manual training and
 * retraining still work; three FAILED retraining jobs of a model pause it by themselves, with
 * `learning.paused` seen by a graphql-ws subscriber; pausing twice or resuming what is not paused
 * are CONFLICTs over HTTP; bad policy values are refused with the field named.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  EventsDocument,
  EventsFeedDocument,
  LearningStatusDocument,
  LogTradeExecutionDocument,
  LogTradeOutcomeDocument,
  PauseLearningDocument,
  PredictDocument,
  RegisteredModelDocument,
  ResumeLearningDocument,
  TrainModelDocument,
  TriggerRetrainingDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import type { RetrainingPlan } from '../../../src/learning/retraining.service';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { collect, dataOf, errorOf } from '../../helpers/graphql';
import { liveRequests, predictRequests, recordOutcomes, signal, trainingRows, trainVersion, until } from '../../helpers/learning';

const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const HYPERPARAMETERS = { num_boost_round: 10, max_depth: 3, seed: 1 };

let a: TestApp;
let b: TestApp;
let slotMinute = 0;

async function train(model: string) {
  const job = dataOf(
    await a.as('operator')(TrainModelDocument, {
      input: {
        model,
        dataset: 'ks-rows',
        targetColumn: 'y',
        featureColumns: FEATURES,
        orderColumn: 't',
        hyperparameters: HYPERPARAMETERS,
        activate: true,
      },
    }),
  ).trainModel;
  return waitForJob(a, job.id);
}

async function patchPolicy(patch: Record<string, unknown>) {
  return dataOf(await a.as('operator')(UpdatePolicyPatchDocument, { patch })).updatePolicy;
}

/** Sets the policy on a and waits until replica b reads it too (its cache is dropped on `policy.updated`). */
async function policyEverywhere(patch: Record<string, unknown>) {
  const { version } = await patchPolicy(patch);
  await until('replica b to read the new policy', async () => (await b.app.services.policy.current()).version === version);
}

const jobCount = async () => Number((await a.dataSource.query(`SELECT count(*)::int AS n FROM jobs`))[0].n);

/** A full-retraining firing of a fresh slot on `t`, as the timer would run it. */
async function fireFullRetraining(t: TestApp): Promise<RetrainingPlan> {
  slotMinute += 1;
  return (await t.app.services.scheduler.fire('full_retraining', new Date(Date.UTC(2031, 0, 1, 0, slotMinute)))) as RetrainingPlan;
}

/** What drift (trigger DRIFT) and health (trigger PERFORMANCE) ask of the retraining orchestrator on `t`. */
function automaticRequests(t: TestApp, model: string) {
  return Promise.all([
    t.app.services.retraining.requestRetraining({ kind: 'PARTIAL', models: [model], trigger: 'DRIFT', reason: 'drift MEDIUM (test)' }),
    t.app.services.retraining.requestRetraining({
      kind: 'PARTIAL',
      models: [model],
      trigger: 'PERFORMANCE',
      reason: 'health DEGRADED (test)',
    }),
  ]);
}

let tradeNumber = 0;
/** Closes `trades` trades on model `model`'s predictions; returns the learning.triggered payloads their cycle(s) appended. */
async function closeTrades(model: string, trades: number) {
  const [{ id: after }] = await a.dataSource.query(`SELECT coalesce(max(id), 0)::text AS id FROM events`);
  for (let i = 0; i < trades; i++) {
    const id = `ks-trade-${++tradeNumber}`;
    const prediction = dataOf(await a.as('trader')(PredictDocument, { input: { model, features: [0.3, -0.2, 0.1, 0.4] } })).predict;
    dataOf(
      await a.as('trader')(LogTradeExecutionDocument, {
        input: {
          clientTradeId: id,
          symbol: 'SPY',
          side: 'LONG',
          quantity: 1,
          entryPrice: 100,
          entryTime: '2024-03-01T14:30:00.000Z',
          predictionIds: [prediction.id],
        },
      }),
    );
    dataOf(
      await a.as('trader')(LogTradeOutcomeDocument, { input: { clientTradeId: id, exitPrice: 101, exitTime: '2024-03-02T14:30:00.000Z' } }),
    );
  }
  const rows: { payload: { jobIds: string[]; skipped?: { model: string; reason: string }[] } }[] = await a.dataSource.query(
    `SELECT payload FROM events WHERE type = 'learning.triggered' AND id > $1 ORDER BY id`,
    [after],
  );
  return rows.map((row) => row.payload);
}

/** A job that fails at once: an INCREMENTAL update on a dataset without the model's columns, as an automatic cause would queue it. */
async function failingJob(model: string) {
  const [{ id: registeredModelId }] = await a.dataSource.query(`SELECT id FROM registered_models WHERE name = $1`, [model]);
  const job = await a.app.services.jobs.enqueue({
    kind: 'INCREMENTAL',
    trigger: 'TRADES',
    reason: 'an update that cannot run (test)',
    registeredModelId,
    modelName: model,
    payload: { model, dataset: 'ks-unrelated' },
  });
  const done = await waitForJob(a, job.id);
  expect(done).toMatchObject({ status: 'FAILED' });
  return job.id;
}

beforeAll(async () => {
  a = await startTestApp();
  b = await startTestApp({ database: a.db, worker: false, env: { KYBERNET_DATA_DIR: a.dataDir } });
  dataOf(await a.as('operator')(CreateDatasetDocument, { input: { name: 'ks-rows', rows: syntheticRows(300, 7) } }));
  dataOf(await a.as('operator')(CreateDatasetDocument, { input: { name: 'ks-unrelated', csv: 'k,z\n1,0.5\n2,0.25\n' } }));
  for (const model of ['ks-alpha', 'ks-beta']) {
    dataOf(await a.as('operator')(CreateRegisteredModelDocument, { input: { name: model, family: 'xgboost' } }));
    expect(await train(model)).toMatchObject({ status: 'COMPLETED', modelVersion: { status: 'ACTIVE' } });
  }
  await policyEverywhere({ learning: { min_trades_for_update: 2 } });
}, 180_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('the policy', () => {
  it.each([
    [{ learning: { enabled: 'no' } }, 'learning.enabled', 'policy learning.enabled: expects a boolean, but got "no"'],
    [
      { learning: { triggers: { drift: { enabled: 1 } } } },
      'learning.triggers.drift.enabled',
      'policy learning.triggers.drift.enabled: expects a boolean, but got 1',
    ],
    [
      { learning: { triggers: { trade: { enabled: false } } } },
      'learning.triggers.trade',
      'policy learning.triggers.trade: expects a setting of section learning.triggers (trades, drift, health)',
    ],
    [
      { schedule_interval: { full_retraining_enabled: null } },
      'schedule_interval.full_retraining_enabled',
      'expects a boolean, but got null',
    ],
    [
      { safety: { max_consecutive_failures: 0 } },
      'safety.max_consecutive_failures',
      'policy safety.max_consecutive_failures: expects a number >= 1, but got 0',
    ],
    [{ safety: { max_consecutive_failures: 2.5 } }, 'safety.max_consecutive_failures', 'expects a whole number, but got 2.5'],
  ])('refuses %j naming %s', async (patch, field, message) => {
    const error = errorOf(await a.as('operator')(UpdatePolicyPatchDocument, { patch }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field } });
    expect(error.message).toContain(message);
  });

  it('has the defaults documented in src/config/policy.ts', async () => {
    const document = await a.app.services.policy.document();
    expect(document.learning).toMatchObject({
      enabled: true,
      triggers: { trades: { enabled: true }, drift: { enabled: true }, health: { enabled: true } },
    });
    expect(document.schedule_interval.full_retraining_enabled).toBe(true);
    expect(document.safety).toEqual({ max_consecutive_failures: 3, automatic_rollback: true });
  });
});

describe('with policy learning.enabled false', () => {
  beforeAll(() => policyEverywhere({ learning: { enabled: false, min_trades_for_update: 2 } }), 30_000);
  afterAll(() => policyEverywhere({ learning: { enabled: true, min_trades_for_update: 2 } }), 30_000);

  it('queues no job for a schedule firing, a trade cycle, or a drift or health request — on either replica', async () => {
    const before = await jobCount();
    for (const t of [a, b]) {
      const plan = await fireFullRetraining(t);
      expect(plan.jobs).toEqual([]);
      expect(plan.skipped).toEqual(
        ['ks-alpha', 'ks-beta'].map((model) => ({ model, reason: 'automatic learning is paused (policy learning.enabled is false)' })),
      );
      for (const request of await automaticRequests(t, 'ks-alpha'))
        expect(request).toEqual({
          jobs: [],
          skipped: [{ model: 'ks-alpha', reason: expect.stringContaining('learning.enabled is false') }],
        });
    }
    const cycles = await closeTrades('ks-alpha', 2);
    expect(cycles).toEqual([
      expect.objectContaining({
        jobIds: [],
        skipped: [{ model: 'ks-alpha', reason: expect.stringContaining('learning.enabled is false') }],
      }),
    ]);
    expect(await jobCount()).toBe(before);
    expect(dataOf(await a.as('viewer')(LearningStatusDocument)).learningStatus).toMatchObject({
      enabled: false,
      policyEnabled: false,
      pausedAt: null,
    });
  }, 60_000);

  it('holds automatic promotion, and still trains and retrains by hand', async () => {
    const [{ id }] = await a.dataSource.query(`SELECT id FROM registered_models WHERE name = 'ks-alpha'`);
    expect(await a.app.services.learningSwitch.promotionHold(id)).toBe('automatic learning is paused (policy learning.enabled is false)');
    expect(await train('ks-alpha')).toMatchObject({ status: 'COMPLETED' });
    const plan = dataOf(
      await a.as('operator')(TriggerRetrainingDocument, {
        input: { kind: 'PARTIAL', models: ['ks-alpha'], reason: 'by hand while paused' },
      }),
    ).triggerRetraining;
    expect(plan.jobs).toHaveLength(1);
    expect(await waitForJob(a, plan.jobs[0].id)).toMatchObject({ status: 'COMPLETED' });
  }, 60_000);
});

describe('each cause on its own', () => {
  it('learning.triggers and schedule_interval.full_retraining_enabled turn off only their cause', async () => {
    await policyEverywhere({
      learning: {
        min_trades_for_update: 2,
        triggers: { trades: { enabled: false }, drift: { enabled: false }, health: { enabled: true } },
      },
      schedule_interval: { full_retraining_enabled: false },
    });
    const schedules = await a.app.services.scheduler.states();
    expect(schedules.find((schedule) => schedule.name === 'full_retraining')).toMatchObject({ timing: null });
    expect((await fireFullRetraining(b)).jobs).toEqual([]);
    const [drift, health] = await automaticRequests(b, 'ks-beta');
    expect(drift.skipped[0].reason).toBe('this cause of automatic learning is off (policy learning.triggers.drift.enabled is false)');
    expect(health.jobs).toHaveLength(1);
    const [cycle] = await closeTrades('ks-beta', 2);
    expect(cycle).toMatchObject({
      jobIds: [],
      skipped: [{ model: 'ks-beta', reason: expect.stringContaining('learning.triggers.trades.enabled') }],
    });
    expect(await waitForJob(a, health.jobs[0].id)).toMatchObject({ status: 'COMPLETED' });
    // A setting inside a section is replaced whole: triggers {} is every trigger's default again.
    await policyEverywhere({ learning: { min_trades_for_update: 2, triggers: {} }, schedule_interval: { full_retraining_enabled: true } });
    expect((await a.app.services.policy.document()).learning.triggers).toEqual({
      trades: { enabled: true },
      drift: { enabled: true },
      health: { enabled: true },
    });
  }, 90_000);
});

describe('pauseLearning and resumeLearning', () => {
  it('pause every model once (a second pause is a CONFLICT saying since when and why), hold every replica, resume once', async () => {
    expect(errorOf(await a.as('trader')(PauseLearningDocument, { reason: 'not mine' })).code).toBe('FORBIDDEN');
    const paused = dataOf(await a.as('operator')(PauseLearningDocument, { reason: 'market closed for the holidays' })).pauseLearning;
    expect(paused).toMatchObject({ enabled: false, pausedBy: 'test operator', reason: 'market closed for the holidays' });
    const again = errorOf(await a.as('operator')(PauseLearningDocument, { reason: 'again' }));
    expect(again).toMatchObject({ code: 'CONFLICT', extensions: { reason: 'LEARNING_ALREADY_PAUSED' } });
    expect(again.message).toBe(
      `automatic learning is already paused since ${paused.pausedAt} by test operator: market closed for the holidays; resume it with resumeLearning`,
    );
    // Read from the database on every check: the other replica holds at once.
    const before = await jobCount();
    expect((await fireFullRetraining(b)).jobs).toEqual([]);
    for (const request of await automaticRequests(b, 'ks-alpha'))
      expect(request.skipped[0].reason).toContain('market closed for the holidays');
    expect((await closeTrades('ks-alpha', 2))[0]).toMatchObject({
      jobIds: [],
      skipped: [{ reason: expect.stringContaining('by test operator') }],
    });
    expect(await jobCount()).toBe(before);
    expect(await train('ks-alpha')).toMatchObject({ status: 'COMPLETED' });

    const resumed = dataOf(await a.as('operator')(ResumeLearningDocument, { reason: 'back' })).resumeLearning;
    expect(resumed).toMatchObject({ enabled: true, pausedAt: null });
    const notPaused = errorOf(await a.as('operator')(ResumeLearningDocument, { reason: 'again' }));
    expect(notPaused).toMatchObject({ code: 'CONFLICT', extensions: { reason: 'LEARNING_NOT_PAUSED' } });
    expect(notPaused.message).toBe('automatic learning is not paused by pauseLearning; nothing to resume');
    const notPausedModel = errorOf(await a.as('operator')(ResumeLearningDocument, { reason: 'again', model: 'ks-alpha' }));
    expect(notPausedModel).toMatchObject({ code: 'CONFLICT', extensions: { reason: 'LEARNING_NOT_PAUSED', field: 'model' } });
    expect(errorOf(await a.as('operator')(ResumeLearningDocument, { reason: 'x', model: 'no-such-model' })).code).toBe('NOT_FOUND');

    const events = await a.dataSource.query(
      `SELECT type, payload FROM events WHERE type IN ('learning.paused', 'learning.resumed') AND model_name IS NULL ORDER BY id`,
    );
    expect(events).toEqual([
      {
        type: 'learning.paused',
        payload: {
          model: null,
          reason: 'market closed for the holidays',
          pausedBy: 'test operator',
          jobIds: [],
          consecutiveFailures: null,
        },
      },
      {
        type: 'learning.resumed',
        payload: expect.objectContaining({
          model: null,
          reason: 'back',
          resumedBy: 'test operator',
          pausedReason: 'market closed for the holidays',
        }),
      },
    ]);
    const audited = await a.dataSource.query(
      `SELECT operation, outcome FROM audit_log WHERE operation IN ('pauseLearning', 'resumeLearning') ORDER BY id`,
    );
    expect(audited.slice(0, 4)).toEqual([
      { operation: 'pauseLearning', outcome: 'OK' },
      { operation: 'pauseLearning', outcome: 'CONFLICT' },
      { operation: 'resumeLearning', outcome: 'OK' },
      { operation: 'resumeLearning', outcome: 'CONFLICT' },
    ]);
    const full = await fireFullRetraining(b);
    expect(full.jobs).toHaveLength(2);
    for (const job of full.jobs) await waitForJob(a, job.id);
  }, 120_000);
});

describe('the circuit breaker', () => {
  it('a success resets the count; three FAILED retraining jobs in a row pause the model by themselves', async () => {
    const ws = a.ws('viewer');
    const [{ id: after }] = await a.dataSource.query(`SELECT coalesce(max(id), 0)::text AS id FROM events`);
    const seen = collect(ws, EventsFeedDocument, { types: ['job.failed', 'learning.paused'], model: 'ks-beta', after }, (items) =>
      items.some((item) => item.events.type === 'learning.paused'),
    );

    const first = [await failingJob('ks-beta'), await failingJob('ks-beta')];
    const success = dataOf(
      await a.as('operator')(TriggerRetrainingDocument, { input: { kind: 'PARTIAL', models: ['ks-beta'], reason: 'works' } }),
    ).triggerRetraining.jobs[0];
    expect(await waitForJob(a, success.id)).toMatchObject({ status: 'COMPLETED' });
    expect(
      await a.dataSource.query(
        `SELECT consecutive_failures, paused_at FROM model_learning_states s JOIN registered_models m ON m.id = s.registered_model_id WHERE m.name = 'ks-beta'`,
      ),
    ).toEqual([{ consecutive_failures: 0, paused_at: null }]);
    const failed = [await failingJob('ks-beta'), await failingJob('ks-beta'), await failingJob('ks-beta')];
    expect(first).toHaveLength(2);

    const items = await seen;
    const types = items.map((item) => item.events.type);
    expect(types).toEqual(['job.failed', 'job.failed', 'job.failed', 'job.failed', 'job.failed', 'learning.paused']);
    const event = items.at(-1)!.events as unknown as { payload: { reason: string } };
    expect(event.payload).toMatchObject({ model: 'ks-beta', pausedBy: 'circuit breaker', jobIds: failed, consecutiveFailures: 3 });
    expect(event.payload.reason).toMatch(
      /^3 retraining jobs of "ks-beta" failed in a row \(policy safety.max_consecutive_failures 3\); the last, INCREMENTAL job /,
    );
    await ws.dispose();

    const status = dataOf(await a.as('viewer')(LearningStatusDocument)).learningStatus;
    expect(status).toMatchObject({
      enabled: true,
      pausedModels: [{ model: 'ks-beta', pausedBy: 'circuit breaker', jobIds: failed, consecutiveFailures: 3 }],
    });
    // The transaction that failed the third job paused the model: the event is in the log with it.
    const [{ job_id: jobId }] = await a.dataSource.query(
      `SELECT job_id FROM events WHERE type = 'learning.paused' AND model_name = 'ks-beta'`,
    );
    expect(jobId).toBe(failed[2]);
  }, 120_000);

  it('while a model is paused, nothing automatic queues a job for it (others learn on), and manual operations work', async () => {
    const before = await jobCount();
    const plan = await fireFullRetraining(b);
    expect(plan.jobs.map((job) => job.payload.model)).toEqual(['ks-alpha']);
    expect(plan.skipped).toEqual([{ model: 'ks-beta', reason: expect.stringContaining('by circuit breaker: 3 retraining jobs') }]);
    const paused = {
      model: 'ks-beta',
      reason: expect.stringMatching(/^automatic learning of this model is paused since \S+ by circuit breaker: 3 /),
    };
    for (const request of await automaticRequests(b, 'ks-beta')) expect(request).toEqual({ jobs: [], skipped: [paused] });
    expect((await closeTrades('ks-beta', 2))[0]).toMatchObject({ jobIds: [], skipped: [paused] });
    expect(await jobCount()).toBe(before + 1);
    const [{ id }] = await a.dataSource.query(`SELECT id FROM registered_models WHERE name = 'ks-beta'`);
    expect(await a.app.services.learningSwitch.promotionHold(id)).toContain('automatic learning of this model is paused');

    expect(await train('ks-beta')).toMatchObject({ status: 'COMPLETED' });
    const manual = dataOf(
      await a.as('operator')(TriggerRetrainingDocument, { input: { kind: 'PARTIAL', models: ['ks-beta'], reason: 'by hand' } }),
    ).triggerRetraining;
    expect(await waitForJob(a, manual.jobs[0].id)).toMatchObject({ status: 'COMPLETED' });
    await waitForJob(a, plan.jobs[0].id);
    // A success resets the count, but the pause stays until an operator resumes the model.
    expect(dataOf(await a.as('viewer')(LearningStatusDocument)).learningStatus.pausedModels).toMatchObject([
      { model: 'ks-beta', consecutiveFailures: 0 },
    ]);
  }, 120_000);

  it('resumeLearning(model) resumes that model once', async () => {
    const again = errorOf(await a.as('operator')(PauseLearningDocument, { reason: 'twice', model: 'ks-beta' }));
    expect(again).toMatchObject({ code: 'CONFLICT', extensions: { reason: 'LEARNING_ALREADY_PAUSED', field: 'model' } });
    expect(again.message).toMatch(/^automatic learning of "ks-beta" is already paused since \S+ by circuit breaker: 3 retraining jobs/);
    const resumed = dataOf(
      await a.as('operator')(ResumeLearningDocument, { reason: 'fixed the dataset', model: 'ks-beta' }),
    ).resumeLearning;
    expect(resumed.pausedModels).toEqual([]);
    expect(errorOf(await a.as('operator')(ResumeLearningDocument, { reason: 'again', model: 'ks-beta' })).code).toBe('CONFLICT');
    const [drift] = await automaticRequests(b, 'ks-beta');
    expect(drift.jobs).toHaveLength(1);
    await waitForJob(a, drift.jobs[0].id);
  }, 60_000);
});

describe('automatic promotion', () => {
  it('while learning is paused a shadow that would be promoted is only recommended (heldBy says why); resuming promotes it', async () => {
    for (const [name, target] of [
      ['ks-weak', (f: number[], noise: number) => 0.01 * 0.8 * f[2] + noise],
      ['ks-true', (f: number[], noise: number) => signal(f) + noise],
    ] as const)
      dataOf(await a.as('operator')(CreateDatasetDocument, { input: { name, rows: trainingRows(800, name, target) } }));
    await policyEverywhere({
      auto_promote_threshold: { min_samples: 50, max_samples: 1000, min_improvement_pct: 5, max_drawdown_pct: 50, significance: 0.01 },
    });
    dataOf(await a.as('operator')(CreateRegisteredModelDocument, { input: { name: 'ks-shadow', family: 'xgboost' } }));
    await trainVersion(a, 'ks-shadow', 'ks-weak', { activate: true, seed: 1 });
    const shadow = await trainVersion(a, 'ks-shadow', 'ks-true', { activate: false, seed: 2 });
    expect(shadow.status).toBe('SHADOW');
    dataOf(await a.as('operator')(PauseLearningDocument, { reason: 'hold promotions' }));

    const requests = liveRequests(120, 'ks-live');
    const answers = await predictRequests(a, 'ks-shadow', requests, 1);
    await recordOutcomes(a, answers, requests);
    const recommended = await until('the recommendation', async () => {
      const { events } = dataOf(await a.as('viewer')(EventsDocument, { model: 'ks-shadow', types: ['shadow.promotion.recommended'] }));
      return events[0];
    });
    expect(recommended.payload).toMatchObject({
      version: 2,
      automatic: false,
      heldBy: expect.stringMatching(/^automatic learning is paused since \S+ by test operator: hold promotions$/),
    });
    const versions = async () =>
      dataOf(await a.as('viewer')(RegisteredModelDocument, { name: 'ks-shadow' })).registeredModel.versions.nodes.map((version) => [
        version.version,
        version.status,
      ]);
    expect(await versions()).toEqual([
      [2, 'SHADOW'],
      [1, 'ACTIVE'],
    ]);

    dataOf(await a.as('operator')(ResumeLearningDocument, { reason: 'promotions may go on' }));
    await until('the promotion after the resume', async () => (await versions())[0][1] === 'ACTIVE');
    expect(await versions()).toEqual([
      [2, 'ACTIVE'],
      [1, 'RETIRED'],
    ]);
  }, 180_000);
});
