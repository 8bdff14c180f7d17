/**
 * Shadow scoring under load over real HTTP: predict calls that queue for the ACTIVE version (answered in
 * shared batches) are scored by the SHADOW versions at policy.shadow_scoring.sample_rate_under_load; calls
 * one at a time, and predictBatch, are always scored. Every shadow scores the same requests.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  PredictBatchDocument,
  PredictDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { GATE_OFF, startTestApp, type TestApp } from '../../helpers/app';
import { dataOf } from '../../helpers/graphql';
import { countRows, liveRequests, signal, trainingRows, trainVersion, until } from '../../helpers/learning';

jest.setTimeout(120_000);

let t: TestApp;
beforeAll(async () => {
  // Calls wait up to 20 ms for others to share their session run: a burst queues however slowly a loaded machine lets its calls arrive.
  // Its shadows are retrainings on the same rows, no better than the ACTIVE version: the gate is off here.
  t = await startTestApp({ env: { KYBERNET_BATCH_WINDOW_MS: '20' }, policy: GATE_OFF });
  dataOf(
    await t.as('operator')(CreateDatasetDocument, {
      input: { name: 'rows', rows: trainingRows(600, 'sampling', (f, noise) => signal(f) + noise) },
    }),
  );
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'sampled', family: 'xgboost' } }));
  await trainVersion(t, 'sampled', 'rows', { activate: true, seed: 1 });
  await trainVersion(t, 'sampled', 'rows', { activate: false, seed: 2 });
  await trainVersion(t, 'sampled', 'rows', { activate: false, seed: 3 });
});
afterAll(async () => {
  await t?.close();
});

const shadowRowsOf = (requestIds: string[]) =>
  countRows(t, `SELECT 1 FROM predictions WHERE role = 'SHADOW' AND request_id = ANY($1)`, [requestIds]);
const shadowVersionsPerRequest = (requestIds: string[]) =>
  t.dataSource.query(
    `SELECT request_id, count(*)::int AS n FROM predictions WHERE role = 'SHADOW' AND request_id = ANY($1) GROUP BY request_id`,
    [requestIds],
  );

async function predictAtOnce(prefix: string, count: number): Promise<string[]> {
  const requests = liveRequests(count, prefix);
  const answers = await Promise.all(
    requests.map((request, i) =>
      t.as('trader')(PredictDocument, { input: { model: 'sampled', features: request.features, requestId: `${prefix}-${i}` } }),
    ),
  );
  return answers.map((answer) => dataOf(answer).predict.requestId);
}

it('scores queued calls at the policy rate — few at rate 0 (only calls that found the ACTIVE version idle), all at rate 1 — and single calls and batches in full', async () => {
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { shadow_scoring: { sample_rate_under_load: 0 } } }));
  const burst = await predictAtOnce('burst-0', 200);
  await new Promise((resolve) => setTimeout(resolve, 500)); // the shadows' 25 ms window, and more
  const scored = await shadowRowsOf(burst);
  expect(scored).toBeLessThan(2 * 200 * 0.5); // most calls queued behind others and went unscored

  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { shadow_scoring: { sample_rate_under_load: 1 } } }));
  const full = await predictAtOnce('burst-1', 200);
  await until('every shadow row', async () => (await shadowRowsOf(full)) === 2 * 200);
  expect((await shadowVersionsPerRequest(full)).every((row: { n: number }) => row.n === 2)).toBe(true);

  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { shadow_scoring: { sample_rate_under_load: 0 } } }));
  const single: string[] = [];
  for (let i = 0; i < 20; i++) single.push(...(await predictAtOnce(`single-${i}`, 1)));
  dataOf(
    await t.as('trader')(PredictBatchDocument, {
      input: { model: 'sampled', rows: liveRequests(50, 'batch').map((r) => r.features), requestId: 'batch' },
    }),
  );
  const ids = [...single, ...Array.from({ length: 50 }, (_, r) => `batch:${r}`)]; // a batch's rows are "{requestId}:{row}"
  await until('the shadow rows of single calls and the batch', async () => (await shadowRowsOf(ids)) === 2 * ids.length);
});
