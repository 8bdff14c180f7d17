/**
 * The orchestrator's decisions over HTTP: tradePrediction from the horizon models the policy maps
 * (features from stored bars or sent), with unavailable horizons reported and none available refused;
 * positionSizeMultiplier and strategyWeights by their rules within the policy's risk limits, and the
 * seam through which an RL agent answers instead.
 */
import { jStat } from 'jstat';
import { toTrainingSet } from '../../../src/lib/dataset-table';
import { buildFeatureTable } from '../../../src/market/feature-table';
import { FEATURE_NAMES, computeFeatures } from '../../../src/market/features';
import { assessRisk } from '../../../src/trading/risk';
import { strategyWeights } from '../../../src/trading/strategy-allocation';
import { generateSyntheticMarket } from '../../../src/lib/synthetic-market';
import { xgboostFamily } from '../../../src/plugins/xgboost';
import {
  CreateRegisteredModelDocument,
  ImportModelDocument,
  IngestBarsDocument,
  PositionSizeMultiplierDocument,
  PredictDocument,
  StrategyWeightsDocument,
  TradePredictionDocument,
  UpdatePolicyPatchDocument,
  type PositionSizeInput,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';

const market = generateSyntheticMarket({ seed: 'decisions', symbols: ['SYN_A', 'SYN_B'] });
const lastBars = market.bars.SYN_A;
const features = computeFeatures(lastBars);
const width = FEATURE_NAMES.length;
const latest = Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, features.values[(lastBars.length - 1) * width + j]]));

let t: TestApp;

async function importHorizonModel(name: string, horizon: number): Promise<void> {
  const table = buildFeatureTable(market.bars, { kind: 'forward_return', horizon });
  const { set } = toTrainingSet(table, { target: `forward_return_${horizon}`, features: [...FEATURE_NAMES], orderBy: 'timestamp' });
  const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed: horizon, threads: 1 };
  const trained = await xgboostFamily.train(
    set,
    xgboostFamily.hyperparameters.parse({ num_boost_round: 30, max_depth: 3, seed: horizon }),
    ctx,
  );
  const contentBase64 = Buffer.from(trained.artifact.files['model.json']).toString('base64');
  dataOf(
    await t.as('operator')(ImportModelDocument, {
      input: {
        name,
        family: 'xgboost',
        format: 'xgboost-json',
        files: [{ path: 'model.json', contentBase64 }],
        featureNames: [...FEATURE_NAMES],
        activate: true,
      },
    }),
  );
}

async function setHorizons(horizons: Record<string, string>): Promise<void> {
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { trade_prediction: { horizons } } }));
}

beforeAll(async () => {
  t = await startTestApp({ worker: false });
  const bars = [...market.bars.SYN_A, ...market.bars.SYN_B].map((bar) => ({ ...bar, timestamp: new Date(bar.timestamp).toISOString() }));
  dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars } }));
  await importHorizonModel('returns-1d', 1);
  await importHorizonModel('returns-5d', 5);
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'returns-20d', family: 'xgboost' } }));
  // The default policy maps 1, 5 and 10 days; returns-10d is not registered, returns-20d has no version.
  await setHorizons({ '1': 'returns-1d', '5': 'returns-5d', '10': 'returns-10d', '20': 'returns-20d' });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const predictionCount = async () => Number((await t.dataSource.query('SELECT count(*)::int AS n FROM predictions'))[0].n);

describe('tradePrediction', () => {
  it('forecasts every available horizon on the features of the latest stored bar, under one request id, with a signal and its risk', async () => {
    const answer = dataOf(
      await t.as('trader')(TradePredictionDocument, { input: { symbol: 'SYN_A', positionValue: 50_000, portfolio: { equity: 200_000 } } }),
    ).tradePrediction;
    expect(answer.symbol).toBe('SYN_A');
    expect(answer.asOf).toBe(new Date(lastBars.at(-1)!.timestamp).toISOString());
    for (const name of FEATURE_NAMES) expect((answer.features as Record<string, number>)[name]).toBeCloseTo(latest[name], 6);

    expect(answer.horizons.map((h) => [h.horizon, h.model])).toEqual([
      [1, 'returns-1d'],
      [5, 'returns-5d'],
    ]);
    expect(answer.unavailable).toEqual([
      { horizon: 10, model: 'returns-10d', reason: 'no registered model named "returns-10d"' },
      { horizon: 20, model: 'returns-20d', reason: 'model "returns-20d" has no ACTIVE version' },
    ]);
    expect(answer.predictionIds).toEqual(answer.horizons.map((h) => h.prediction.id));
    const logged: { request_id: string; role: string }[] = await t.dataSource.query(
      'SELECT request_id, role FROM predictions WHERE id = ANY ($1::uuid[])',
      [answer.predictionIds],
    );
    expect(logged).toEqual([
      { request_id: answer.requestId, role: 'ACTIVE' },
      { request_id: answer.requestId, role: 'ACTIVE' },
    ]);

    // The same features through predict give the same values.
    for (const horizon of answer.horizons) {
      const direct = dataOf(
        await t.as('trader')(PredictDocument, {
          input: { model: horizon.model, features: FEATURE_NAMES.map((name) => (answer.features as Record<string, number>)[name]) },
        }),
      ).predict;
      expect(horizon.expectedReturn).toBe(direct.value);
    }

    // The signal by trading/trade-signal.ts: imported versions carry no RMSE, so the error scale is σ·√h.
    const sigma = (answer.features as Record<string, number>).vol_20;
    const probabilities = answer.horizons.map((h) => jStat.normal.cdf(h.expectedReturn! / (sigma * Math.sqrt(h.horizon)), 0, 1));
    answer.horizons.forEach((h, i) => expect(h.probabilityUp).toBeCloseTo(probabilities[i], 12));
    const p = (probabilities[0] + probabilities[1]) / 2;
    expect(answer.probabilityUp).toBeCloseTo(p, 12);
    expect(answer.confidence).toBeCloseTo(Math.max(p, 1 - p), 12);
    expect(answer.direction).toBe(p > 0.5 ? 'LONG' : 'SHORT');

    const risk = assessRisk({
      predictions: answer.horizons.map((h) => ({ horizon: h.horizon, expectedReturn: h.expectedReturn! })),
      volatility: sigma,
      positionValue: 50_000,
    });
    expect(answer.risk).toMatchObject({ confidenceLevel: 0.95, positionValue: 50_000, perBarVolatility: sigma });
    answer.risk!.horizons.forEach((h, i) => {
      expect(h.valueAtRisk).toBeCloseTo(risk.horizons[i].valueAtRisk, 6);
      expect(h.volatility).toBeCloseTo(sigma * Math.sqrt(h.horizon), 12);
      expect(h.valueAtRiskOfEquity).toBeCloseTo(risk.horizons[i].valueAtRisk / 200_000, 12);
    });
  });

  it('scores the features it is sent; a model needing a feature they lack cannot answer', async () => {
    const sent = { ...latest, ret_1: 0.02 };
    const answer = dataOf(await t.as('trader')(TradePredictionDocument, { input: { symbol: 'SYN_A', features: sent } })).tradePrediction;
    expect(answer.asOf).toBeNull();
    expect(answer.features).toEqual(sent);
    expect(answer.horizons).toHaveLength(2);

    const { atr_14: _dropped, ...lacking } = latest;
    const error = errorOf(await t.as('trader')(TradePredictionDocument, { input: { symbol: 'SYN_A', features: lacking } }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain(
      'no horizon model can answer for SYN_A: 1d (returns-1d): the features lack atr_14, which version 1 of "returns-1d" needs; 5d (returns-5d): the features lack atr_14, which version 1 of "returns-5d" needs;',
    );
  });

  it('features of an earlier bar with asOf', async () => {
    const asOf = lastBars[600].timestamp;
    const answer = dataOf(
      await t.as('trader')(TradePredictionDocument, { input: { symbol: 'SYN_A', asOf: new Date(asOf + 3_600_000).toISOString() } }),
    ).tradePrediction;
    expect(answer.asOf).toBe(new Date(asOf).toISOString());
    expect((answer.features as Record<string, number>).ret_5).toBeCloseTo(features.values[600 * width + FEATURE_NAMES.indexOf('ret_5')], 6);
  });

  it('refuses when no horizon model can answer (CONFLICT, MODEL_NOT_READY), naming each reason, with nothing logged', async () => {
    await setHorizons({ '10': 'returns-10d', '20': 'returns-20d' });
    try {
      const before = await predictionCount();
      const error = errorOf(await t.as('trader')(TradePredictionDocument, { input: { symbol: 'SYN_A' } }));
      expect(error).toMatchObject({
        code: 'CONFLICT',
        message:
          'no horizon model can answer for SYN_A: 10d (returns-10d): no registered model named "returns-10d"; 20d (returns-20d): model "returns-20d" has no ACTIVE version',
        extensions: expect.objectContaining({ reason: 'MODEL_NOT_READY' }),
      });
      expect(await predictionCount()).toBe(before);
    } finally {
      await setHorizons({ '1': 'returns-1d', '5': 'returns-5d', '10': 'returns-10d', '20': 'returns-20d' });
    }
  });

  it.each([
    [
      'a symbol without bars',
      { symbol: 'NOPE' },
      'expects at least 50 bars of NOPE 1d to compute its features, but the store has 0; ingest them with ingestBars',
      'symbol',
    ],
    [
      'a feature that is not a number',
      { symbol: 'SYN_A', features: { ...latest, rsi_14: 'overbought' } },
      'expects feature "rsi_14" to be a finite number or null (missing), but got "overbought"',
      'features.rsi_14',
    ],
    [
      'a zero position value',
      { symbol: 'SYN_A', positionValue: 0 },
      'expects positionValue to be a finite, non-zero notional, but got 0',
      'positionValue',
    ],
  ])('refuses %s with nothing logged', async (_case, input, message, field) => {
    const before = await predictionCount();
    const error = errorOf(await t.as('trader')(TradePredictionDocument, { input }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message, extensions: expect.objectContaining({ field }) });
    expect(await predictionCount()).toBe(before);
  });
});

describe('positionSizeMultiplier', () => {
  const request: PositionSizeInput = {
    symbol: 'SYN_A',
    baseSize: 10_000,
    strategyConfidence: 0.6,
    payoffRatio: 1.5,
    realizedVolatility: 0.3,
    stopDistance: 0.05,
    portfolio: { equity: 100_000, currentDrawdown: 0.05 },
  };
  const size = async (input: PositionSizeInput) =>
    dataOf(await t.as('trader')(PositionSizeMultiplierDocument, { input })).positionSizeMultiplier;

  it('answers by the capped-Kelly rule (hand-computed) when no limit binds', async () => {
    // f* = 0.6 − 0.4 / 1.5 = 1/3; half-Kelly 1/6 of equity over a 10 % base = 5/3×;
    // drawdown 0.05 of 0.2 → ×0.75; volatility 0.15 / 0.3 → ×0.5: 5/3 · 0.75 · 0.5 = 0.625
    const answer = await size(request);
    expect(answer).toMatchObject({
      source: { kind: 'RULE', name: 'capped_kelly', version: null },
      ruleLimits: [],
      clampedBy: [],
      leverage: 1,
      drawdownScale: 0.75,
      volatilityScale: 0.5,
    });
    expect(answer.multiplier).toBeCloseTo(0.625, 12);
    expect(answer.proposedMultiplier).toBeCloseTo(0.625, 12);
    expect(answer.positionSize).toBeCloseTo(6250, 9);
    expect(answer.kelly!.full).toBeCloseTo(1 / 3, 12);
    expect(answer.kelly!.fraction).toBeCloseTo(1 / 6, 12);
    expect(answer.inputs).toMatchObject({
      winProbability: 0.6,
      payoffRatio: 1.5,
      realizedVolatility: 0.3,
      stopDistance: 0.05,
      currentDrawdown: 0.05,
      baseFraction: 0.1,
    });
    expect(answer.riskFraction).toBeCloseTo(0.1 * 0.625 * 0.05, 12);
    expect(answer.explanation).toMatch(
      /^Kelly 0.3333 × 0.5 → 0.1667 of equity = 1.6667× base; drawdown 0.05 of max 0.2 → ×0.75; volatility target 0.15 \/ 0.3 → ×0.5; multiplier 0.625$/,
    );
    expect(answer.decision).toEqual({
      position_size: {
        source: { kind: 'RULE', name: 'capped_kelly', version: null },
        multiplier: answer.multiplier,
        leverage: 1,
        proposedMultiplier: answer.multiplier,
        clampedBy: [],
        inputs: answer.inputs,
      },
    });
  });

  it('names the rule’s caps and the policy risk limit that cut a large proposal', async () => {
    // p 0.9, b 1: f* 0.8 → half 0.4 → capped at 0.25 → 2.5× → capped at 2×; a 50 % stop risks 0.1 · 2 · 0.5 = 10 % > 2 %
    const answer = await size({
      ...request,
      strategyConfidence: 0.9,
      payoffRatio: 1,
      realizedVolatility: 0.15,
      stopDistance: 0.5,
      portfolio: { equity: 100_000 },
    });
    expect(answer.ruleLimits).toEqual(['max_kelly_fraction', 'max_multiplier']);
    expect(answer.proposedMultiplier).toBe(2);
    expect(answer.clampedBy).toEqual(['maxRiskPerTrade']);
    expect(answer.multiplier).toBeCloseTo(0.4, 12);
    expect(answer.riskFraction).toBeLessThanOrEqual(0.02);
    expect(answer.explanation).toMatch(/; risk limits: maxRiskPerTrade cut the size multiplier 2 → 0\.4$/);
  });

  it('sizes nothing once the policy’s open positions are taken, and follows a changed multiplier cap', async () => {
    const full = await size({ ...request, portfolio: { equity: 100_000, openPositions: 10 } });
    expect([full.multiplier, full.clampedBy]).toEqual([0, ['maxOpenPositions']]);
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { risk_limits: { max_position_multiplier: 0.5 } } }));
    try {
      const capped = await size(request);
      expect([capped.multiplier, capped.ruleLimits]).toEqual([0.5, ['max_multiplier']]);
    } finally {
      dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { risk_limits: { max_position_multiplier: 2 } } }));
    }
  });

  it('takes the volatility and the stop from the daily bars when they are not given', async () => {
    const answer = await size({ ...request, realizedVolatility: undefined, stopDistance: undefined });
    expect(answer.inputs.realizedVolatility).toBeCloseTo(latest.vol_20 * Math.sqrt(252), 6);
    expect(answer.inputs.stopDistance).toBeCloseTo(2 * latest.atr_14, 6);
  });

  it.each([
    ['strategyConfidence', { strategyConfidence: 1.5 }, 'expects strategyConfidence in [0, 1], but got 1.5'],
    ['portfolio.equity', { portfolio: {} }, 'expects portfolio.equity to be an amount > 0, but got NaN'],
    ['baseSize', { baseSize: -1 }, 'expects baseSize to be a notional > 0, but got -1'],
    [
      'portfolio.currentDrawdown',
      { portfolio: { equity: 1, currentDrawdown: 1.2 } },
      'expects portfolio.currentDrawdown in [0, 1] (a fraction of peak equity), but got 1.2',
    ],
  ])('refuses a bad %s', async (field, overrides, message) => {
    const error = errorOf(await t.as('trader')(PositionSizeMultiplierDocument, { input: { ...request, ...overrides } }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message, extensions: expect.objectContaining({ field }) });
  });

  it('answers with an RL agent’s proposal when one is plugged in, still within the risk limits', async () => {
    const previous = t.app.services.decision.setAgents({
      proposePositionSize: async (context) => ({
        source: { kind: 'MODEL', name: 'sizing-agent', version: 3 },
        sizeMultiplier: 1.5,
        leverage: 10,
        explanation: `state ${context.regime} → size1.5_lev10`,
        decision: {
          rl_position_sizing: {
            model: 'sizing-agent',
            version: 3,
            state: { regime: context.regime },
            action: 'size1.5_lev10_tp-balanced_sl-tight',
          },
        },
      }),
    });
    try {
      const answer = await size({ ...request, regime: 'VOLATILE' });
      expect(answer).toMatchObject({
        source: { kind: 'MODEL', name: 'sizing-agent', version: 3 },
        proposedMultiplier: 1.5,
        leverage: 3,
        ruleLimits: [],
        kelly: null,
      });
      expect(answer.clampedBy[0]).toBe('maxLeverage');
      expect(answer.explanation).toMatch(/^state VOLATILE → size1.5_lev10; risk limits: maxLeverage cut leverage 10 → 3/);
      expect(answer.decision).toMatchObject({
        position_size: { source: { kind: 'MODEL', name: 'sizing-agent', version: 3 } },
        rl_position_sizing: { action: 'size1.5_lev10_tp-balanced_sl-tight' },
      });
    } finally {
      t.app.services.decision.setAgents(previous);
    }
  });
});

describe('strategyWeights', () => {
  const strategies = [
    { strategy: 'TREND_FOLLOW' as const, confidence: 0.8 },
    { strategy: 'MEAN_REVERSION' as const, confidence: 0.5 },
    { strategy: 'DEFENSIVE' as const, confidence: 0.2 },
  ];

  it('answers by the regime-prior × confidence rule, with each weight’s reasoning', async () => {
    const answer = dataOf(await t.as('trader')(StrategyWeightsDocument, { input: { strategies, regime: 'TRENDING' } })).strategyWeights;
    const expected = strategyWeights({ trend_follow: 0.8, mean_reversion: 0.5, defensive: 0.2 }, 'TRENDING');
    expect(answer).toMatchObject({
      regime: 'TRENDING',
      source: { kind: 'RULE', name: 'regime_prior_confidence', version: null },
      floor: 0.05,
    });
    expect(answer.weights.map((w) => [w.strategy, w.weight, w.prior, w.explanation])).toEqual(
      expected.reasons.map((reason) => [reason.strategy.toUpperCase(), reason.weight, reason.prior, reason.explanation]),
    );
    expect(answer.weights.reduce((sum, w) => sum + w.weight, 0)).toBeCloseTo(1, 12);
    expect(answer.decision).toEqual({ strategy_weights: { source: answer.source, regime: 'TRENDING', weights: expected.weights } });
  });

  it.each([
    [
      'a strategy twice',
      { strategies: [...strategies, strategies[0]], regime: 'TRENDING' as const },
      'expects each strategy once, but "trend_follow" appears twice',
      'strategies',
    ],
    [
      'a floor too high for three strategies',
      { strategies, regime: 'RANGING' as const, floor: 0.5 },
      'expects floor in [0, 1/3] for 3 strategies, but got 0.5',
      'floor',
    ],
    [
      'a confidence above 1',
      { strategies: [{ strategy: 'BREAKOUT' as const, confidence: 2 }], regime: 'CHOPPY' as const },
      'expects the confidence of breakout in [0, 1], but got 2',
      'confidences.breakout',
    ],
  ])('refuses %s', async (_case, input, message, field) => {
    const error = errorOf(await t.as('trader')(StrategyWeightsDocument, { input }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message, extensions: expect.objectContaining({ field }) });
  });

  it('answers with an RL agent’s weights when one is plugged in', async () => {
    const previous = t.app.services.decision.setAgents({
      proposeStrategyWeights: async () => ({
        source: { kind: 'MODEL', name: 'meta-agent', version: 1 },
        weights: { trend_follow: 0.7, mean_reversion: 0.2, defensive: 0.1 },
        explanation: 'softmax of Q-values',
        decision: { rl_meta_strategy: { model: 'meta-agent', action: 'trend_follow' } },
      }),
    });
    try {
      const answer = dataOf(await t.as('trader')(StrategyWeightsDocument, { input: { strategies, regime: 'TRENDING' } })).strategyWeights;
      expect(answer).toMatchObject({ source: { kind: 'MODEL', name: 'meta-agent', version: 1 }, explanation: 'softmax of Q-values' });
      expect(answer.weights.map((w) => [w.strategy, w.weight, w.prior])).toEqual([
        ['TREND_FOLLOW', 0.7, null],
        ['MEAN_REVERSION', 0.2, null],
        ['DEFENSIVE', 0.1, null],
      ]);
      expect(answer.decision).toMatchObject({ rl_meta_strategy: { model: 'meta-agent' }, strategy_weights: { source: { kind: 'MODEL' } } });
    } finally {
      t.app.services.decision.setAgents(previous);
    }
  });
});
