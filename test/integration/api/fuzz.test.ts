/**
 * Fuzz of every mutation over real HTTP with an admin key: arguments generated from the mutation's
 * GraphQL input types (test/helpers/graphql-arbitraries.ts — huge, NUL and unicode strings, extreme
 * numbers, deep and wide JSON, long lists, wrong types, mixed with names and ids that exist), and
 * for the mutations with a valid example below, also values near it (one or two fields replaced) so
 * that calls reach deep into the services. Every
 * answer must be a success or a coded refusal (BAD_USER_INPUT, NOT_FOUND, CONFLICT) — never
 * INTERNAL_SERVER_ERROR, never an uncoded error, never an HTTP status other than 200, 400 or 413 —
 * and a refused call must leave every table as it was (row counts of all tables, and the state of
 * trades, versions and models).
 *
 * The mutations are enumerated from the schema, so a new mutation is fuzzed without a change here
 * (from its types; add an example to fuzz it deeper; an input type the generator does not know fails
 * loudly). Runs are seeded: FUZZ_SEED reproduces a
 * run (the seed is printed on failure), FUZZ_RUNS sets the runs per mutation (default 10, about 300
 * calls in all).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildSchema, type GraphQLField } from 'graphql';
import { kybernetSchema } from '../../../src/server/schema';
import { CreateDatasetDocument, ImportModelDocument, LogTradeExecutionDocument, PredictDocument } from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { fuzzedArguments, operationFor, type KnownValues } from '../../helpers/graphql-arbitraries';
import { dataOf } from '../../helpers/graphql';
import { readSharedJson, readSharedText } from '../../helpers/shared';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_301);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const CODED = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT']);
const MODEL = 'fuzz-model';

// The committed SDL is the built schema's (test/unit/schema keeps it current; the first test below
// checks the mutation list against the live schema), read synchronously so that each mutation is a test.
const sdl = buildSchema(readFileSync(join(__dirname, '../../../src/schema/schema.graphql'), 'utf8'));
const mutations = Object.values(sdl.getMutationType()!.getFields()).sort((a, b) => a.name.localeCompare(b.name));

/**
 * Tables written in the background after a successful call (health and shadow re-assessment after
 * outcomes) or on every call (the audit log records refused mutations too): left out of the
 * "nothing written" comparison. Events are compared without the background shadow verdicts.
 */
const BACKGROUND_TABLES = new Set(['audit_log', 'model_health_states', 'shadow_tests', 'migrations', 'typeorm_metadata']);

let t: TestApp;
let snapshotSql = '';
const known: KnownValues = { strings: [], ids: [] };
/** Valid arguments per mutation (filled in beforeAll, once the ids they name exist). */
const examples: Record<string, Record<string, unknown>> = {};

async function snapshot(): Promise<Record<string, unknown>> {
  const [row] = await t.dataSource.query(snapshotSql);
  return row;
}

beforeAll(async () => {
  t = await startTestApp({ worker: false });
  const expected = readSharedJson<{ feature_names: string[] }>('fixtures/xgboost/regression.expected.json');
  const version = dataOf(
    await t.as('operator')(ImportModelDocument, {
      input: {
        name: MODEL,
        family: 'xgboost',
        format: 'xgboost-json',
        files: [{ path: 'model.json', contentBase64: Buffer.from(readSharedText('fixtures/xgboost/regression.json')).toString('base64') }],
        featureNames: expected.feature_names,
        activate: true,
      },
    }),
  ).importModel;
  const prediction = dataOf(
    await t.as('trader')(PredictDocument, { input: { model: MODEL, features: expected.feature_names.map(() => 0.01) } }),
  ).predict;
  dataOf(
    await t.as('trader')(LogTradeExecutionDocument, {
      input: {
        clientTradeId: 'fuzz-trade',
        symbol: 'SPY',
        side: 'LONG',
        quantity: 10,
        entryPrice: 100,
        entryTime: '2024-03-01T14:30:00Z',
        predictionIds: [prediction.id],
      },
    }),
  );
  const rows = Array.from({ length: 30 }, (_, i) =>
    Object.fromEntries([...expected.feature_names.map((name, j) => [name, Math.sin(i + j)]), ['target', i % 3], ['t', i]]),
  );
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'fuzz-dataset', rows } }));
  known.strings = [
    MODEL,
    'xgboost',
    'lightgbm',
    'rl_meta_strategy',
    'xgboost-json',
    'onnx',
    'model.json',
    'SPY',
    '1d',
    'fuzz-trade',
    'fuzz-dataset',
    'target',
    't',
    'LONG',
    ...expected.feature_names,
  ];
  known.ids = [prediction.id, version.id];
  for (let i = 1; i <= 5; i++) {
    dataOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: {
          clientTradeId: `fuzz-open-${i}`,
          symbol: 'SPY',
          side: 'SHORT',
          quantity: 5,
          entryPrice: 50,
          entryTime: '2024-03-01T14:30:00Z',
        },
      }),
    );
  }
  known.strings.push('fuzz-open-1', 'fuzz-open-2', 'fuzz-open-3');
  const features = expected.feature_names.map(() => 0.01);
  const entryTime = '2024-03-01T14:30:00Z';
  Object.assign(examples, {
    checkDrift: { model: MODEL },
    createApiKey: { role: 'VIEWER', name: 'fuzz key' },
    createDataset: {
      input: {
        name: 'fuzz-new-dataset',
        description: 'made by the fuzz',
        rows: [
          { a: 1, b: 2 },
          { a: 2, b: 3 },
        ],
        columns: [{ name: 'a', type: 'NUMBER' }],
      },
    },
    createRegisteredModel: { input: { name: 'fuzz-new-model', family: 'xgboost', description: 'd', tags: { team: 'fuzz' } } },
    createRlAgent: { input: { name: 'fuzz-agent', family: 'rl_meta_strategy', description: 'd', hyperparameters: {} } },
    importModel: {
      input: {
        name: 'fuzz-import',
        family: 'xgboost',
        format: 'xgboost-json',
        files: [{ path: 'model.json', contentBase64: Buffer.from(readSharedText('fixtures/xgboost/regression.json')).toString('base64') }],
        featureNames: expected.feature_names,
        activate: false,
      },
    },
    ingestBars: {
      input: {
        bars: [
          { symbol: 'SPY', timeframe: '1d', timestamp: '2024-03-01T00:00:00Z', open: 100, high: 101, low: 99, close: 100.5, volume: 1000 },
        ],
      },
    },
    logTradeExecution: {
      input: {
        clientTradeId: 'fuzz-exec',
        symbol: 'SPY',
        side: 'LONG',
        quantity: 10,
        entryPrice: 100,
        entryTime,
        predictionIds: [prediction.id],
        features: { ret_1: 0.01 },
        decision: { rule: 'fuzz' },
        strategy: 'momentum',
        modelConfidence: 0.6,
      },
    },
    logTradeOutcome: {
      input: {
        clientTradeId: 'fuzz-open-1',
        exitPrice: 49,
        exitTime: '2024-03-02T14:30:00Z',
        fees: 1,
        maxDrawdown: 0.01,
        exitReason: 'target',
        takeProfitHit: true,
      },
    },
    positionSizeMultiplier: {
      input: {
        symbol: 'SPY',
        baseSize: 1,
        strategyConfidence: 0.6,
        regime: 'TRENDING',
        realizedVolatility: 0.2,
        payoffRatio: 1.5,
        stopDistance: 0.02,
        portfolio: { equity: 100_000, currentDrawdown: 0.05, openPositions: 1, grossExposure: 0.5, pnlPercent7d: 1 },
      },
    },
    predict: { input: { model: MODEL, features, requestId: 'fuzz-request' } },
    predictBatch: { input: { model: MODEL, rows: [features, features], requestId: 'fuzz-batch' } },
    promoteModel: { input: { model: MODEL, version: 1, reason: 'fuzz' } },
    recordOutcome: { input: { predictionId: prediction.id, actual: 0.01 } },
    retireModel: { input: { model: MODEL, reason: 'fuzz' } },
    rollbackModel: { input: { model: MODEL, reason: 'fuzz' } },
    selectStrategy: { state: { regime: 'TRENDING', volatility: 'LOW', liquidity: 'HIGH', performance: 'GOOD' } },
    signalRegimeChange: { regime: 'TRENDING' },
    strategyWeights: {
      input: {
        regime: 'TRENDING',
        floor: 0.05,
        strategies: [
          { strategy: 'TREND_FOLLOW', confidence: 0.6 },
          { strategy: 'MEAN_REVERSION', confidence: 0.4 },
        ],
        market: { annualizedVolatility: 0.2, volumePercentile: 0.5 },
      },
    },
    tradePrediction: { input: { symbol: 'SPY', features: { ret_1: 0.01 }, positionValue: 10_000, asOf: '2024-03-05T00:00:00Z' } },
    trainModel: {
      input: {
        model: MODEL,
        dataset: 'fuzz-dataset',
        targetColumn: 'target',
        featureColumns: expected.feature_names,
        orderColumn: 't',
        hyperparameters: { num_boost_round: 5 },
      },
    },
    triggerRetraining: { input: { kind: 'FULL', models: [MODEL], reason: 'fuzz' } },
    tuneModel: { input: { model: MODEL, trials: 3, seed: 1 } },
    updatePolicy: { patch: { learning: { min_trades_for_update: 20 } } },
  });

  const tables: { name: string }[] = await t.dataSource.query(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const counted = tables.map(({ name }) => name).filter((name) => !BACKGROUND_TABLES.has(name));
  snapshotSql = `SELECT ${[
    ...counted.map((name) =>
      name === 'events'
        ? `(SELECT count(*)::int FROM events WHERE type NOT LIKE 'shadow.%') AS events`
        : `(SELECT count(*)::int FROM ${name}) AS ${name}`,
    ),
    `(SELECT md5(coalesce(string_agg(concat_ws('|', id, status, pnl, exit_price), ',' ORDER BY id), '')) FROM trades) AS trades_state`,
    `(SELECT md5(coalesce(string_agg(concat_ws('|', id, status), ',' ORDER BY id), '')) FROM model_versions) AS versions_state`,
    `(SELECT md5(coalesce(string_agg(concat_ws('|', id, revision), ',' ORDER BY id), '')) FROM registered_models) AS models_state`,
  ].join(', ')}`;
});

/** Successes and refusals per mutation; FUZZ_STATS=1 prints them (to see how far the generated calls get). */
const tally = new Map<string, { ok: number; refused: number; codes: Record<string, number> }>();

afterAll(async () => {
  if (process.env.FUZZ_STATS)
    console.log(
      [...tally].map(([name, { ok, refused, codes }]) => `${name}: ${ok} ok, ${refused} refused ${JSON.stringify(codes)}`).join('\n'),
    );
  await t?.close();
});

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | null;
  text: string;
}

async function post(query: string, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(t.http.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.admin}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Answer['body'] = null;
  try {
    body = JSON.parse(text);
  } catch {
    // judged below: a body that is not JSON is a failure
  }
  return { status: response.status, body, text };
}

/** 'ok' for a success, 'refused' for a coded refusal; throws on anything else. */
function judge(answer: Answer): 'ok' | 'refused' {
  const shown = answer.text.slice(0, 600);
  if (![200, 400, 413].includes(answer.status)) throw new Error(`HTTP ${answer.status}: ${shown}`);
  if (!answer.body) throw new Error(`a body that is not JSON: ${shown}`);
  const errors = answer.body.errors ?? [];
  if (errors.length === 0) {
    if (answer.status !== 200 || answer.body.data == null) throw new Error(`neither data nor errors: ${shown}`);
    return 'ok';
  }
  for (const error of errors) {
    const code = error.extensions?.code;
    if (!code || !CODED.has(code)) throw new Error(`an error coded ${code ?? 'nothing'}: ${JSON.stringify(error).slice(0, 600)}`);
    if (error.message.length > 2_500) throw new Error(`a message of ${error.message.length} characters`);
  }
  return 'refused';
}

/** The variables as a failure report shows them: every string cut to 80 characters. */
function shortened(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    typeof v === 'string' && v.length > 80
      ? `${v.slice(0, 80)}…(${v.length})`
      : Array.isArray(v) && v.length > 8
        ? [...v.slice(0, 8), `…(${v.length} items)`]
        : v,
  ).slice(0, 3_000);
}

it('fuzzes every mutation the live schema has', async () => {
  const live = Object.keys((await kybernetSchema()).getMutationType()!.getFields()).sort();
  expect(mutations.map((field) => field.name)).toEqual(live);
});

describe.each(mutations.map((field) => [field.name, field] as const))('%s', (_name, field: GraphQLField<unknown, unknown>) => {
  const query = operationFor(field);

  it('answers a success or a coded refusal, and a refusal writes nothing', async () => {
    let failure: { variables: Record<string, unknown>; error: Error } | undefined;
    try {
      await fc.assert(
        fc.asyncProperty(fuzzedArguments(field, known, examples[field.name]), async (variables) => {
          try {
            const before = await snapshot();
            const answer = await post(query, variables);
            const verdict = judge(answer);
            const counts = tally.get(field.name) ?? { ok: 0, refused: 0, codes: {} };
            counts[verdict]++;
            const reason = String((answer.body?.errors?.[0]?.extensions as { reason?: string } | undefined)?.reason ?? 'OK');
            counts.codes[reason] = (counts.codes[reason] ?? 0) + 1;
            tally.set(field.name, counts);
            if (verdict === 'refused') expect(await snapshot()).toEqual(before);
          } catch (error) {
            failure = { variables, error: error as Error };
            throw error;
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } catch (error) {
      if (!failure) throw error;
      // fast-check's own report prints the whole counterexample (megabytes of strings): this one is short.
      const logged =
        t.logs
          .filter((line) => line.startsWith('internal error'))
          .at(-1)
          ?.slice(0, 1_500) ?? '';
      throw new Error(
        `${field.name} failed (reproduce with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}):\n${query}\nvariables: ${shortened(failure.variables)}\n${failure.error.message.slice(0, 3_000)}\n${logged}`,
      );
    }
  });
});
