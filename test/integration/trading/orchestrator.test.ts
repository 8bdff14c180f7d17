/**
 * The whole orchestrator interface, end to end, as a portfolio orchestrator drives it: over HTTP with
 * the generated typed client, on the shared SPY daily bars. Ingest the bars, materialize a dataset
 * per horizon, train the horizon models, then for ten trading days of 2019 (after the training data)
 * ask for a trade prediction, a position size and strategy weights, log the execution and, five days
 * later, its outcome — and see the learning trigger fire on the tenth completed trade, its INCREMENTAL
 * jobs update every horizon model from the bars stored now.
 */
import { readBarBatches, type Bar } from '../../../src/lib/bars';
import { FEATURE_NAMES } from '../../../src/market/features';
import {
  CreateMaterializedDatasetDocument,
  CreateRegisteredModelDocument,
  IngestBarsDocument,
  LearningTriggerDocument,
  LogTradeExecutionDocument,
  LogTradeOutcomeDocument,
  ModelVersionDocument,
  PositionSizeMultiplierDocument,
  PredictionsDocument,
  StrategyWeightsDocument,
  TradePredictionDocument,
  TradesDocument,
  TrainModelDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { waitForJob } from '../../helpers/fixtures';
import { dataOf } from '../../helpers/graphql';
import { describeWithShared, readSharedText } from '../../helpers/shared';

const HORIZONS = [1, 5, 10] as const;
const HOLD_BARS = 5;
const TRAIN_FROM = '2000-01-01T00:00:00.000Z';
const TRAIN_TO = '2018-12-31T00:00:00.000Z';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ worker: true });
});
afterAll(async () => {
  await t?.close();
});

describeWithShared('an orchestrator on SPY daily bars', () => {
  it('ingests, builds datasets, trains, predicts, sizes, logs ten trades and sees the learning trigger fire', async () => {
    // 1. Ingest the bars (the file has a date column and no symbol: the request names it).
    const csv = readSharedText('data', 'market', 'SPY_D.csv');
    const ingested = dataOf(await t.as('operator')(IngestBarsDocument, { input: { csv, symbol: 'SPY', timeframe: '1d' } })).ingestBars;
    expect(ingested).toMatchObject({
      received: 5241,
      inserted: 5241,
      symbols: ['SPY'],
      from: '1999-11-01T00:00:00.000Z',
      to: '2020-08-28T00:00:00.000Z',
    });
    const bars: Bar[] = [];
    for await (const batch of readBarBatches(csv, { symbol: 'SPY', timeframe: '1d' })) bars.push(...batch);

    // 2. A dataset per horizon, 3. a model per horizon trained on it and made ACTIVE.
    for (const horizon of HORIZONS) {
      const dataset = dataOf(
        await t.as('operator')(CreateMaterializedDatasetDocument, {
          input: {
            name: `spy-returns-${horizon}d`,
            bars: { symbols: ['SPY'], from: TRAIN_FROM, to: TRAIN_TO, label: { kind: 'FORWARD_RETURN', horizon } },
          },
        }),
      ).createDataset;
      expect(dataset).toMatchObject({
        source: 'BARS',
        spec: expect.objectContaining({ labelColumn: `forward_return_${horizon}`, lastRow: '2018-12-31T00:00:00.000Z' }),
      });
      dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: `returns-${horizon}d`, family: 'xgboost' } }));
      const job = dataOf(
        await t.as('operator')(TrainModelDocument, {
          input: {
            model: `returns-${horizon}d`,
            dataset: dataset.name,
            targetColumn: `forward_return_${horizon}`,
            featureColumns: [...FEATURE_NAMES],
            orderColumn: 'timestamp',
            hyperparameters: { num_boost_round: 60, max_depth: 3, eta: 0.05, seed: horizon },
            activate: true,
          },
        }),
      ).trainModel;
      const done = await waitForJob(t, job.id, 120_000);
      expect(done).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 1, status: 'ACTIVE' } });
    }
    expect(dataOf(await t.as('viewer')(LearningTriggerDocument)).learningTrigger).toMatchObject({
      shouldTrigger: false,
      tradesSinceLastUpdate: 0,
      threshold: 10,
    });

    // 4. Ten trades on the first ten trading days of 2019, each closed HOLD_BARS bars later.
    const start = bars.findIndex((bar) => bar.timestamp >= Date.UTC(2019, 0, 1));
    const triggers: { shouldTrigger: boolean; tradesSinceLastUpdate: number; threshold: number }[] = [];
    let incremental: string[] = [];
    for (let i = 0; i < 10; i++) {
      const entry = bars[start + i];
      const exit = bars[start + i + HOLD_BARS];
      const day = new Date(entry.timestamp).toISOString();
      const prediction = dataOf(
        await t.as('trader')(TradePredictionDocument, {
          input: { symbol: 'SPY', asOf: day, positionValue: 10_000, portfolio: { equity: 100_000 } },
        }),
      ).tradePrediction;
      expect(prediction.asOf).toBe(day);
      expect(prediction.horizons.map((h) => h.horizon)).toEqual([1, 5, 10]);
      expect(prediction.unavailable).toEqual([]);
      expect(prediction.confidence).toBeGreaterThanOrEqual(0.5);
      expect(prediction.risk!.horizons.map((h) => h.valueAtRisk > 0)).toEqual([true, true, true]);

      const sizing = dataOf(
        await t.as('trader')(PositionSizeMultiplierDocument, {
          input: {
            symbol: 'SPY',
            baseSize: 10_000,
            strategyConfidence: prediction.confidence!,
            payoffRatio: 1.2,
            portfolio: { equity: 100_000, openPositions: 0 },
          },
        }),
      ).positionSizeMultiplier;
      expect(sizing.source).toEqual({ kind: 'RULE', name: 'capped_kelly', version: null });
      const weights = dataOf(
        await t.as('trader')(StrategyWeightsDocument, {
          input: {
            strategies: [
              { strategy: 'TREND_FOLLOW', confidence: prediction.confidence! },
              { strategy: 'DEFENSIVE', confidence: 0.5 },
            ],
            regime: 'TRENDING',
          },
        }),
      ).strategyWeights;

      const side = prediction.direction === 'SHORT' ? 'SHORT' : 'LONG';
      const executed = dataOf(
        await t.as('trader')(LogTradeExecutionDocument, {
          input: {
            clientTradeId: `spy-2019-${i}`,
            symbol: 'SPY',
            side,
            quantity: Math.max(1, Math.floor(sizing.positionSize / entry.close)),
            entryPrice: entry.close,
            entryTime: day,
            strategy: 'trend_follow',
            modelConfidence: prediction.confidence,
            predictionIds: prediction.predictionIds,
            features: prediction.features,
            decision: { ...sizing.decision, ...weights.decision },
          },
        }),
      ).logTradeExecution;
      expect(executed).toMatchObject({ status: 'OPEN', predictionIds: prediction.predictionIds });

      const closed = dataOf(
        await t.as('trader')(LogTradeOutcomeDocument, {
          input: {
            clientTradeId: `spy-2019-${i}`,
            exitPrice: exit.close,
            exitTime: new Date(exit.timestamp).toISOString(),
            exitReason: 'TIME',
          },
        }),
      ).logTradeOutcome;
      const sign = side === 'LONG' ? 1 : -1;
      expect(closed.trade.pnl).toBeCloseTo(sign * (exit.close - entry.close) * executed.quantity, 9);
      expect(closed.trade.holdingPeriodSeconds).toBe((exit.timestamp - entry.timestamp) / 1000);
      triggers.push(closed.learningTrigger);
      if (closed.learningTrigger.shouldTrigger) incremental = closed.jobs.map((job) => job.id);
    }

    // 5. The learning trigger fires on the tenth completed trade, and only then.
    expect(triggers).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ shouldTrigger: i === 9, tradesSinceLastUpdate: i + 1, threshold: 10 })),
    );
    expect(dataOf(await t.as('viewer')(LearningTriggerDocument)).learningTrigger).toMatchObject({
      shouldTrigger: false,
      tradesSinceLastUpdate: 0,
      completedTrades: 10,
      cycle: 2,
    });
    expect(incremental).toHaveLength(3);

    // Every horizon model's prediction of each trade has its outcome: the price return over the trade.
    for (const horizon of HORIZONS) {
      const scored = dataOf(
        await t.as('viewer')(PredictionsDocument, { filter: { model: `returns-${horizon}d`, hasOutcome: true, first: 50 } }),
      ).predictions.nodes;
      expect(scored).toHaveLength(10);
      expect(scored.every((node) => node.outcome!.source === 'TRADE' && node.outcome!.tradeId !== null)).toBe(true);
    }
    expect(
      dataOf(await t.as('viewer')(TradesDocument, { filter: { symbol: 'SPY', status: 'CLOSED', first: 50 } })).trades.nodes,
    ).toHaveLength(10);

    // 6. The INCREMENTAL jobs update each model from its dataset rebuilt with the bars stored now, and the
    // gate before SHADOW judges each update against its ACTIVE version on the update's held-out rows: it
    // scores live traffic (SHADOW) only if it passed, else it is REJECTED with the gate's reasons.
    for (const id of incremental) {
      const job = await waitForJob(t, id, 180_000);
      expect(job).toMatchObject({ kind: 'INCREMENTAL', trigger: 'TRADES', status: 'COMPLETED', modelVersion: { version: 2 } });
      const version = dataOf(await t.as('viewer')(ModelVersionDocument, { id: job.modelVersion!.id })).modelVersion;
      expect(version.source).toBe('UPDATED');
      expect(version.dataset!.name).toMatch(/^spy-returns-\d+d\.rebuilt-/);
      expect(version.gate).toMatchObject({ compared: true, againstVersion: 1 });
      expect(version.status).toBe(version.gate!.passed ? 'SHADOW' : 'REJECTED');
      expect(version.gate!.reasons.length).toBeGreaterThan(0);
    }
  }, 600_000);
});
