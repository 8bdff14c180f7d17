/**
 * The trade log over HTTP: idempotent executions and outcomes, their refusals (each checked to write
 * nothing), outcomes joining every version's prediction of a request, recordOutcome, the learning
 * counter under 32 concurrent closes on two replicas, group commits (a refusal is its own), the
 * INCREMENTAL jobs it queues, the RL hooks' transaction, and trade-log datasets.
 */
import seedrandom from 'seedrandom';
import type { TradeEntity } from '../../../src/entities/trade.entity';
import type { TabularTrainingSet } from '../../../src/plugins/contract';
import { xgboostFamily } from '../../../src/plugins/xgboost';
import {
  CreateMaterializedDatasetDocument,
  ImportModelDocument,
  LearningTriggerDocument,
  LogTradeExecutionDocument,
  LogTradeOutcomeDocument,
  PredictBatchDocument,
  PredictDocument,
  PredictionsDocument,
  RecordOutcomeDocument,
  TradesDocument,
  type LogTradeExecutionInput,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';

const FEATURES = ['f0', 'f1', 'f2'];
let t: TestApp;
let modelId: string;

async function trainedModelJson(seed: number): Promise<string> {
  const random = seedrandom(`trades:${seed}`);
  const rows = 400;
  const features = Float32Array.from({ length: rows * FEATURES.length }, () => random() * 2 - 1);
  const data: TabularTrainingSet = {
    kind: 'tabular',
    featureNames: FEATURES,
    features,
    target: Float32Array.from({ length: rows }, (_, r) => 0.02 * features[r * 3] - 0.01 * features[r * 3 + 1]),
    rows,
  };
  const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed, threads: 1 };
  const trained = await xgboostFamily.train(data, xgboostFamily.hyperparameters.parse({ num_boost_round: 20, max_depth: 3, seed }), ctx);
  return Buffer.from(trained.artifact.files['model.json']).toString('base64');
}

async function importVersion(seed: number, activate: boolean) {
  return dataOf(
    await t.as('operator')(ImportModelDocument, {
      input: {
        name: 'returns-test',
        family: 'xgboost',
        format: 'xgboost-json',
        files: [{ path: 'model.json', contentBase64: await trainedModelJson(seed) }],
        featureNames: FEATURES,
        activate,
      },
    }),
  ).importModel;
}

beforeAll(async () => {
  t = await startTestApp({ worker: false });
  await importVersion(1, true);
  await importVersion(2, false); // a SHADOW version: it scores every request too
  [{ id: modelId }] = await t.dataSource.query(`SELECT id FROM registered_models WHERE name = 'returns-test'`);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

async function count(sql: string, parameters: unknown[] = []): Promise<number> {
  const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${sql}`, parameters);
  return n;
}

async function predict(requestId?: string) {
  return dataOf(await t.as('trader')(PredictDocument, { input: { model: 'returns-test', features: [0.3, -0.2, 0.1], requestId } })).predict;
}

function execution(
  clientTradeId: string,
  predictionIds: string[],
  overrides: Partial<LogTradeExecutionInput> = {},
): LogTradeExecutionInput {
  return {
    clientTradeId,
    symbol: 'SPY',
    side: 'LONG',
    quantity: 10,
    entryPrice: 400,
    entryTime: '2024-03-01T14:30:00.000Z',
    strategy: 'trend_follow',
    modelConfidence: 0.62,
    predictionIds,
    features: { f0: 0.3, f1: -0.2, f2: 0.1 },
    decision: { position_size: { multiplier: 1.2 } },
    ...overrides,
  };
}

const counter = async () => dataOf(await t.as('viewer')(LearningTriggerDocument)).learningTrigger;

describe('logTradeExecution', () => {
  it('logs a trade OPEN with its predictions, snapshot and decision; the same execution again is the same answer and no second row', async () => {
    const prediction = await predict();
    const input = execution('exec-1', [prediction.id]);
    const first = dataOf(await t.as('trader')(LogTradeExecutionDocument, { input })).logTradeExecution;
    expect(first).toMatchObject({
      clientTradeId: 'exec-1',
      symbol: 'SPY',
      side: 'LONG',
      quantity: 10,
      entryPrice: 400,
      entryTime: '2024-03-01T14:30:00.000Z',
      status: 'OPEN',
      predictionIds: [prediction.id],
      features: { f0: 0.3, f1: -0.2, f2: 0.1 },
      decision: { position_size: { multiplier: 1.2 } },
      exitPrice: null,
      pnl: null,
    });
    // A retry, with the snapshot's keys in another order: answered, not repeated.
    const retry = dataOf(
      await t.as('trader')(LogTradeExecutionDocument, { input: { ...input, features: { f2: 0.1, f1: -0.2, f0: 0.3 } } }),
    ).logTradeExecution;
    expect(retry).toEqual(first);
    expect(await count(`trades WHERE client_trade_id = 'exec-1'`)).toBe(1);
  });

  it('answers concurrent retries of one execution with one trade', async () => {
    const input = execution('exec-race', [(await predict()).id]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.as('trader')(LogTradeExecutionDocument, { input })));
    const ids = new Set(answers.map((answer) => dataOf(answer).logTradeExecution.id));
    expect(ids.size).toBe(1);
    expect(await count(`trades WHERE client_trade_id = 'exec-race'`)).toBe(1);
  });

  it('refuses a different execution under a known client trade id (CONFLICT, naming the fields) and keeps the first', async () => {
    const [{ prediction_ids: ids }] = await t.dataSource.query(`SELECT prediction_ids FROM trades WHERE client_trade_id = 'exec-1'`);
    const error = errorOf(
      await t.as('trader')(LogTradeExecutionDocument, { input: execution('exec-1', ids, { quantity: 20, entryPrice: 401 }) }),
    );
    expect(error).toMatchObject({
      code: 'CONFLICT',
      message:
        'trade "exec-1" was already logged with different quantity, entryPrice; a client trade id names one execution, so send the same one again or a new id',
      extensions: expect.objectContaining({ field: 'clientTradeId', fields: ['quantity', 'entryPrice'] }),
    });
    expect(await t.dataSource.query(`SELECT quantity, entry_price FROM trades WHERE client_trade_id = 'exec-1'`)).toEqual([
      { quantity: 10, entry_price: 400 },
    ]);
  });

  it.each([
    ['a zero quantity', { quantity: 0 }, 'BAD_USER_INPUT', 'expects quantity to be a finite number > 0, but got 0', 'quantity'],
    ['a negative quantity', { quantity: -3 }, 'BAD_USER_INPUT', 'expects quantity to be a finite number > 0, but got -3', 'quantity'],
    [
      'a negative entry price',
      { entryPrice: -400 },
      'BAD_USER_INPUT',
      'expects entryPrice to be a finite price > 0, but got -400',
      'entryPrice',
    ],
    [
      'a confidence above 1',
      { modelConfidence: 1.5 },
      'BAD_USER_INPUT',
      'expects modelConfidence in [0, 1], but got 1.5',
      'modelConfidence',
    ],
    [
      'a non-numeric feature',
      { features: { f0: 'high' } },
      'BAD_USER_INPUT',
      'expects feature "f0" to be a finite number or null (missing), but got "high"',
      'features.f0',
    ],
    [
      'an unknown prediction id',
      { predictionIds: ['00000000-0000-4000-8000-000000000000'] },
      'NOT_FOUND',
      'no prediction with id 00000000-0000-4000-8000-000000000000; pass the ids that tradePrediction or predict returned',
      'predictionIds',
    ],
    [
      'a prediction id that is not one',
      { predictionIds: ['p-1'] },
      'BAD_USER_INPUT',
      'expects predictionIds to be prediction ids (UUIDs), but got "p-1"',
      'predictionIds',
    ],
  ])('refuses %s and writes nothing', async (_case, overrides, code, message, field) => {
    const error = errorOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: execution('exec-refused', [], overrides as Partial<LogTradeExecutionInput>),
      }),
    );
    expect(error).toMatchObject({ code, message, extensions: expect.objectContaining({ field }) });
    expect(await count(`trades WHERE client_trade_id = 'exec-refused'`)).toBe(0);
  });

  it('is for traders', async () => {
    expect(errorOf(await t.as('viewer')(LogTradeExecutionDocument, { input: execution('exec-viewer', []) })).code).toBe('FORBIDDEN');
  });
});

describe('logTradeOutcome', () => {
  let requestId: string;

  it('closes the trade, records the outcome of its requests for every version, and counts it', async () => {
    const prediction = await predict('req-close-1');
    requestId = prediction.requestId;
    dataOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: execution('close-1', [prediction.id], { side: 'SHORT', entryPrice: 400, quantity: 5 }),
      }),
    );
    const before = await counter();
    const answer = dataOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: {
          clientTradeId: 'close-1',
          exitPrice: 390,
          exitTime: '2024-03-04T15:00:00.000Z',
          exitReason: 'TAKE_PROFIT',
          fees: 2,
          maxDrawdown: 0.004,
          takeProfitHit: true,
        },
      }),
    ).logTradeOutcome;
    // SHORT 5 at 400 → 390: pnl = −(390 − 400) · 5 − 2 = 48; return 48 / 2000
    expect(answer.trade).toMatchObject({
      status: 'CLOSED',
      exitPrice: 390,
      exitTime: '2024-03-04T15:00:00.000Z',
      exitReason: 'TAKE_PROFIT',
      fees: 2,
      pnl: 48,
      realizedReturn: 0.024,
      holdingPeriodSeconds: 261_000,
      success: true,
      maxDrawdown: 0.004,
      takeProfitHit: true,
      stopLossHit: null,
    });
    expect(answer.learningTrigger).toEqual({
      shouldTrigger: false,
      tradesSinceLastUpdate: before.tradesSinceLastUpdate + 1,
      threshold: 10,
    });
    expect(answer.jobs).toEqual([]);

    // The price return (390 / 400 − 1) is what the regression predicted; the SHADOW's row of the request joins it too.
    let rows: { role: string; actual: number; source: string }[] = [];
    for (let attempt = 0; attempt < 50 && rows.length < 2; attempt++) {
      const page = dataOf(await t.as('viewer')(PredictionsDocument, { filter: { model: 'returns-test', requestId } })).predictions;
      rows = page.nodes.map((node) => ({ role: node.role!, actual: node.outcome!.actual, source: node.outcome!.source }));
      if (rows.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rows.sort((a, b) => a.role.localeCompare(b.role))).toEqual([
      { role: 'ACTIVE', actual: 390 / 400 - 1, source: 'TRADE' },
      { role: 'SHADOW', actual: 390 / 400 - 1, source: 'TRADE' },
    ]);
    expect(await count('request_outcomes WHERE registered_model_id = $1 AND request_id = $2', [modelId, requestId])).toBe(1);
  });

  it('answers the same outcome again with the same answer, counting nothing', async () => {
    const before = await counter();
    const input = {
      clientTradeId: 'close-1',
      exitPrice: 390,
      exitTime: '2024-03-04T15:00:00.000Z',
      exitReason: 'TAKE_PROFIT',
      fees: 2,
      maxDrawdown: 0.004,
      takeProfitHit: true,
    };
    const again = dataOf(await t.as('trader')(LogTradeOutcomeDocument, { input })).logTradeOutcome;
    expect(again.trade).toMatchObject({ status: 'CLOSED', pnl: 48 });
    expect(again.learningTrigger).toEqual({ shouldTrigger: false, tradesSinceLastUpdate: before.tradesSinceLastUpdate, threshold: 10 });
    expect(await counter()).toEqual(before);
  });

  it('refuses a different second outcome for a closed trade (CONFLICT) and keeps the first', async () => {
    const before = await counter();
    const error = errorOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: { clientTradeId: 'close-1', exitPrice: 380, exitTime: '2024-03-04T15:00:00.000Z' },
      }),
    );
    expect(error).toMatchObject({
      code: 'CONFLICT',
      message:
        'trade "close-1" is already closed with a different exitPrice, exitReason, fees, maxDrawdown, takeProfitHit; a trade has one outcome',
      extensions: expect.objectContaining({ field: 'clientTradeId' }),
    });
    expect(await t.dataSource.query(`SELECT exit_price, pnl FROM trades WHERE client_trade_id = 'close-1'`)).toEqual([
      { exit_price: 390, pnl: 48 },
    ]);
    expect(await counter()).toEqual(before);
  });

  it('refuses an outcome for an unknown trade (NOT_FOUND) with nothing written', async () => {
    const before = { counter: await counter(), outcomes: await count('request_outcomes') };
    const error = errorOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: { clientTradeId: 'never-logged', exitPrice: 1, exitTime: '2024-03-04T15:00:00.000Z' },
      }),
    );
    expect(error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no trade with clientTradeId "never-logged"; log its execution with logTradeExecution first',
    });
    expect({ counter: await counter(), outcomes: await count('request_outcomes') }).toEqual(before);
  });

  it('refuses an exit before the entry with nothing written: the trade stays OPEN, its requests without an outcome', async () => {
    const prediction = await predict();
    dataOf(await t.as('trader')(LogTradeExecutionDocument, { input: execution('early-exit', [prediction.id]) }));
    const before = { counter: await counter(), outcomes: await count('request_outcomes') };
    const error = errorOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: { clientTradeId: 'early-exit', exitPrice: 401, exitTime: '2024-03-01T14:29:00.000Z' },
      }),
    );
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects exitTime not to be before the entry at 2024-03-01T14:30:00.000Z, but got 2024-03-01T14:29:00.000Z',
      extensions: expect.objectContaining({ field: 'exitTime' }),
    });
    expect(await t.dataSource.query(`SELECT status, exit_price FROM trades WHERE client_trade_id = 'early-exit'`)).toEqual([
      { status: 'OPEN', exit_price: null },
    ]);
    expect({ counter: await counter(), outcomes: await count('request_outcomes') }).toEqual(before);
  });

  it('runs the RL hook inside the closing transaction: its writes commit with the close, and its throw undoes the close', async () => {
    await t.dataSource.query('CREATE TABLE hook_log (trade_id uuid PRIMARY KEY)');
    const seen: string[] = [];
    const previous = t.app.services.trades.setHooks({
      tradeOutcomeWillCommit: async (trade: TradeEntity, tx) => {
        if (trade.clientTradeId === 'hook-fails') throw new Error('Q-table update failed');
        await tx.query('INSERT INTO hook_log (trade_id) VALUES ($1)', [trade.id]);
      },
      tradeOutcomeDidRecord: (trade: TradeEntity) => void seen.push(`${trade.clientTradeId}:${trade.status}:${trade.learningCount}`),
    });
    try {
      for (const id of ['hook-ok', 'hook-fails'])
        dataOf(await t.as('trader')(LogTradeExecutionDocument, { input: execution(id, [(await predict()).id]) }));
      const ok = dataOf(
        await t.as('trader')(LogTradeOutcomeDocument, {
          input: { clientTradeId: 'hook-ok', exitPrice: 402, exitTime: '2024-03-02T14:30:00.000Z' },
        }),
      ).logTradeOutcome;
      expect(await count('hook_log WHERE trade_id = $1', [ok.trade.id])).toBe(1);
      expect(seen).toEqual([`hook-ok:CLOSED:${ok.learningTrigger.tradesSinceLastUpdate}`]);

      const before = { counter: await counter(), outcomes: await count('request_outcomes') };
      const error = errorOf(
        await t.as('trader')(LogTradeOutcomeDocument, {
          input: { clientTradeId: 'hook-fails', exitPrice: 402, exitTime: '2024-03-02T14:30:00.000Z' },
        }),
      );
      expect(error.code).toBe('INTERNAL_SERVER_ERROR');
      expect(await t.dataSource.query(`SELECT status FROM trades WHERE client_trade_id = 'hook-fails'`)).toEqual([{ status: 'OPEN' }]);
      expect({ counter: await counter(), outcomes: await count('request_outcomes') }).toEqual(before);
      expect(seen).toHaveLength(1);
    } finally {
      t.app.services.trades.setHooks(previous);
    }
  });
});

describe('the learning counter', () => {
  it('counts 32 concurrent closes on two replicas exactly once each and triggers once per threshold crossing, queueing INCREMENTAL jobs', async () => {
    const predictions = dataOf(
      await t.as('trader')(PredictBatchDocument, {
        input: { model: 'returns-test', rows: Array.from({ length: 32 }, (_, i) => [i / 32, -i / 64, 0.5]), requestId: 'burst' },
      }),
    ).predictBatch;
    await Promise.all(
      predictions.map((prediction, i) =>
        t
          .as('trader')(LogTradeExecutionDocument, { input: execution(`burst-${i}`, [prediction.id]) })
          .then(dataOf),
      ),
    );
    const before = await counter();
    const jobsBefore = await count(`jobs WHERE kind = 'INCREMENTAL'`);

    // Every other close goes to a second replica: its own groups of closes, counted on the same counter.
    const second = await startTestApp({ database: t.db, worker: false });
    const answers = await Promise.all(
      predictions.map((_, i) =>
        (i % 2 ? second : t)
          .as('trader')(LogTradeOutcomeDocument, {
            input: { clientTradeId: `burst-${i}`, exitPrice: 400 + (i % 5) - 2, exitTime: '2024-03-05T15:00:00.000Z' },
          })
          .then(dataOf),
      ),
    ).finally(() => second.close());
    const total = before.tradesSinceLastUpdate + 32;
    const crossings = Math.floor(total / 10);
    const after = await counter();
    expect(after).toMatchObject({
      tradesSinceLastUpdate: total % 10,
      completedTrades: before.completedTrades + 32,
      cycle: before.cycle + crossings,
      shouldTrigger: false,
    });

    // Each close got its own place in the count: within each cycle 1, 2, … with no gap or repeat, as its answer said.
    const counted: { client_trade_id: string; learning_cycle: number; learning_count: number; learning_triggered: boolean }[] =
      await t.dataSource.query(
        `SELECT client_trade_id, learning_cycle, learning_count, learning_triggered FROM trades WHERE client_trade_id LIKE 'burst-%' ORDER BY learning_cycle, learning_count`,
      );
    const expectedPlaces = Array.from({ length: 32 }, (_, i) => {
      const place = before.tradesSinceLastUpdate + i;
      return `${before.cycle + Math.floor(place / 10)}:${(place % 10) + 1}`;
    });
    expect(counted.map((row) => `${row.learning_cycle}:${row.learning_count}`)).toEqual(expectedPlaces);
    const answered = new Map(
      answers.map((answer) => [answer.logTradeOutcome.trade.id, answer.logTradeOutcome.learningTrigger.tradesSinceLastUpdate]),
    );
    const [{ ids }] = await t.dataSource.query(
      `SELECT array_agg(id ORDER BY learning_cycle, learning_count) AS ids FROM trades WHERE client_trade_id LIKE 'burst-%'`,
    );
    expect((ids as string[]).map((id) => answered.get(id))).toEqual(counted.map((row) => row.learning_count));
    const triggered = answers.filter((answer) => answer.logTradeOutcome.learningTrigger.shouldTrigger);
    expect(triggered).toHaveLength(crossings);
    expect(counted.filter((row) => row.learning_triggered).map((row) => row.learning_count)).toEqual(Array(crossings).fill(10));
    for (const answer of triggered) {
      expect(answer.logTradeOutcome.learningTrigger).toEqual({ shouldTrigger: true, tradesSinceLastUpdate: 10, threshold: 10 });
      expect(answer.logTradeOutcome.jobs).toEqual([
        expect.objectContaining({
          kind: 'INCREMENTAL',
          trigger: 'TRADES',
          status: 'QUEUED',
          reason: '10 completed trades since the last update (threshold 10)',
        }),
      ]);
    }

    expect(await count(`jobs WHERE kind = 'INCREMENTAL'`)).toBe(jobsBefore + crossings);
    const events: { payload: Record<string, unknown> }[] = await t.dataSource.query(
      `SELECT payload FROM events WHERE type = 'learning.triggered' ORDER BY id`,
    );
    expect(events).toHaveLength(before.cycle - 1 + crossings);
    const last = events.at(-1)!.payload;
    expect(last).toMatchObject({ learningCycle: before.cycle + crossings - 1, trades: 10, threshold: 10, models: ['returns-test'] });
    const [job] = await t.dataSource.query(
      `SELECT payload, singleton_key, registered_model_id, time_limit_seconds, retry_limit FROM jobs WHERE id = $1`,
      [(last.jobIds as string[])[0]],
    );
    expect(job.registered_model_id).toBe(modelId);
    expect(job.singleton_key).toBe(`incremental:trades:${last.learningCycle}:${modelId}`);
    // What the handler reads, and nothing else; the cycle is the event's.
    expect(job.payload).toEqual({ model: 'returns-test' });
    expect(job).toMatchObject({ time_limit_seconds: 300, retry_limit: 1 });
    expect(last).toMatchObject({ since: expect.any(String), until: expect.any(String) });
  });
});

describe('group commits', () => {
  // Called on the service in one tick: the first call runs alone, the others queue behind it and are
  // written as one group, so each group below holds every kind of refusal beside good neighbours.
  const settle = <T>(calls: Promise<T>[]) =>
    Promise.all(
      calls.map((call) =>
        call.then(
          (value) => ({ value }),
          (error: { code?: string; message: string }) => ({ code: error.code ?? error.message }),
        ),
      ),
    );

  it('writes the executions that arrive together in one statement; a bad one is refused alone, twins are one trade', async () => {
    const trades = t.app.services.trades;
    const predictionIds = await Promise.all(Array.from({ length: 6 }, async () => (await predict()).id));
    const input = (id: string, overrides: Partial<LogTradeExecutionInput> = {}) =>
      ({ ...execution(id, [predictionIds[0]], overrides), entryTime: new Date('2024-03-01T14:30:00Z') }) as never;
    const answers = await settle([
      trades.logTradeExecution(input('group-first')),
      ...predictionIds.map((id, i) => trades.logTradeExecution(input(`group-exec-${i}`, { predictionIds: [id] }))),
      trades.logTradeExecution(input('group-unknown', { predictionIds: ['00000000-0000-4000-8000-000000000000'] })),
      trades.logTradeExecution(input('group-twin')),
      trades.logTradeExecution(input('group-twin')),
      trades.logTradeExecution(input('group-twin', { quantity: 11 })),
    ]);
    expect(answers.slice(0, 7).every((answer) => 'value' in answer)).toBe(true);
    expect(answers.slice(7)).toEqual([
      { code: 'NOT_FOUND' },
      { value: expect.objectContaining({ clientTradeId: 'group-twin', quantity: 10 }) },
      { value: expect.objectContaining({ clientTradeId: 'group-twin', quantity: 10 }) },
      { code: 'CONFLICT' },
    ]);
    expect(await count(`trades WHERE client_trade_id LIKE 'group-%'`)).toBe(8);
    expect(await count(`trades WHERE client_trade_id = 'group-unknown'`)).toBe(0);
  });

  it('closes the trades that arrive together in one transaction; refusals and a throwing hook are their own', async () => {
    const trades = t.app.services.trades;
    const ids = [
      'group-close-first',
      ...Array.from({ length: 5 }, (_, i) => `group-close-${i}`),
      'group-close-repeat',
      'group-close-conflict',
      'group-close-early',
      'group-close-hook',
    ];
    for (const id of ids) dataOf(await t.as('trader')(LogTradeExecutionDocument, { input: execution(id, [(await predict()).id]) }));
    const outcome = (clientTradeId: string, exitPrice = 402, exitTime = '2024-03-02T14:30:00Z') => ({
      clientTradeId,
      exitPrice,
      exitTime: new Date(exitTime),
    });
    for (const id of ['group-close-repeat', 'group-close-conflict']) await trades.logTradeOutcome(outcome(id));
    const before = { counter: await counter(), outcomes: await count('request_outcomes') };
    const previous = trades.setHooks({
      tradeOutcomeWillCommit: async (trade) => {
        if (trade.clientTradeId === 'group-close-hook') throw new Error('Q-table update failed');
      },
    });
    try {
      const answers = await settle([
        ...ids.slice(0, 6).map((id) => trades.logTradeOutcome(outcome(id))),
        trades.logTradeOutcome(outcome('group-close-repeat')),
        trades.logTradeOutcome(outcome('group-close-conflict', 399)),
        trades.logTradeOutcome(outcome('group-close-early', 402, '2024-02-01T00:00:00Z')),
        trades.logTradeOutcome(outcome('group-close-hook')),
        trades.logTradeOutcome(outcome('group-close-unknown')),
      ]);
      const places = answers
        .slice(0, 6)
        .map((answer) => ('value' in answer ? answer.value.learningTrigger.tradesSinceLastUpdate : answer.code));
      expect(places.map((place) => typeof place)).toEqual(Array(6).fill('number'));
      expect(answers.slice(6).map((answer) => ('value' in answer ? `repeated, ${answer.value.jobs.length} jobs` : answer.code))).toEqual([
        'repeated, 0 jobs',
        'CONFLICT',
        'BAD_USER_INPUT',
        'Q-table update failed',
        'NOT_FOUND',
      ]);
      const statuses = await t.dataSource.query(
        `SELECT client_trade_id AS id, status FROM trades WHERE client_trade_id = ANY ($1) ORDER BY client_trade_id`,
        [ids],
      );
      expect(Object.fromEntries(statuses.map((row: { id: string; status: string }) => [row.id, row.status]))).toEqual({
        ...Object.fromEntries(ids.map((id) => [id, 'CLOSED'])),
        'group-close-early': 'OPEN',
        'group-close-hook': 'OPEN',
      });
      // Six closes counted once each, and the one request each trade carries has its outcome.
      expect((await counter()).completedTrades).toBe(before.counter.completedTrades + 6);
      expect(await count('request_outcomes')).toBe(before.outcomes + 6);
    } finally {
      trades.setHooks(previous);
    }
  });
});

describe('recordOutcome', () => {
  it('records the realised value of a request that led to no trade; the same value again is idempotent, another is CONFLICT', async () => {
    const prediction = await predict('req-recorded');
    const recorded = dataOf(
      await t.as('trader')(RecordOutcomeDocument, { input: { predictionId: prediction.id, actual: 0.0125 } }),
    ).recordOutcome;
    expect(recorded).toMatchObject({
      id: prediction.id,
      requestId: 'req-recorded',
      role: 'ACTIVE',
      outcome: { actual: 0.0125, source: 'RECORDED', tradeId: null },
    });
    const again = dataOf(
      await t.as('trader')(RecordOutcomeDocument, { input: { predictionId: prediction.id, actual: 0.0125 } }),
    ).recordOutcome;
    expect(again.outcome).toEqual(recorded.outcome);

    const conflict = errorOf(await t.as('trader')(RecordOutcomeDocument, { input: { predictionId: prediction.id, actual: -0.5 } }));
    expect(conflict).toMatchObject({
      code: 'CONFLICT',
      message:
        'request "req-recorded" already has the outcome 0.0125 (RECORDED); a request has one realised value, so -0.5 cannot replace it',
    });
    expect(await t.dataSource.query(`SELECT actual FROM request_outcomes WHERE request_id = 'req-recorded'`)).toEqual([{ actual: 0.0125 }]);
  });

  it('refuses an unknown prediction (NOT_FOUND) with nothing written', async () => {
    const before = await count('request_outcomes');
    const error = errorOf(
      await t.as('trader')(RecordOutcomeDocument, { input: { predictionId: '00000000-0000-4000-8000-000000000001', actual: 1 } }),
    );
    expect(error).toMatchObject({ code: 'NOT_FOUND', extensions: expect.objectContaining({ field: 'predictionId' }) });
    expect(await count('request_outcomes')).toBe(before);
  });

  it('lists predictions by whether their request has an outcome', async () => {
    const pending = await predict('req-pending');
    const withOutcome = dataOf(
      await t.as('viewer')(PredictionsDocument, { filter: { model: 'returns-test', role: 'ACTIVE', hasOutcome: true, first: 100 } }),
    ).predictions.nodes;
    const without = dataOf(
      await t.as('viewer')(PredictionsDocument, { filter: { model: 'returns-test', role: 'ACTIVE', hasOutcome: false, first: 100 } }),
    ).predictions.nodes;
    expect(withOutcome.every((node) => node.outcome !== null)).toBe(true);
    expect(withOutcome.map((node) => node.requestId)).toEqual(expect.arrayContaining(['req-recorded', 'req-close-1']));
    expect(without.map((node) => node.id)).toContain(pending.id);
    expect(without.every((node) => node.outcome === null)).toBe(true);
  });
});

describe('trades(filter)', () => {
  it('lists trades by symbol and status, most recent entry first, in cursor pages', async () => {
    for (const [i, day] of ['2024-05-01', '2024-05-02', '2024-05-03'].entries()) {
      dataOf(
        await t.as('trader')(LogTradeExecutionDocument, {
          input: execution(`qqq-${i}`, [], { symbol: 'QQQ', entryTime: `${day}T14:30:00.000Z`, strategy: 'breakout' }),
        }),
      );
    }
    dataOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: { clientTradeId: 'qqq-0', exitPrice: 410, exitTime: '2024-05-06T14:30:00.000Z' },
      }),
    );
    const first = dataOf(await t.as('viewer')(TradesDocument, { filter: { symbol: 'QQQ', first: 2 } })).trades;
    expect(first.nodes.map((trade) => trade.clientTradeId)).toEqual(['qqq-2', 'qqq-1']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = dataOf(
      await t.as('viewer')(TradesDocument, { filter: { symbol: 'QQQ', first: 2, after: first.pageInfo.endCursor } }),
    ).trades;
    expect(second.nodes.map((trade) => trade.clientTradeId)).toEqual(['qqq-0']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const closed = dataOf(await t.as('viewer')(TradesDocument, { filter: { symbol: 'QQQ', status: 'CLOSED' } })).trades;
    expect(closed.nodes.map((trade) => [trade.clientTradeId, trade.pnl])).toEqual([['qqq-0', 100]]);
  });
});

describe('createDataset from the trade log', () => {
  it('materializes the closed trades’ snapshots with what they realised', async () => {
    const dataset = dataOf(
      await t.as('operator')(CreateMaterializedDatasetDocument, { input: { name: 'spy-trade-log', trades: { symbols: ['SPY'] } } }),
    ).createDataset;
    const closed = await count(`trades WHERE symbol = 'SPY' AND status = 'CLOSED'`);
    expect(dataset).toMatchObject({
      source: 'TRADES',
      rowCount: closed,
      spec: expect.objectContaining({ trades: closed, targetColumn: 'realized_return', orderColumn: 'entry_time', featureNames: FEATURES }),
    });
    const table = await t.app.services.datasets.loadTable(await t.app.services.datasets.getDataset('spy-trade-log'));
    const column = (name: string) => table.data[table.columns.findIndex((c) => c.name === name)];
    const row = column('client_trade_id').indexOf('close-1');
    expect([column('f0')[row], column('realized_return')[row], column('success')[row], column('side')[row]]).toEqual([
      0.3,
      0.024,
      true,
      'SHORT',
    ]);
    expect(column('price_return')[row]).toBeCloseTo(390 / 400 - 1, 12); // the market fell: the short earned
  });

  it('refuses a selection without closed trades, with nothing written', async () => {
    const before = await count('datasets');
    const error = errorOf(
      await t.as('operator')(CreateMaterializedDatasetDocument, { input: { name: 'empty-log', trades: { symbols: ['NONE'] } } }),
    );
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: 'expects at least one closed trade, but none matched' });
    expect(await count('datasets')).toBe(before);
  });
});
