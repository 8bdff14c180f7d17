/**
 * The position-sizing agent (family `rl_position_sizing`): for a signal about to be traded, it learns
 * how big, how leveraged, and with which take-profit and stop-loss profile. State = regime × signal
 * confidence × portfolio exposure × recent win rate × volatility (4 × 4 × 4 × 3 × 4 = 768 states);
 * action = size multiplier × leverage × take-profit × stop-loss (5 × 6 × 3 × 3 = 270 actions).
 * Every decision goes through the risk-limits clamp (lib/risk-limits.ts) before it is returned.
 *
 * Bucket edges (lower-inclusive: a value on an edge falls in the higher bucket):
 * - confidence of the signal in [0, 1]: LOW < 0.55 ≤ MEDIUM < 0.70 ≤ HIGH < 0.85 ≤ VERY_HIGH
 * - exposure = gross notional of open positions / equity: LOW < 0.25 ≤ MEDIUM < 0.5 ≤ HIGH < 1 ≤ OVEREXTENDED
 * - win rate of the last 20 closed trades (a trade wins when its pnl > 0): COLD < 0.4 ≤ NEUTRAL ≤ 0.6 < HOT;
 *   with fewer than 5 trades the rate says little, so the bucket is NEUTRAL
 * - volatility: annualised realised volatility, edges in market-state.ts (15 %, 30 %, 60 %)
 */
import { clampPositionSize, type ClampedSizing, type PortfolioRisk, type RiskLimits } from '../../lib/risk-limits';
import { InvalidInputError, requireFinite } from '../../lib/errors';
import type { PolicyTransition } from '../contract';
import { chooseAction, type Rng } from './exploration';
import { MARKET_REGIMES, VOLATILITY_LEVELS, bucketIndex, volatilityLevel, type MarketRegime, type VolatilityLevel } from './market-state';
import { createQLearningFamily } from './q-learning-family';
import { parseHyperparameters } from '../base/hyperparameters';
import { qLearningParams, qLearningSearchSpace, type QLearningParams } from './q-learning-params';
import { createQTable, requireAgent, stateKey, type QAgentDefinition, type QTable } from './q-table';

const CONFIDENCE_LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'VERY_HIGH'] as const;
export type ConfidenceLevel = (typeof CONFIDENCE_LEVELS)[number];
const CONFIDENCE_EDGES = [0.55, 0.7, 0.85] as const;

const EXPOSURE_LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'OVEREXTENDED'] as const;
export type ExposureLevel = (typeof EXPOSURE_LEVELS)[number];
const EXPOSURE_EDGES = [0.25, 0.5, 1] as const;

const WIN_RATE_LEVELS = ['COLD', 'NEUTRAL', 'HOT'] as const;
export type WinRateLevel = (typeof WIN_RATE_LEVELS)[number];
const WIN_RATE_WINDOW = 20;
const WIN_RATE_MIN_TRADES = 5;

export const SIZE_MULTIPLIERS = [0.3, 0.5, 0.7, 1.0, 1.5] as const;
export const LEVERAGES = [1, 2, 3, 5, 7, 10] as const;
const TAKE_PROFIT_PROFILES = ['conservative', 'balanced', 'aggressive'] as const;
export type TakeProfitProfile = (typeof TAKE_PROFIT_PROFILES)[number];
export const STOP_LOSS_PROFILES = ['tight', 'medium', 'wide'] as const;
export type StopLossProfile = (typeof STOP_LOSS_PROFILES)[number];

export interface PositionSizingState {
  regime: MarketRegime;
  confidence: ConfidenceLevel;
  exposure: ExposureLevel;
  winRate: WinRateLevel;
  volatility: VolatilityLevel;
}

export interface PositionSizingAction {
  sizeMultiplier: number;
  leverage: number;
  takeProfit: TakeProfitProfile;
  stopLoss: StopLossProfile;
}

/** An action's name, e.g. `size0.7_lev3_tp-balanced_sl-tight`. */
export function positionSizingActionName(a: PositionSizingAction): string {
  return `size${a.sizeMultiplier}_lev${a.leverage}_tp-${a.takeProfit}_sl-${a.stopLoss}`;
}

const ACTIONS: PositionSizingAction[] = SIZE_MULTIPLIERS.flatMap((sizeMultiplier) =>
  LEVERAGES.flatMap((leverage) =>
    TAKE_PROFIT_PROFILES.flatMap((takeProfit) =>
      STOP_LOSS_PROFILES.map((stopLoss) => ({ sizeMultiplier, leverage, takeProfit, stopLoss })),
    ),
  ),
);
const ACTION_NAMES = ACTIONS.map(positionSizingActionName);

/** The action a name stands for; refuses a name that is not one of the 270. */
export function parsePositionSizingAction(name: string, field = 'action'): PositionSizingAction {
  const index = ACTION_NAMES.indexOf(name);
  if (index < 0) {
    throw new InvalidInputError(
      `${field} expects size{${SIZE_MULTIPLIERS.join(',')}}_lev{${LEVERAGES.join(',')}}` +
        `_tp-{${TAKE_PROFIT_PROFILES.join(',')}}_sl-{${STOP_LOSS_PROFILES.join(',')}} (e.g. ${ACTION_NAMES[0]}), but got ${JSON.stringify(name)}`,
      { field },
    );
  }
  return { ...ACTIONS[index] };
}

export const positionSizingAgent: QAgentDefinition = {
  id: 'rl_position_sizing',
  stateSpace: [
    { name: 'regime', values: MARKET_REGIMES },
    { name: 'confidence', values: CONFIDENCE_LEVELS },
    { name: 'exposure', values: EXPOSURE_LEVELS },
    { name: 'winRate', values: WIN_RATE_LEVELS },
    { name: 'volatility', values: VOLATILITY_LEVELS },
  ],
  actions: ACTION_NAMES,
};

export const positionSizingParams = qLearningParams;
export type PositionSizingParams = QLearningParams;

export const positionSizingFamily = createQLearningFamily<PositionSizingParams>({
  definition: positionSizingAgent,
  description:
    'Tabular Q-learning over regime × signal confidence × exposure × recent win rate × volatility that picks a size multiplier, leverage, take-profit and stop-loss profile (270 actions), clamped by the risk limits.',
  hyperparameters: positionSizingParams,
  searchSpace: qLearningSearchSpace,
});

export function createPositionSizingTable(hyperparameters: Partial<PositionSizingParams> = {}): QTable<PositionSizingParams> {
  return createQTable(positionSizingAgent, parseHyperparameters(positionSizingParams, hyperparameters));
}

export function confidenceLevel(confidence: number): ConfidenceLevel {
  requireFinite('confidence', confidence, 'a signal confidence in [0, 1]', (v) => v >= 0 && v <= 1);
  return CONFIDENCE_LEVELS[bucketIndex(confidence, CONFIDENCE_EDGES)];
}

export function exposureLevel(exposureFraction: number): ExposureLevel {
  requireFinite('exposureFraction', exposureFraction, 'gross exposure / equity ≥ 0', (v) => v >= 0);
  return EXPOSURE_LEVELS[bucketIndex(exposureFraction, EXPOSURE_EDGES)];
}

/** `recentPnls`: pnl of closed trades, oldest first; only the last 20 count. */
export function winRateLevel(recentPnls: readonly number[]): WinRateLevel {
  if (!Array.isArray(recentPnls)) {
    throw new InvalidInputError(`recentPnls expects an array of trade pnls, but got ${String(recentPnls)}`, { field: 'recentPnls' });
  }
  const window = recentPnls.slice(-WIN_RATE_WINDOW);
  window.forEach((pnl, i) => requireFinite(`recentPnls[${recentPnls.length - window.length + i}]`, pnl));
  if (window.length < WIN_RATE_MIN_TRADES) return 'NEUTRAL';
  const rate = window.filter((pnl) => pnl > 0).length / window.length;
  return rate < 0.4 ? 'COLD' : rate > 0.6 ? 'HOT' : 'NEUTRAL';
}

/** The state from raw figures. */
export function positionSizingState(raw: {
  regime: MarketRegime;
  confidence: number;
  exposureFraction: number;
  recentPnls: readonly number[];
  annualizedVolatility: number;
}): PositionSizingState {
  const state: PositionSizingState = {
    regime: raw.regime,
    confidence: confidenceLevel(raw.confidence),
    exposure: exposureLevel(raw.exposureFraction),
    winRate: winRateLevel(raw.recentPnls),
    volatility: volatilityLevel(raw.annualizedVolatility),
  };
  stateKey(positionSizingAgent.stateSpace, { ...state }); // refuses an unknown regime by name
  return state;
}

/** What a sized trade earned. */
export interface SizedTradeOutcome {
  /** Return of the trade, in percent. */
  pnlPercent: number;
  hoursHeld: number;
  /** Worst adverse excursion during the trade, in percent (sign ignored). */
  maxDrawdownPercent: number;
  takeProfitHit: boolean;
  stopLossHit: boolean;
}

/** pnl% − 0.05 × hours − 3 × |max drawdown%| + 1 if the take-profit was hit − 0.5 if the stop-loss was hit */
export function positionSizingReward(outcome: SizedTradeOutcome): number {
  requireFinite('outcome.pnlPercent', outcome.pnlPercent);
  requireFinite('outcome.hoursHeld', outcome.hoursHeld, 'a number of hours ≥ 0', (v) => v >= 0);
  requireFinite('outcome.maxDrawdownPercent', outcome.maxDrawdownPercent);
  for (const flag of ['takeProfitHit', 'stopLossHit'] as const) {
    if (typeof outcome[flag] !== 'boolean') {
      throw new InvalidInputError(`outcome.${flag} expects true or false, but got ${String(outcome[flag])}`, { field: `outcome.${flag}` });
    }
  }
  return (
    outcome.pnlPercent -
    0.05 * outcome.hoursHeld -
    3 * Math.abs(outcome.maxDrawdownPercent) +
    (outcome.takeProfitHit ? 1 : 0) -
    (outcome.stopLossHit ? 0.5 : 0)
  );
}

export interface PositionSizeDecision {
  /** The agent's choice, the action to credit when the trade closes. */
  action: string;
  proposed: PositionSizingAction;
  /** The choice after the risk limits: the size and leverage to trade, and which limits cut it. */
  clamped: ClampedSizing;
  takeProfit: TakeProfitProfile;
  stopLoss: StopLossProfile;
  explored: boolean;
  /** Q-value of the chosen action. */
  qValue: number;
  epsilon: number;
}

/**
 * The live decision: ε-greedy action, then the risk clamp. The stop distance the clamp charges is
 * that of the chosen stop-loss profile, `stopDistances[profile]` (fraction of the entry price).
 */
export function decidePositionSize(
  table: QTable,
  state: PositionSizingState,
  rng: Rng,
  limits: RiskLimits,
  portfolio: Omit<PortfolioRisk, 'stopDistance'>,
  stopDistances: Record<StopLossProfile, number>,
): PositionSizeDecision {
  requireAgent(table, positionSizingAgent);
  const choice = chooseAction(table, { ...state }, rng);
  const proposed = parsePositionSizingAction(choice.action);
  const stopDistance = stopDistances?.[proposed.stopLoss];
  requireFinite(
    `stopDistances.${proposed.stopLoss}`,
    stopDistance,
    'a fraction of the entry price in (0, 1]',
    (v) => v >= Number.MIN_VALUE && v <= 1,
  );
  return {
    action: choice.action,
    proposed,
    clamped: clampPositionSize(limits, { ...portfolio, stopDistance }, proposed),
    takeProfit: proposed.takeProfit,
    stopLoss: proposed.stopLoss,
    explored: choice.explored,
    qValue: choice.qValues[choice.actionIndex],
    epsilon: choice.epsilon,
  };
}
