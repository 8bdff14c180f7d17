/**
 * The meta-strategy agent (family `rl_meta_strategy`): in each market state it learns which trading
 * strategy to run. State = regime × volatility × liquidity × the portfolio's recent performance
 * (4 × 4 × 3 × 3 = 144 states); actions = the five strategies.
 */
import { z } from 'zod';
import type { PolicyTransition } from '../contract';
import { softmaxWeights, chooseAction, type Rng } from './exploration';
import {
  LIQUIDITY_LEVELS,
  MARKET_REGIMES,
  VOLATILITY_LEVELS,
  liquidityLevel,
  volatilityLevel,
  type LiquidityLevel,
  type MarketRegime,
  type VolatilityLevel,
} from './market-state';
import { createQLearningFamily } from './q-learning-family';
import { parseHyperparameters } from '../base/hyperparameters';
import { qLearningParamsWith, qLearningSearchSpace } from './q-learning-params';
import { createQTable, requireAgent, stateKey, type QAgentDefinition, type QTable } from './q-table';
import { requireFinite } from '../../lib/errors';
/** The strategies are the platform's one vocabulary (lib/market-vocabulary.ts), shared with the rule-based allocation. */
import { STRATEGIES, type Strategy } from '../../lib/market-vocabulary';
export { STRATEGIES, type Strategy };

export const PERFORMANCE_LEVELS = ['GOOD', 'NEUTRAL', 'POOR'] as const;
export type PerformanceLevel = (typeof PERFORMANCE_LEVELS)[number];

export interface MetaStrategyState {
  regime: MarketRegime;
  volatility: VolatilityLevel;
  liquidity: LiquidityLevel;
  performance: PerformanceLevel;
}

export const metaStrategyAgent: QAgentDefinition = {
  id: 'rl_meta_strategy',
  stateSpace: [
    { name: 'regime', values: MARKET_REGIMES },
    { name: 'volatility', values: VOLATILITY_LEVELS },
    { name: 'liquidity', values: LIQUIDITY_LEVELS },
    { name: 'performance', values: PERFORMANCE_LEVELS },
  ],
  actions: STRATEGIES,
};

export const metaStrategyParams = qLearningParamsWith({
  /** Softmax temperature of `strategyWeights`, in reward units: lower concentrates on the best strategy. */
  temperature: z.number().gt(0).default(1),
});
export type MetaStrategyParams = z.infer<typeof metaStrategyParams>;

export const metaStrategyFamily = createQLearningFamily<MetaStrategyParams>({
  definition: metaStrategyAgent,
  description:
    'Tabular Q-learning over regime × volatility × liquidity × recent performance that picks one of five strategies (trend_follow, mean_reversion, breakout, range_bound, defensive) and weighs them by softmax over Q-values.',
  hyperparameters: metaStrategyParams,
  searchSpace: { ...qLearningSearchSpace, temperature: { type: 'float', min: 0.1, max: 10, log: true } },
});

/** An empty table under validated hyperparameters (defaults for those left out). */
export function createMetaStrategyTable(hyperparameters: Partial<MetaStrategyParams> = {}): QTable<MetaStrategyParams> {
  return createQTable(metaStrategyAgent, parseHyperparameters(metaStrategyParams, hyperparameters));
}

/** The portfolio's return over the last 7 days, in percent: GOOD above +5, POOR below −3, else NEUTRAL. */
export function performanceLevel(pnlPercent7d: number): PerformanceLevel {
  requireFinite('pnlPercent7d', pnlPercent7d, 'a finite percentage');
  return pnlPercent7d > 5 ? 'GOOD' : pnlPercent7d < -3 ? 'POOR' : 'NEUTRAL';
}

/** The state from raw figures (see market-state.ts for the volatility and liquidity edges). */
export function metaStrategyState(raw: {
  regime: MarketRegime;
  annualizedVolatility: number;
  volumePercentile: number;
  pnlPercent7d: number;
}): MetaStrategyState {
  const state: MetaStrategyState = {
    regime: raw.regime,
    volatility: volatilityLevel(raw.annualizedVolatility),
    liquidity: liquidityLevel(raw.volumePercentile),
    performance: performanceLevel(raw.pnlPercent7d),
  };
  stateKey(metaStrategyAgent.stateSpace, { ...state }); // refuses an unknown regime by name
  return state;
}

/** What one strategy run earned. */
export interface StrategyOutcome {
  /** Return of the run, in percent of the capital it used. */
  pnlPercent: number;
  hoursHeld: number;
  /** Worst peak-to-trough loss during the run, in percent (sign ignored). */
  maxDrawdownPercent: number;
  /** Fraction of the run's trades (or periods) that made money, in [0, 1]. */
  winRate: number;
}

/** pnl% + (24 / max(hours, 0.1)) × 0.1 − |max drawdown%| × 2 + (win rate − 0.5) × 10 */
export function metaStrategyReward(outcome: StrategyOutcome): number {
  requireFinite('outcome.pnlPercent', outcome.pnlPercent);
  requireFinite('outcome.hoursHeld', outcome.hoursHeld, 'a number of hours ≥ 0', (v) => v >= 0);
  requireFinite('outcome.maxDrawdownPercent', outcome.maxDrawdownPercent);
  requireFinite('outcome.winRate', outcome.winRate, 'a fraction in [0, 1]', (v) => v >= 0 && v <= 1);
  return (
    outcome.pnlPercent +
    (24 / Math.max(outcome.hoursHeld, 0.1)) * 0.1 -
    Math.abs(outcome.maxDrawdownPercent) * 2 +
    (outcome.winRate - 0.5) * 10
  );
}

/** The transition `applyOutcome` learns from when a strategy run closes. */
export function metaStrategyTransition(
  state: MetaStrategyState,
  strategy: Strategy,
  outcome: StrategyOutcome,
  nextState?: MetaStrategyState,
): PolicyTransition {
  return { state: { ...state }, action: strategy, reward: metaStrategyReward(outcome), nextState: nextState && { ...nextState } };
}

export interface StrategySelection {
  strategy: Strategy;
  /** True when ε-greedy picked at random. */
  explored: boolean;
  qValues: Record<Strategy, number>;
  /** softmax(Q / temperature): how to split capital across strategies; sums to 1. */
  strategyWeights: Record<Strategy, number>;
  epsilon: number;
}

/** The live decision: ε-greedy strategy plus softmax weights (temperature from the table unless given). */
export function selectStrategy(
  table: QTable<MetaStrategyParams>,
  state: MetaStrategyState,
  rng: Rng,
  temperature: number = table.hyperparameters.temperature,
): StrategySelection {
  requireAgent(table, metaStrategyAgent);
  const choice = chooseAction(table, { ...state }, rng);
  const weights = softmaxWeights(choice.qValues, temperature);
  const byStrategy = (values: number[]) => Object.fromEntries(table.actions.map((a, i) => [a, values[i]])) as Record<Strategy, number>;
  return {
    strategy: choice.action as Strategy,
    explored: choice.explored,
    qValues: byStrategy(choice.qValues),
    strategyWeights: byStrategy(weights),
    epsilon: choice.epsilon,
  };
}
