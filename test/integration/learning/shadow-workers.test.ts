/**
 * Shadows scored on the workers (policy.shadow_scoring.where = 'workers') over real HTTP and Postgres:
 * an API process without a worker answers predict and predictBatch and writes no SHADOW row; two
 * worker processes on the same database then score every ACTIVE prediction with every SHADOW version
 * from the predictions log — each request once per shadow, no batch read twice — and the shadow
 * tester promotes the better shadow and rejects the worse one from those rows, including pairs whose
 * outcomes were recorded before the workers scored their requests.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  PredictDocument,
  RegisteredModelDocument,
  ShadowEvaluationDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { GATE_OFF, startTestApp, type TestApp } from '../../helpers/app';
import { dataOf } from '../../helpers/graphql';
import {
  countRows,
  liveRequests,
  predictRequests,
  recordOutcomes,
  signal,
  trainingRows,
  trainVersion,
  until,
  type LiveRequest,
} from '../../helpers/learning';

jest.setTimeout(180_000);

let api: TestApp;
const workers: TestApp[] = [];
/** Another process on the API's database and artifact directory, working jobs (and so scoring shadows). */
const startWorker = () => startTestApp({ database: api.db, worker: true, env: { KYBERNET_DATA_DIR: api.dataDir } });

beforeAll(async () => {
  // The shadow tester on the workers judges a better and a worse shadow live: the gate before SHADOW is off here.
  api = await startTestApp({ worker: false, policy: GATE_OFF });
});
afterAll(async () => {
  for (const worker of workers) await worker.close();
  await api?.close();
});

const count = (sql: string, parameters: unknown[] = []) => countRows(api, sql, parameters);
const rowsOf = (role: 'ACTIVE' | 'SHADOW') =>
  count(`SELECT 1 FROM predictions p JOIN registered_models m ON m.id = p.registered_model_id WHERE m.name = 'wk' AND p.role = $1`, [role]);

/** predict one call at a time and several at once, and a predictBatch: every way the ACTIVE rows are written. */
async function predictWave(prefix: string, requests: LiveRequest[]): Promise<{ id: string }[]> {
  const third = Math.floor(requests.length / 3);
  const answers: { id: string }[] = [];
  for (const [i, request] of requests.slice(0, third).entries()) {
    answers.push(
      dataOf(await api.as('trader')(PredictDocument, { input: { model: 'wk', features: request.features, requestId: `${prefix}-${i}` } }))
        .predict,
    );
  }
  const together = await Promise.all(
    requests
      .slice(third, 2 * third)
      .map((request, i) =>
        api.as('trader')(PredictDocument, { input: { model: 'wk', features: request.features, requestId: `${prefix}-${third + i}` } }),
      ),
  );
  answers.push(...together.map((answer) => dataOf(answer).predict));
  answers.push(...(await predictRequests(api, 'wk', requests.slice(2 * third))));
  return answers;
}

it('scores every ACTIVE prediction with every shadow on the workers, none on the API, and promotes from those rows', async () => {
  dataOf(
    await api.as('operator')(UpdatePolicyPatchDocument, {
      patch: {
        shadow_scoring: { where: 'workers' },
        // A verdict needs the pairs of the last wave, whose outcomes are recorded before the workers score its requests.
        auto_promote_threshold: { min_samples: 350, max_samples: 1000, min_improvement_pct: 5, max_drawdown_pct: 50, significance: 0.01 },
        health: { min_win_rate: 0, critical_win_rate: 0, max_directional_bias: 1, max_latency_p99_ms: 1e6 },
      },
    }),
  );
  for (const [name, target] of [
    ['weak', (f: number[], noise: number) => 0.01 * 0.8 * f[2] + noise],
    ['true', (f: number[], noise: number) => signal(f) + noise],
    ['inverted', (f: number[], noise: number) => -signal(f) + noise],
  ] as const) {
    dataOf(await api.as('operator')(CreateDatasetDocument, { input: { name, rows: trainingRows(800, name, target) } }));
  }
  dataOf(await api.as('operator')(CreateRegisteredModelDocument, { input: { name: 'wk', family: 'xgboost' } }));
  // Trained by a worker that then stops: until the workers below start, no process scores shadows.
  const trainer = await startWorker();
  const v1 = await trainVersion(trainer, 'wk', 'weak', { activate: true, seed: 1 });
  const v2 = await trainVersion(trainer, 'wk', 'true', { activate: false, seed: 2 });
  const v3 = await trainVersion(trainer, 'wk', 'inverted', { activate: false, seed: 3 });
  await trainer.close();
  expect([v1.status, v2.status, v3.status]).toEqual(['ACTIVE', 'SHADOW', 'SHADOW']);

  // The API alone: answers, and not one shadow row (the shadows' 25 ms window passes many times over).
  const first = liveRequests(150, 'wave-1');
  const firstAnswers = await predictWave('wave-1', first);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(await rowsOf('ACTIVE')).toBe(150);
  expect(await rowsOf('SHADOW')).toBe(0);

  // Two workers; more requests arrive while they poll.
  workers.push(await startWorker(), await startWorker());
  const second = liveRequests(150, 'wave-2');
  const secondAnswers: { id: string }[] = [];
  for (let part = 0; part < 3; part++) {
    secondAnswers.push(...(await predictWave(`wave-2-${part}`, second.slice(50 * part, 50 * (part + 1)))));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await until('every request scored by both shadows', async () => (await rowsOf('SHADOW')) === 2 * 300, 60_000);
  const perShadow = await api.dataSource.query(
    `SELECT v.version, count(*)::int AS rows, count(DISTINCT p.request_id)::int AS requests
     FROM predictions p JOIN model_versions v ON v.id = p.model_version_id WHERE p.role = 'SHADOW' GROUP BY v.version ORDER BY v.version`,
  );
  expect(perShadow).toEqual([
    { version: 2, rows: 300, requests: 300 },
    { version: 3, rows: 300, requests: 300 },
  ]);
  // Each ACTIVE row was read by one worker once: the cursors counted exactly the rows there are.
  // (Version 1 was a SHADOW for the moment between its registration and its activation, when the trainer's
  // scoring pass may have made it a cursor; it never scored a row.)
  const cursors = await api.dataSource.query(
    `SELECT v.version, c.scored_rows::int AS scored FROM shadow_scoring_cursors c JOIN model_versions v ON v.id = c.model_version_id
      WHERE v.version > 1 ORDER BY v.version`,
  );
  expect(cursors).toEqual([
    { version: 2, scored: 300 },
    { version: 3, scored: 300 },
  ]);
  expect(
    await count(
      `SELECT 1 FROM predictions a WHERE a.role = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM predictions s WHERE s.request_id = a.request_id AND s.role = 'SHADOW')`,
    ),
  ).toBe(0);

  // Outcomes of the scored requests: 300 pairs, below min_samples.
  await recordOutcomes(api, [...firstAnswers, ...secondAnswers], [...first, ...second]);
  await until(
    '300 pairs judged',
    async () => dataOf(await api.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id })).shadowEvaluation.samples === 300,
  );
  // The last wave's outcomes come before the workers score its requests (they read rows some seconds old):
  // only the workers' writes can bring the tester the pairs it needs now.
  const third = liveRequests(100, 'wave-3');
  await recordOutcomes(api, await predictRequests(api, 'wk', third), third);
  const statuses = await until(
    'the verdicts',
    async () => {
      const model = dataOf(await api.as('viewer')(RegisteredModelDocument, { name: 'wk' })).registeredModel;
      const byVersion = model.versions.nodes.map((version) => [version.version, version.status]);
      return byVersion.some(([, status]) => status === 'SHADOW') ? undefined : byVersion;
    },
    60_000,
  );
  expect(statuses).toEqual([
    [3, 'REJECTED'],
    [2, 'ACTIVE'],
    [1, 'RETIRED'],
  ]);
  const promoted = dataOf(await api.as('viewer')(ShadowEvaluationDocument, { modelVersionId: v2.id })).shadowEvaluation;
  expect(promoted).toMatchObject({ decision: 'PROMOTE', outcome: 'PROMOTED' });
  expect(promoted.samples).toBeGreaterThanOrEqual(350);
  expect(api.logs.concat(...workers.map((worker) => worker.logs)).filter((line) => /shadow scoring/.test(line))).toEqual([]);
});
