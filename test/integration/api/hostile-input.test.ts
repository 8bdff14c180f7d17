/**
 * Hostile input over real HTTP: each refusal is a coded error that names the field, quotes at most a
 * bounded excerpt of the input, and writes nothing; nothing non-finite is ever stored, so no stored
 * row can break a later query; and a tree that would crash ONNX Runtime is refused by a separate
 * `kybernet serve` process that stays up (a crash there could not take jest down).
 */
import { FiniteValues1795301400000 } from '../../../migrations/1795301400000-finite-values';
import {
  CreateRegisteredModelDocument,
  CurrentPolicyDocument,
  ImportModelDocument,
  LogTradeExecutionDocument,
  LogTradeOutcomeDocument,
  PredictBatchDocument,
  PredictDocument,
  RegisteredModelDocument,
  TradesDocument,
  TypenameDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf, request } from '../../helpers/graphql';
import { chainTree, xgboostJson } from '../../helpers/hostile-trees';
import { spawnServe, stopAll } from '../../helpers/processes';
import { readSharedJson, readSharedText } from '../../helpers/shared';
import { MAX_TREE_DEPTH } from '../../../src/plugins/onnx/tree-ensemble-structure';

let t: TestApp;
const MODEL = 'hostile-regression';
let featureCount = 0;

beforeAll(async () => {
  t = await startTestApp({ worker: false });
  const expected = readSharedJson<{ feature_names: string[] }>('fixtures/xgboost/regression.expected.json');
  featureCount = expected.feature_names.length;
  dataOf(
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
  );
});

afterAll(async () => {
  await stopAll();
  await t?.close();
});

async function counts(): Promise<Record<string, number>> {
  const [row] = await t.dataSource.query(`
    SELECT (SELECT count(*)::int FROM trades) AS trades, (SELECT count(*)::int FROM request_outcomes) AS outcomes,
           (SELECT count(*)::int FROM predictions) AS predictions, (SELECT count(*)::int FROM model_versions) AS versions,
           (SELECT count(*)::int FROM registered_models) AS models, (SELECT count(*)::int FROM policies) AS policies,
           (SELECT count(*)::int FROM events WHERE type NOT LIKE 'shadow.%') AS events`);
  return row;
}

const entry = { symbol: 'SPY', side: 'LONG' as const, entryTime: '2024-03-01T14:30:00Z' };

async function predictionId(): Promise<string> {
  return dataOf(await t.as('trader')(PredictDocument, { input: { model: MODEL, features: new Array(featureCount).fill(0.01) } })).predict
    .id;
}

describe('numbers whose products overflow', () => {
  it('refuses an execution of quantity 1e308 × price 1e308 before writing anything', async () => {
    const before = await counts();
    const error = errorOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: { ...entry, clientTradeId: 'overflow-1', quantity: 1e308, entryPrice: 1e308 },
      }),
    );
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects quantity to be at most 1000000000000000, but got 1e+308',
      extensions: { field: 'quantity' },
    });
    const notional = errorOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: { ...entry, clientTradeId: 'overflow-2', quantity: 1e15, entryPrice: 1e12 },
      }),
    );
    expect(notional).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field: 'entryPrice' } });
    expect(notional.message).toContain('to be a notional in [1e-9, 1000000000000000]');
    expect(await counts()).toEqual(before);
  });

  it('refuses a close whose pnl would overflow; the trade stays OPEN with no outcome, and trades { pnl } still answers', async () => {
    const id = await predictionId();
    dataOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: { ...entry, clientTradeId: 'big-open', quantity: 1e9, entryPrice: 1e6, predictionIds: [id] },
      }),
    );
    const before = await counts();
    const close = errorOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: { clientTradeId: 'big-open', exitPrice: 1e12, exitTime: '2024-03-02T14:30:00Z' },
      }),
    );
    expect(close).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field: 'exitPrice' } });
    expect(close.message).toMatch(
      /^expects exitPrice × quantity to be a notional in \[1e-9, 1000000000000000\], but got 1000000000000 × 1000000000 = 1e\+21$/,
    );
    const fees = errorOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: { clientTradeId: 'big-open', exitPrice: 1e6, exitTime: '2024-03-02T14:30:00Z', fees: 1e300 },
      }),
    );
    expect(fees).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field: 'fees' } });
    expect(await counts()).toEqual(before);
    const [stored] = await t.dataSource.query(`SELECT status, pnl FROM trades WHERE client_trade_id = 'big-open'`);
    expect(stored).toEqual({ status: 'OPEN', pnl: null });
    const trades = await t.as('viewer')(TradesDocument, {});
    expect(trades.errors).toBeUndefined();
  });

  it('the database itself refuses a non-finite pnl or prediction value (CHECK constraints)', async () => {
    await expect(t.dataSource.query(`UPDATE trades SET pnl = '-Infinity' WHERE client_trade_id = 'big-open'`)).rejects.toThrow(
      /trades_results_finite/,
    );
    await expect(
      t.dataSource.query(`UPDATE predictions SET value = 'NaN' WHERE id = (SELECT id FROM predictions LIMIT 1)`),
    ).rejects.toThrow(/predictions_values_finite/);
    await expect(
      t.dataSource.query(`UPDATE predictions SET outputs = '{Infinity}' WHERE id = (SELECT id FROM predictions LIMIT 1)`),
    ).rejects.toThrow(/predictions_values_finite/);
  });

  it('the migration repairs a close an earlier version committed with pnl −Infinity: the trade is OPEN again, its outcomes gone, and queries answer', async () => {
    const id = await predictionId();
    dataOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: { ...entry, clientTradeId: 'legacy-bad', quantity: 10, entryPrice: 100, predictionIds: [id] },
      }),
    );
    dataOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: { clientTradeId: 'legacy-bad', exitPrice: 101, exitTime: '2024-03-02T14:30:00Z' },
      }),
    );
    const runner = t.dataSource.createQueryRunner();
    try {
      // The state an earlier version left behind: no constraints, and a closed trade with pnl −∞ and realized_return NaN.
      await new FiniteValues1795301400000().down(runner);
      await runner.query(`UPDATE trades SET pnl = '-Infinity', realized_return = 'NaN' WHERE client_trade_id = 'legacy-bad'`);
      expect(errorOf(await t.as('viewer')(TradesDocument, {})).message).toBeDefined();
      await new FiniteValues1795301400000().up(runner);
    } finally {
      await runner.release();
    }
    const [trade] = await t.dataSource.query(
      `SELECT id, status, pnl, realized_return, exit_price FROM trades WHERE client_trade_id = 'legacy-bad'`,
    );
    expect(trade).toMatchObject({ status: 'OPEN', pnl: null, realized_return: null, exit_price: null });
    expect(await t.dataSource.query('SELECT 1 FROM request_outcomes WHERE trade_id = $1', [trade.id])).toEqual([]);
    expect((await t.as('viewer')(TradesDocument, {})).errors).toBeUndefined();
    await expect(t.dataSource.query(`UPDATE trades SET realized_return = 'Infinity' WHERE client_trade_id = 'big-open'`)).rejects.toThrow(
      /trades_results_finite/,
    );
  });
});

describe('errors quote a bounded excerpt', () => {
  it('answers a 50 MB model name with a coded refusal of a few hundred bytes', async () => {
    const name = 'm'.repeat(50 * 1024 * 1024);
    const response = await fetch(t.http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.admin}` },
      body: JSON.stringify({ query: 'query ($name: String!) { registeredModel(name: $name) { id } }', variables: { name } }),
    });
    const text = await response.text();
    expect(text.length).toBeLessThan(2_000);
    const { errors } = JSON.parse(text);
    expect(errors[0]).toMatchObject({
      message: 'expects name to be at most 1000 characters, but got 52428800',
      extensions: { code: 'BAD_USER_INPUT', field: 'name' },
    });
  });

  it('quotes at most 120 characters of a name it cannot find', async () => {
    const name = 'n'.repeat(999);
    const error = errorOf(await t.as('viewer')(RegisteredModelDocument, { name }));
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: `no registered model named "${'n'.repeat(120)}"… (999 characters)` });
  });
});

describe('bounds on strings, lists and JSON, before any work', () => {
  it('refuses a 20 KB requestId without scoring or writing, while concurrent neighbours are answered', async () => {
    const before = await counts();
    const features = new Array(featureCount).fill(0.02);
    const calls = Array.from({ length: 20 }, (_, i) =>
      t.as('trader')(PredictDocument, { input: { model: MODEL, features, requestId: i === 7 ? 'r'.repeat(20_000) : `neighbour-${i}` } }),
    );
    const responses = await Promise.all(calls);
    expect(errorOf(responses[7])).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects requestId to be at most 200 characters, but got 20000',
      extensions: { field: 'requestId' },
    });
    responses.forEach((response, i) => i !== 7 && expect(dataOf(response).predict.requestId).toBe(`neighbour-${i}`));
    expect((await counts()).predictions).toBe(before.predictions + 19);
  });

  it('refuses NUL and unpaired surrogates in any string, JSON nested too deep, and lists too long, naming the field', async () => {
    const before = await counts();
    const create = (input: Record<string, unknown>) =>
      t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'ok-name', family: 'xgboost', ...input } as never });
    expect(errorOf(await create({ name: 'bad\u0000name' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects name to hold no NUL character, but got one at offset 3',
      extensions: { field: 'name' },
    });
    expect(errorOf(await create({ description: 'half a pair \ud83d' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: { field: 'description' },
    });
    let tags: unknown = 'leaf';
    for (let i = 0; i < 40; i++) tags = { nested: tags };
    expect(errorOf(await create({ tags }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects tags to nest at most 32 levels deep, but got deeper',
      extensions: { field: 'tags' },
    });
    const tooMany = errorOf(
      await t.as('operator')(ImportModelDocument, {
        input: { name: 'x', family: 'xgboost', format: 'xgboost-json', files: [], featureNames: new Array(10_001).fill('f') },
      }),
    );
    expect(tooMany).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects featureNames to hold at most 10000 items, but got 10001',
      extensions: { field: 'featureNames' },
    });
    const wideRow = errorOf(
      await t.as('trader')(PredictBatchDocument, {
        input: { model: MODEL, rows: [new Array(featureCount).fill(0), new Array(10_001).fill(0)] },
      }),
    );
    expect(wideRow).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects rows[1] to hold at most 10000 items, but got 10001',
      extensions: { field: 'rows[1]' },
    });
    expect(await counts()).toEqual(before);
  });
});

describe('file paths in imports', () => {
  const importWith = (path: string) =>
    t.as('operator')(ImportModelDocument, {
      input: {
        name: 'path-test',
        family: 'xgboost',
        format: 'xgboost-json',
        files: [{ path, contentBase64: Buffer.from('{}').toString('base64') }],
        featureNames: ['x'],
      },
    });

  it.each([
    ['a NUL byte', 'model\u0000.json', 'expects files[0].path to hold no NUL character, but got one at offset 5'],
    [
      'a parent segment',
      '../model.json',
      `expects files[0].path to be a relative file path such as "model.json" (up to 255 characters, '/'-separated, no '..'), but got "../model.json" (an empty, '.' or '..' segment)`,
    ],
    // (the error formatter shows an absolute path as <path>: responses never carry server paths)
    [
      'an absolute path',
      '/etc/passwd',
      `expects files[0].path to be a relative file path such as "model.json" (up to 255 characters, '/'-separated, no '..'), but got "<path>" (an absolute path)`,
    ],
    ['a path too long', 'p'.repeat(300), 'expects files[0].path to be at most 255 characters, but got 300'],
  ])('refuses %s with BAD_USER_INPUT naming files[0].path, writing nothing', async (_what, path, message) => {
    const before = await counts();
    expect(errorOf(await importWith(path))).toMatchObject({ code: 'BAD_USER_INPUT', message, extensions: { field: 'files[0].path' } });
    expect(await counts()).toEqual(before);
  });

  it('refuses a path given twice', async () => {
    const file = { path: 'model.json', contentBase64: Buffer.from('{}').toString('base64') };
    const error = errorOf(
      await t.as('operator')(ImportModelDocument, {
        input: { name: 'path-test', family: 'xgboost', format: 'xgboost-json', files: [file, file], featureNames: ['x'] },
      }),
    );
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects each file path once, but files[1].path "model.json" appears before',
      extensions: { field: 'files[1].path' },
    });
  });
});

describe('cross-field policy rules', () => {
  it.each([
    [
      { auto_promote_threshold: { min_samples: 2001 } },
      'auto_promote_threshold.min_samples',
      'policy auto_promote_threshold.min_samples: expects a number <= auto_promote_threshold.max_samples (2000)',
    ],
    [
      { auto_promote_threshold: { max_samples: 50 } },
      'auto_promote_threshold.min_samples',
      'policy auto_promote_threshold.min_samples: expects a number <= auto_promote_threshold.max_samples (50)',
    ],
    [
      { health: { critical_win_rate: 0.5 } },
      'health.critical_win_rate',
      'policy health.critical_win_rate: expects a number <= health.min_win_rate (0.45)',
    ],
    [
      { drift_detection: { min_samples: 3000 } },
      'drift_detection.min_samples',
      'policy drift_detection.min_samples: expects a number <= drift_detection.window (2000)',
    ],
    [
      { drift_detection: { psi_threshold: 0.3 } },
      'drift_detection.psi_threshold',
      'policy drift_detection.psi_threshold: expects a number <= drift_detection.major_psi (0.25)',
    ],
    [
      { rl_maintenance: { min_epsilon: 0.3 } },
      'rl_maintenance.min_epsilon',
      'policy rl_maintenance.min_epsilon: expects a number <= rl_maintenance.epsilon (0.2)',
    ],
    [
      { retraining: { full_time_limit_seconds: 1e12 } },
      'retraining.full_time_limit_seconds',
      'policy retraining.full_time_limit_seconds: expects a number <= 604800, but got 1000000000000',
    ],
    [
      { health: { check_interval_hours: 1e-9 } },
      'health.check_interval_hours',
      'policy health.check_interval_hours: expects a number >= 0.01, but got 1e-9',
    ],
  ])('updatePolicy refuses %j naming the field, and writes nothing', async (patch, field, message) => {
    const before = await counts();
    const error = errorOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field } });
    expect(error.message).toContain(message);
    expect(await counts()).toEqual(before);
  });

  it('takes the pair in order, moved together', async () => {
    const updated = dataOf(
      await t.as('operator')(UpdatePolicyPatchDocument, { patch: { auto_promote_threshold: { min_samples: 3000, max_samples: 5000 } } }),
    ).updatePolicy;
    expect(updated.document).toMatchObject({ auto_promote_threshold: { min_samples: 3000, max_samples: 5000 } });
    expect(dataOf(await t.as('viewer')(CurrentPolicyDocument)).policy.version).toBe(updated.version);
  });
});

describe('a tree import that would crash ONNX Runtime, sent to a separate kybernet serve process', () => {
  it('answers a 20,000-level chain tree with BAD_USER_INPUT naming the tree and node, keeps serving, and exits cleanly', async () => {
    const api = await spawnServe({ databaseUrl: t.db.url, dataDir: t.dataDir, args: ['--no-worker'] });
    const importTree = (name: string, json: string) =>
      request(api.url, t.keys.operator, ImportModelDocument, {
        input: {
          name,
          family: 'xgboost',
          format: 'xgboost-json',
          files: [{ path: 'model.json', contentBase64: Buffer.from(json).toString('base64') }],
          featureNames: ['x'],
          activate: true,
        },
      });
    const before = await counts();
    const deep = errorOf(await importTree('deep-chain', xgboostJson([chainTree(20_000)])));
    expect(deep).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: `expects tree 0 to be a binary tree from its root, at most ${MAX_TREE_DEPTH} levels deep, but node ${2 * MAX_TREE_DEPTH} is at depth ${MAX_TREE_DEPTH} and has children (a tree deeper than ${MAX_TREE_DEPTH} levels)`,
      extensions: { field: 'model.json' },
    });
    const cyclic = errorOf(await importTree('cyclic', xgboostJson([{ left: [1, 2, -1, -1], right: [3, 0, -1, -1] }])));
    expect(cyclic).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field: 'model.json' } });
    expect(cyclic.message).toContain('node 1 has its ancestor node 0 as a child (a cycle)');
    const outside = errorOf(await importTree('outside', xgboostJson([{ left: [1, -1, -1], right: [7, -1, -1] }])));
    expect(outside.message).toContain('node 0 has the child id 7, outside [0, 3)');
    expect(await counts()).toEqual(before);

    // The process is alive and serves; a tree at the depth bound is imported, loaded by ONNX Runtime and answers.
    expect(dataOf(await request(api.url, t.keys.viewer, TypenameDocument)).__typename).toBe('Query');
    dataOf(await importTree('deep-but-legal', xgboostJson([chainTree(MAX_TREE_DEPTH)])));
    const answer = dataOf(
      await request(api.url, t.keys.trader, PredictDocument, { input: { model: 'deep-but-legal', features: [5] } }),
    ).predict;
    expect(answer.value).toBeCloseTo(0.5 + 7e-6, 6);

    await api.stop();
    const exit = await api.exited;
    expect(exit.signal).not.toBe('SIGSEGV');
    expect(exit.code).toBe(0);
    expect(api.output()).not.toMatch(/Segmentation fault|FATAL ERROR/);
  });
});
