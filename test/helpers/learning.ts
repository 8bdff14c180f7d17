/**
 * Shared steps of the learning-loop tests (shadow testing, drift, health): seeded data, training a
 * version over HTTP, predicting live requests and recording their outcomes, and waiting for state that
 * other processes or background evaluations bring about.
 */
import seedrandom from 'seedrandom';
import { PredictBatchDocument, RecordOutcomeDocument, TrainModelDocument } from '../generated/graphql';
import { startTestApp, type TestApp } from './app';
import { waitForJob } from './fixtures';
import { dataOf } from './graphql';

export const FEATURES = ['f0', 'f1', 'f2', 'f3'];
export const XGBOOST_PARAMS = { num_boost_round: 40, max_depth: 3, eta: 0.3, early_stopping_rounds: 0 };

/** A seeded standard normal source. */
export function normals(seed: string): () => number {
  const random = seedrandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** The tests' market: the next return is 0.01·(0.8·f0 − 0.5·f1), plus noise. */
export const signal = (f: number[]) => 0.01 * (0.8 * f[0] - 0.5 * f[1]);

/** Training rows { t, f0..f3, y } with standard normal features and y = target(features, noise). */
export function trainingRows(count: number, seed: string, target: (f: number[], noise: number) => number) {
  const normal = normals(seed);
  return Array.from({ length: count }, (_, i) => {
    const f = [normal(), normal(), normal(), normal()];
    return { t: i, f0: f[0], f1: f[1], f2: f[2], f3: f[3], y: target(f, 0.004 * normal()) };
  });
}

export interface LiveRequest {
  features: number[];
  actual: number;
}

/** Live requests: features shifted by `shift` (per feature, in standard deviations), outcomes from `outcome`. */
export function liveRequests(
  count: number,
  seed: string,
  options: { shift?: number[]; outcome?: (f: number[], noise: number) => number } = {},
): LiveRequest[] {
  const normal = normals(seed);
  const outcome = options.outcome ?? ((f, noise) => signal(f) + noise);
  return Array.from({ length: count }, () => {
    const f = [0, 1, 2, 3].map((j) => normal() + (options.shift?.[j] ?? 0));
    return { features: f, actual: outcome(f, 0.004 * normal()) };
  });
}

/** Trains a version of `model` on `dataset` (columns of `trainingRows`; XGBOOST_PARAMS unless given) and waits for it. */
export async function trainVersion(
  t: TestApp,
  model: string,
  dataset: string,
  options: { activate: boolean; seed: number; hyperparameters?: Record<string, unknown> },
) {
  const job = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model,
        dataset,
        targetColumn: 'y',
        featureColumns: FEATURES,
        orderColumn: 't',
        hyperparameters: { ...(options.hyperparameters ?? XGBOOST_PARAMS), seed: options.seed },
        activate: options.activate,
      },
    }),
  ).trainModel;
  const done = await waitForJob(t, job.id);
  if (done.status !== 'COMPLETED') throw new Error(`training ${model} on ${dataset}: ${done.status} ${done.error}`);
  return done.modelVersion!;
}

/** Polls `probe` until it returns something truthy. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function countRows(t: Pick<TestApp, 'dataSource'>, sql: string, parameters: unknown[] = []): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM (${sql}) AS q`, parameters);
  return row.n;
}

/** Predicts the requests as one batch; with `shadows`, waits until that many SHADOW versions scored each of them too. */
export async function predictRequests(t: TestApp, model: string, requests: LiveRequest[], shadows = 0) {
  const answers = dataOf(
    await t.as('trader')(PredictBatchDocument, { input: { model, rows: requests.map((request) => request.features) } }),
  ).predictBatch;
  const ids = answers.map((answer) => answer.id);
  if (shadows > 0) {
    await until(
      'the shadow predictions',
      async () =>
        (await countRows(
          t,
          `SELECT 1 FROM predictions s JOIN predictions a ON a.request_id = s.request_id AND a.id = ANY($1) WHERE s.role = 'SHADOW'`,
          [ids],
        )) ===
        ids.length * shadows,
    );
  }
  return answers;
}

/** recordOutcome for each answer, with its request's realised value. */
export async function recordOutcomes(t: TestApp, answers: { id: string }[], requests: LiveRequest[]): Promise<void> {
  for (const [i, answer] of answers.entries())
    dataOf(await t.as('trader')(RecordOutcomeDocument, { input: { predictionId: answer.id, actual: requests[i].actual } }));
}

/** For a test app started without a worker: a short-lived second replica that works jobs trains the version. */
export async function trainOnReplica(t: TestApp, model: string, dataset: string, options: { activate: boolean; seed: number }) {
  const replica = await startTestApp({ database: t.db, env: { KYBERNET_DATA_DIR: t.dataDir } });
  try {
    return await trainVersion(replica, model, dataset, options);
  } finally {
    await replica.close();
  }
}
