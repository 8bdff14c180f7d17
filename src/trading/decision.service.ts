/**
 * The orchestrator's decisions: `tradePrediction` (the horizon models' forecasts, one signal and its
 * risk), `positionSizeMultiplier` and `strategyWeights`. Every answer says which rule or model
 * produced it and which limits cut it, and carries a `decision` document for the orchestrator to pass
 * back with logTradeExecution: the answers' documents are keyed (`position_size`, `strategy_weights`,
 * and an agent's own key such as `rl_position_sizing`), so the orchestrator merges them into one
 * object, and the RL agents find their state and action there when the trade closes.
 *
 * Sizing and weighting answer by the documented rules (trading/sizing-rules.ts, trading/strategy-allocation.ts)
 * until an RL agent takes over through `DecisionAgents`; whoever proposes a size, it passes the
 * policy's risk limits (lib/risk-limits.ts) before it is answered.
 */
import { randomUUID } from 'node:crypto';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { parseSymbol, parseTimeframe, type Timeframe } from '../lib/bars';
import { InvalidInputError, ModelNotReadyError, NotFoundError, quote, refuse } from '../lib/errors';
import { checkFeatureSnapshot, type FeatureSnapshotValues } from './feature-snapshot';
import { isMarketRegime, MARKET_REGIMES, type MarketRegime, type Strategy } from '../lib/market-vocabulary';
import { assessRisk, type HorizonRisk, type RiskAssessment } from './risk';
import { clampPositionSize, describeCuts, type ClampedSizing, type RiskLimits } from '../lib/risk-limits';
import { isScoredTask } from '../lib/scored-task';
import { DEFAULT_SIZING_RULES, positionSizeMultiplier, type PositionSize } from './sizing-rules';
import { DEFAULT_WEIGHT_FLOOR, strategyWeights, type StrategyWeightReason } from './strategy-allocation';
import { combineForecasts, type HorizonForecast, type TradeSignal } from './trade-signal';
import { historyOf, horizonErrorScale, horizonReturn, sequenceHorizon, type SequenceHorizon } from './sequence-horizon';
import type { Policy } from '../config/policy';
import type { FeaturesService } from '../market/features.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { DatasetsService } from '../registry/datasets.service';
import type { RegistryService } from '../registry/registry.service';
import type { ForecastResult, PredictionResult, ServingService } from '../serving/serving.service';

export type DecisionSourceKind = 'RULE' | 'MODEL';

/** Which rule or model produced an answer. */
export interface DecisionSource {
  kind: DecisionSourceKind;
  /** The rule's name, or the registered model's. */
  name: string;
  /** The model version that answered (null for a rule). */
  version: number | null;
}

export interface PortfolioState {
  /** Account equity in the account currency, > 0. */
  equity?: number | null;
  openPositions?: number | null;
  /** Gross notional of the open positions, in the account currency. */
  grossExposure?: number | null;
  /** Drawdown from peak equity, a fraction in [0, 1]. */
  currentDrawdown?: number | null;
  /** The portfolio's return over the last 7 days, in percent (the RL meta-strategy agent's state). */
  pnlPercent7d?: number | null;
}

// ---------------------------------------------------------------------------------------------
// The RL agents' seam

/** What an agent proposing a position size is given: the request with every default resolved. */
export interface PositionSizeContext {
  symbol: string;
  regime: MarketRegime | null;
  baseSize: number;
  strategyConfidence: number;
  portfolio: Required<Pick<PortfolioState, 'equity' | 'openPositions' | 'grossExposure' | 'currentDrawdown'>> &
    Pick<PortfolioState, 'pnlPercent7d'>;
  /** Annualised. */
  realizedVolatility: number;
  stopDistance: number;
  payoffRatio: number;
  limits: RiskLimits;
}

export interface AgentPositionSize {
  source: DecisionSource;
  sizeMultiplier: number;
  leverage: number;
  explanation: string;
  /**
   * Merged into the answer's `decision`, stored with the trade, handed back when it closes: keyed by the agent (e.g. `{ rl_position_sizing:
   * { model, version, state, action } }`).
   */
  decision: Record<string, unknown>;
}

/**
 * An agent that lets the rule answer this request and says why (e.g. it has not learned from enough
 * trades yet). The reason leads the answer's explanation and its `decision.position_size.deferredBy`;
 * `decisionFor` is given the size the answer carries (after the risk limits) and returns the agent's
 * own entry for the answer's `decision`, so that the agent learns from the trade as it was sized.
 */
export interface AgentDeferral {
  deferredBy: DecisionSource;
  reason: string;
  decisionFor(sized: { sizeMultiplier: number; leverage: number }): Record<string, unknown>;
}

/** Market figures the RL meta-strategy agent's state needs besides the regime (the rule does not use them). */
export interface MarketState {
  /** Annualised realised volatility (0.2 = 20 %). */
  annualizedVolatility?: number | null;
  /** Percentile rank of recent volume within its own history, in [0, 1]. */
  volumePercentile?: number | null;
}

export interface StrategyWeightsContext {
  regime: MarketRegime;
  confidences: Partial<Record<Strategy, number>>;
  portfolio: PortfolioState | null;
  market: MarketState | null;
  floor: number;
}

export interface AgentStrategyWeights {
  source: DecisionSource;
  /** By strategy (those of the request), summing to 1. */
  weights: Partial<Record<Strategy, number>>;
  explanation: string;
  decision: Record<string, unknown>;
}

/**
 * The RL agents plug in here (server/app.ts: `decision.setAgents(...)`). Each method is called first
 * on every request of its kind: return a proposal to answer with it, or undefined to let the rule
 * answer (no ACTIVE agent version, a state the agent has never seen, …) — for a position size, an
 * AgentDeferral lets the rule answer and says why. Throwing fails the request.
 * A proposed size still passes the policy's risk limits; the answer names the limits that cut it.
 */
export interface DecisionAgents {
  proposePositionSize?(context: PositionSizeContext): Promise<AgentPositionSize | AgentDeferral | undefined>;
  proposeStrategyWeights?(context: StrategyWeightsContext): Promise<AgentStrategyWeights | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Requests and answers

export interface TradePredictionRequest {
  symbol: string;
  timeframe?: string | null;
  /** Features of the last bar at or before this time (UTC epoch ms) when `features` is absent. */
  asOf?: number | null;
  /** Named feature values; when absent they are computed from the stored bars of `symbol`. */
  features?: Record<string, unknown> | null;
  /** Signed notional of the intended position (> 0 long, < 0 short); default 1: risk per unit of notional. */
  positionValue?: number | null;
  portfolio?: PortfolioState | null;
}

export interface HorizonPrediction {
  horizon: number;
  model: string;
  /** A sequence model's is its forecast (a logged prediction too). */
  prediction: PredictionResult;
  /** 'forecast': a sequence model of returns (trading/sequence-horizon.ts). */
  task: 'regression' | 'binary' | 'forecast';
  /** A regression model's predicted forward return; a sequence model's forecast compounded over the horizon. */
  expectedReturn: number | null;
  /** The probability of a rise over the horizon (see trading/trade-signal.ts). */
  probabilityUp: number | null;
}

/**
 * The bar a horizon model answers about: the bar the features describe when they come from stored bars, else
 * (features sent) the last one at or before the request's asOf, default the latest.
 */
interface HorizonBar {
  symbol: string;
  timeframe: Timeframe;
  /** The bar's time, when the features were computed from it (UTC epoch ms). */
  time: number | null;
  asOf: number | undefined;
}

export interface UnavailableHorizon {
  horizon: number;
  model: string;
  reason: string;
}

export interface HorizonRiskView extends HorizonRisk {
  /** valueAtRisk / portfolio equity, when the equity is known. */
  valueAtRiskOfEquity: number | null;
}

export interface TradePredictionAnswer {
  requestId: string;
  symbol: string;
  timeframe: Timeframe;
  /** The bar the features describe, when they were computed from stored bars. */
  asOf: Date | null;
  features: FeatureSnapshotValues;
  horizons: HorizonPrediction[];
  unavailable: UnavailableHorizon[];
  /** Pass these with logTradeExecution: the trade's outcome becomes theirs. */
  predictionIds: string[];
  direction: TradeSignal['direction'] | null;
  confidence: number | null;
  probabilityUp: number | null;
  /** Gaussian risk of `positionValue` at each regression horizon (null without a volatility: no vol_20 feature). */
  risk: (Omit<RiskAssessment, 'horizons'> & { perBarVolatility: number; horizons: HorizonRiskView[] }) | null;
}

export interface PositionSizeRequest {
  symbol: string;
  /** The strategy's usual position, as notional in the account currency. */
  baseSize: number;
  /** Probability the trade wins, in [0, 1]. */
  strategyConfidence: number;
  portfolio: PortfolioState;
  /** Only the RL agents use it. */
  regime?: string | null;
  /** Average win / average loss; default 1. */
  payoffRatio?: number | null;
  /** Annualised; default from the symbol's daily bars: vol_20 × √252. */
  realizedVolatility?: number | null;
  /** Entry-to-stop distance as a fraction of the price; default from the daily bars: 2 × atr_14 (at most 1). */
  stopDistance?: number | null;
}

export interface PositionSizeAnswer {
  symbol: string;
  source: DecisionSource;
  /** After the risk limits. */
  multiplier: number;
  positionSize: number;
  /** What the rule or agent proposed, before the risk limits. */
  proposedMultiplier: number;
  leverage: number;
  explanation: string;
  /** The sizing rule's own caps and floors (trading/sizing-rules.ts), empty for an agent. */
  ruleLimits: string[];
  /** The policy's risk limits that cut the proposal (lib/risk-limits.ts). */
  clampedBy: string[];
  /** The rule's terms (null for an agent's answer). */
  kelly: PositionSize['kelly'] | null;
  drawdownScale: number | null;
  volatilityScale: number | null;
  inputs: {
    winProbability: number;
    payoffRatio: number;
    realizedVolatility: number;
    stopDistance: number;
    currentDrawdown: number;
    baseFraction: number;
  };
  notionalFraction: number;
  riskFraction: number;
  decision: Record<string, unknown>;
}

export interface StrategyWeightsRequest {
  strategies: { strategy: string; confidence: number }[];
  regime: string;
  portfolio?: PortfolioState | null;
  market?: MarketState | null;
  floor?: number | null;
}

/** A strategy's weight, with the rule's reasoning for it (prior, confidence, explanation: null for an agent's answer). */
export interface StrategyWeightView extends Pick<StrategyWeightReason, 'strategy' | 'weight'> {
  prior: number | null;
  confidence: number | null;
  explanation: string | null;
}

export interface StrategyWeightsAnswer {
  regime: MarketRegime;
  source: DecisionSource;
  weights: StrategyWeightView[];
  floor: number;
  explanation: string;
  decision: Record<string, unknown>;
}

const SIZING_RULE: DecisionSource = { kind: 'RULE', name: 'capped_kelly', version: null };
const ALLOCATION_RULE: DecisionSource = { kind: 'RULE', name: 'regime_prior_confidence', version: null };
const TRADING_DAYS = 252;
const STOP_ATR_MULTIPLE = 2;

function optionalNumber(
  field: string,
  value: number | null | undefined,
  expectation: string,
  ok: (v: number) => boolean,
): number | undefined {
  if (value == null) return undefined;
  if (!Number.isFinite(value) || !ok(value)) refuse(field, expectation, value);
  return value;
}

function requiredNumber(field: string, value: number, expectation: string, ok: (v: number) => boolean): number {
  return optionalNumber(field, value, expectation, ok) ?? refuse(field, expectation, value);
}

function parseRegime(value: string, field: string): MarketRegime {
  if (!isMarketRegime(value)) refuse(field, `to be one of ${MARKET_REGIMES.join(', ')}`, quote(value));
  return value;
}

function riskLimits(policy: Policy): RiskLimits {
  return {
    maxRiskPerTrade: policy.risk_limits.max_risk_per_trade,
    maxLeverage: policy.risk_limits.max_leverage,
    maxOpenPositions: policy.risk_limits.max_positions,
  };
}

export class DecisionService {
  private agents: DecisionAgents = {};

  constructor(
    private readonly registry: RegistryService,
    private readonly serving: ServingService,
    private readonly features: FeaturesService,
    private readonly policy: PolicyService,
    private readonly datasets: DatasetsService,
  ) {}

  /** Replaces the agents; returns the ones it replaced. */
  setAgents(agents: DecisionAgents): DecisionAgents {
    const previous = this.agents;
    this.agents = agents;
    return previous;
  }

  /**
   * Asks each horizon model of the policy (`trade_prediction.horizons`) for its forecast on the same
   * features, through serving (so every prediction is logged and shadowed), under one request id.
   * A sequence model (nhits, patchtst) of returns forecasts instead from the bars up to the same bar, as
   * the SERIES dataset it was trained on builds its rows (trading/sequence-horizon.ts).
   * A horizon whose model is missing or not servable is reported unavailable; none available is an error.
   */
  async tradePrediction(request: TradePredictionRequest): Promise<TradePredictionAnswer> {
    const symbol = parseSymbol(request.symbol);
    const timeframe = parseTimeframe(request.timeframe ?? '1d');
    const positionValue = optionalNumber('positionValue', request.positionValue, 'to be a finite, non-zero notional', (v) => v !== 0) ?? 1;
    const equity = optionalNumber('portfolio.equity', request.portfolio?.equity, 'to be an amount > 0', (v) => v > 0);
    const snapshot = request.features
      ? { values: checkFeatureSnapshot(request.features), asOf: null }
      : await this.features
          .featuresAt(symbol, timeframe, request.asOf ?? undefined)
          .then((s) => ({ values: s.values as FeatureSnapshotValues, asOf: new Date(s.timestamp) }));

    const policy = await this.policy.document();
    const mapped = Object.entries(policy.trade_prediction.horizons)
      .map(([days, model]) => ({ horizon: Number(days), model }))
      .sort((a, b) => a.horizon - b.horizon);
    const requestId = `trade-prediction-${randomUUID()}`;
    const bar: HorizonBar = { symbol, timeframe, time: snapshot.asOf?.getTime() ?? null, asOf: request.asOf ?? undefined };
    const forecasts = new Map<string, Promise<ForecastResult | string>>();
    const outcomes = await Promise.all(
      mapped.map(({ horizon, model }) => this.predictHorizon(horizon, model, snapshot.values, bar, requestId, forecasts)),
    );
    const horizons = outcomes.filter((outcome): outcome is HorizonPrediction => 'prediction' in outcome);
    const unavailable = outcomes.filter((outcome): outcome is UnavailableHorizon => 'reason' in outcome);
    if (horizons.length === 0) {
      throw new ModelNotReadyError(
        `no horizon model can answer for ${symbol}: ${unavailable.map((u) => `${u.horizon}d (${u.model}): ${u.reason}`).join('; ')}`,
        {
          field: 'trade_prediction.horizons',
        },
      );
    }

    const volatility = snapshot.values.vol_20;
    const perBarVolatility = typeof volatility === 'number' && volatility >= 0 ? volatility : null;
    const signals = horizons.flatMap((h): HorizonForecast[] => {
      if (h.task === 'binary') return [{ horizon: h.horizon, task: 'binary', probabilityUp: h.prediction.value! }];
      const rmse = h.prediction.modelVersion.metrics.rmse;
      const modelScale = h.task === 'forecast' ? horizonErrorScale(rmse, h.horizon) : rmse > 0 ? rmse : null;
      const errorScale = modelScale ?? (perBarVolatility ? perBarVolatility * Math.sqrt(h.horizon) : null);
      return errorScale ? [{ horizon: h.horizon, task: 'regression', expectedReturn: h.expectedReturn!, errorScale }] : [];
    });
    const signal = signals.length ? combineForecasts(signals) : null;
    for (const h of horizons) h.probabilityUp = signal?.horizons.find((s) => s.horizon === h.horizon)?.probabilityUp ?? null;

    const regressions = horizons.filter((h) => h.expectedReturn !== null && h.expectedReturn > -1);
    let risk: TradePredictionAnswer['risk'] = null;
    if (perBarVolatility !== null && regressions.length) {
      const assessed = assessRisk({
        predictions: regressions.map((h) => ({ horizon: h.horizon, expectedReturn: h.expectedReturn! })),
        volatility: perBarVolatility,
        positionValue,
      });
      risk = {
        ...assessed,
        perBarVolatility,
        horizons: assessed.horizons.map((h) => ({ ...h, valueAtRiskOfEquity: equity ? h.valueAtRisk / equity : null })),
      };
    }
    return {
      requestId,
      symbol,
      timeframe,
      asOf: snapshot.asOf,
      features: snapshot.values,
      horizons,
      unavailable,
      predictionIds: [...new Set(horizons.map((h) => h.prediction.id))],
      direction: signal?.direction ?? null,
      confidence: signal?.confidence ?? null,
      probabilityUp: signal?.probabilityUp ?? null,
      risk,
    };
  }

  /** The multiplier of `baseSize` to trade: an ACTIVE agent's proposal or the capped-Kelly rule, within the risk limits. */
  async positionSizeMultiplier(request: PositionSizeRequest): Promise<PositionSizeAnswer> {
    const symbol = parseSymbol(request.symbol);
    const regime = request.regime == null ? null : parseRegime(request.regime, 'regime');
    const baseSize = requiredNumber('baseSize', request.baseSize, 'to be a notional > 0', (v) => v > 0);
    const strategyConfidence = requiredNumber('strategyConfidence', request.strategyConfidence, 'in [0, 1]', (v) => v >= 0 && v <= 1);
    const portfolio = {
      equity: requiredNumber('portfolio.equity', request.portfolio.equity ?? NaN, 'to be an amount > 0', (v) => v > 0),
      openPositions:
        optionalNumber(
          'portfolio.openPositions',
          request.portfolio.openPositions,
          'to be an integer ≥ 0',
          (v) => Number.isInteger(v) && v >= 0,
        ) ?? 0,
      grossExposure: optionalNumber('portfolio.grossExposure', request.portfolio.grossExposure, 'to be an amount ≥ 0', (v) => v >= 0) ?? 0,
      currentDrawdown:
        optionalNumber(
          'portfolio.currentDrawdown',
          request.portfolio.currentDrawdown,
          'in [0, 1] (a fraction of peak equity)',
          (v) => v >= 0 && v <= 1,
        ) ?? 0,
      pnlPercent7d:
        optionalNumber('portfolio.pnlPercent7d', request.portfolio.pnlPercent7d, 'to be a finite percentage', () => true) ?? null,
    };
    const payoffRatio = optionalNumber('payoffRatio', request.payoffRatio, 'to be a finite number > 0', (v) => v > 0) ?? 1;
    let realizedVolatility = optionalNumber(
      'realizedVolatility',
      request.realizedVolatility,
      'to be an annualised volatility ≥ 0',
      (v) => v >= 0,
    );
    let stopDistance = optionalNumber('stopDistance', request.stopDistance, 'a fraction of the price in (0, 1]', (v) => v > 0 && v <= 1);
    if (realizedVolatility === undefined || stopDistance === undefined) {
      const daily = await this.features.featuresAt(symbol, '1d');
      realizedVolatility ??= (daily.values.vol_20 ?? 0) * Math.sqrt(TRADING_DAYS);
      stopDistance ??= Math.min(1, STOP_ATR_MULTIPLE * (daily.values.atr_14 ?? 0));
      if (!(stopDistance > 0)) refuse('stopDistance', 'to be given when the daily bars have no range (atr_14 = 0)', stopDistance);
    }
    const policy = await this.policy.document();
    const limits = riskLimits(policy);
    const maxMultiplier = policy.risk_limits.max_position_multiplier;
    const baseFraction = baseSize / portfolio.equity;
    const inputs = {
      winProbability: strategyConfidence,
      payoffRatio,
      realizedVolatility,
      stopDistance,
      currentDrawdown: portfolio.currentDrawdown,
      baseFraction,
    };

    const proposal = await this.agents.proposePositionSize?.({
      symbol,
      regime,
      baseSize,
      strategyConfidence,
      portfolio,
      realizedVolatility,
      stopDistance,
      payoffRatio,
      limits,
    });
    const deferral = proposal && 'deferredBy' in proposal ? proposal : null;
    const agentSize = proposal && !('deferredBy' in proposal) ? proposal : null;
    let rule: PositionSize | null = null;
    let proposed: {
      source: DecisionSource;
      sizeMultiplier: number;
      leverage: number;
      explanation: string;
      decision: Record<string, unknown> | null;
    };
    if (agentSize) {
      proposed = agentSize;
    } else {
      rule = positionSizeMultiplier(
        { winProbability: strategyConfidence, payoffRatio, currentDrawdown: portfolio.currentDrawdown, realizedVolatility },
        { ...DEFAULT_SIZING_RULES, baseFraction, maxMultiplier },
      );
      const explanation = deferral ? `${deferral.reason}; ${rule.explanation}` : rule.explanation;
      proposed = { source: SIZING_RULE, sizeMultiplier: rule.multiplier, leverage: 1, explanation, decision: null };
    }
    const clamped: ClampedSizing = clampPositionSize(
      limits,
      {
        equity: portfolio.equity,
        openPositions: portfolio.openPositions,
        grossExposure: portfolio.grossExposure,
        stopDistance,
        basePositionFraction: baseFraction,
      },
      { sizeMultiplier: proposed.sizeMultiplier, leverage: proposed.leverage },
    );
    const explanation = clamped.cuts.length ? `${proposed.explanation}; risk limits: ${describeCuts(clamped.cuts)}` : proposed.explanation;
    return {
      symbol,
      source: proposed.source,
      multiplier: clamped.sizeMultiplier,
      positionSize: baseSize * clamped.sizeMultiplier,
      proposedMultiplier: proposed.sizeMultiplier,
      leverage: clamped.leverage,
      explanation,
      ruleLimits: rule?.limitsApplied ?? [],
      clampedBy: clamped.clampedBy,
      kelly: rule?.kelly ?? null,
      drawdownScale: rule?.drawdownScale ?? null,
      volatilityScale: rule?.volatilityScale ?? null,
      inputs,
      notionalFraction: clamped.notionalFraction,
      riskFraction: clamped.riskFraction,
      decision: {
        position_size: {
          source: proposed.source,
          multiplier: clamped.sizeMultiplier,
          leverage: clamped.leverage,
          proposedMultiplier: proposed.sizeMultiplier,
          clampedBy: clamped.clampedBy,
          inputs,
          ...(deferral ? { deferredBy: { ...deferral.deferredBy, reason: deferral.reason } } : {}),
        },
        ...(proposed.decision ?? deferral?.decisionFor({ sizeMultiplier: clamped.sizeMultiplier, leverage: clamped.leverage }) ?? {}),
      },
    };
  }

  /** Capital weights across the strategies: an ACTIVE agent's or the regime-prior × confidence rule's. */
  async strategyWeights(request: StrategyWeightsRequest): Promise<StrategyWeightsAnswer> {
    const regime = parseRegime(request.regime, 'regime');
    const confidences: Record<string, number> = {};
    for (const { strategy, confidence } of request.strategies) {
      if (strategy in confidences)
        throw new InvalidInputError(`expects each strategy once, but "${strategy}" appears twice`, { field: 'strategies' });
      confidences[strategy] = confidence;
    }
    const floor = request.floor ?? DEFAULT_WEIGHT_FLOOR;
    const ruled = strategyWeights(confidences, regime, floor); // validates strategies, confidences and floor
    const proposal = await this.agents.proposeStrategyWeights?.({
      regime,
      confidences: confidences as Partial<Record<Strategy, number>>,
      portfolio: request.portfolio ?? null,
      market: request.market ?? null,
      floor,
    });
    const source = proposal?.source ?? ALLOCATION_RULE;
    const weights: StrategyWeightView[] = proposal
      ? Object.entries(proposal.weights).map(([strategy, weight]) => ({
          strategy: strategy as Strategy,
          weight: weight!,
          prior: null,
          confidence: null,
          explanation: null,
        }))
      : ruled.reasons.map(({ strategy, weight, prior, confidence, explanation }) => ({ strategy, weight, prior, confidence, explanation }));
    const explanation = proposal?.explanation ?? `prior of each strategy in ${regime} × its confidence, normalised, with a ${floor} floor`;
    return {
      regime,
      source,
      weights,
      floor,
      explanation,
      decision: {
        strategy_weights: { source, regime, weights: Object.fromEntries(weights.map((w) => [w.strategy, w.weight])) },
        ...(proposal?.decision ?? {}),
      },
    };
  }

  private async predictHorizon(
    horizon: number,
    modelName: string,
    values: FeatureSnapshotValues,
    bar: HorizonBar,
    requestId: string,
    forecasts: Map<string, Promise<ForecastResult | string>>,
  ): Promise<HorizonPrediction | UnavailableHorizon> {
    const unavailable = (reason: string): UnavailableHorizon => ({ horizon, model: modelName, reason });
    try {
      const model = await this.registry.getRegisteredModel(modelName);
      const active: ModelVersionEntity | null = await this.registry.activeVersion(model.id);
      if (!active) return unavailable(`model "${modelName}" has no ACTIVE version`);
      const task = active.signature?.task;
      if (task === 'forecast') return await this.forecastHorizon(horizon, modelName, active, bar, requestId, forecasts);
      if (!isScoredTask(task)) return unavailable(`model "${modelName}" is a ${task ?? 'signature-less'} model, not a forecast of returns`);
      const missing = active.featureNames.filter((name) => !(name in values));
      if (missing.length)
        return unavailable(`the features lack ${missing.join(', ')}, which version ${active.version} of "${modelName}" needs`);
      const prediction = await this.serving.predict({
        model: modelName,
        features: active.featureNames.map((name) => values[name]),
        requestId,
      });
      if (prediction.value === null)
        return unavailable(`version ${prediction.modelVersion.version} of "${modelName}" could not score these features`);
      return {
        horizon,
        model: modelName,
        prediction,
        task,
        expectedReturn: task === 'regression' ? prediction.value : null,
        probabilityUp: null,
      };
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ModelNotReadyError) return unavailable(error.message);
      throw error;
    }
  }

  /**
   * A sequence model's horizon (trading/sequence-horizon.ts): its forecast compounded over the horizon. A model
   * mapped to several horizons forecasts once per request (`forecasts`, by model name): a request id is logged
   * once per model.
   */
  private async forecastHorizon(
    horizon: number,
    modelName: string,
    active: ModelVersionEntity,
    bar: HorizonBar,
    requestId: string,
    forecasts: Map<string, Promise<ForecastResult | string>>,
  ): Promise<HorizonPrediction | UnavailableHorizon> {
    const unavailable = (reason: string): UnavailableHorizon => ({ horizon, model: modelName, reason });
    const dataset = active.datasetId ? await this.datasets.getDataset(active.datasetId) : null;
    const plan = sequenceHorizon({ model: modelName, version: active, dataset, symbol: bar.symbol, timeframe: bar.timeframe, horizon });
    if ('reason' in plan) return unavailable(plan.reason);
    let pending = forecasts.get(modelName);
    if (!pending) forecasts.set(modelName, (pending = this.forecastFromBars(modelName, active, plan, bar, requestId)));
    const forecast = await pending;
    if (typeof forecast === 'string') return unavailable(forecast);
    const expectedReturn = horizonReturn(forecast, plan);
    if (expectedReturn === null)
      return unavailable(`version ${forecast.modelVersion.version} of "${modelName}" became ACTIVE while answering; ask again`);
    return { horizon, model: modelName, prediction: forecast, task: 'forecast', expectedReturn, probabilityUp: null };
  }

  /**
   * The forecast of a sequence version from the last rows of the SERIES dataset it was trained on, rebuilt from the
   * bars up to the request's bar, logged with asOf = the history's last time (so its outcome can be filled in from
   * the bars that follow); or why there is none.
   */
  private async forecastFromBars(
    modelName: string,
    active: ModelVersionEntity,
    plan: SequenceHorizon,
    bar: HorizonBar,
    requestId: string,
  ): Promise<ForecastResult | string> {
    const named = `version ${active.version} of "${modelName}"`;
    let rows;
    try {
      rows = await this.features.latestSeriesRows(plan.datasetSpec, plan.inputLength, bar.time ?? bar.asOf);
    } catch (error) {
      if (error instanceof InvalidInputError)
        return `${named} reads the last ${plan.inputLength} rows of its SERIES dataset: ${error.message}`;
      throw error;
    }
    const { history, lastTime } = historyOf(rows, plan.channels);
    if (bar.time !== null && lastTime !== bar.time) {
      return (
        `the last time every symbol of ${named} has a bar is ${new Date(lastTime).toISOString()}, not the bar the request is about ` +
        `(${new Date(bar.time).toISOString()}); ingest the other symbols' bars at that time`
      );
    }
    return this.serving.forecast({ model: modelName, history, asOf: new Date(lastTime), requestId });
  }
}
