/**
 * The orchestrator's strategy-weighting rule while no RL meta-strategy agent is active.
 *
 * The rule, for the strategies the caller scores (confidence c_s ∈ [0, 1]) in market regime R:
 *   1. score_s  = prior[s][R] × c_s, with the prior table below (how well a strategy suits a regime)
 *   2. share_s  = score_s / Σ score  (equal shares when every score is 0: nothing to prefer)
 *   3. weight_s = floor + (1 − n·floor) × share_s, for n strategies
 * so every weight is ≥ floor, the weights sum to 1, and a strategy is never switched off entirely
 * (it keeps producing the outcomes that could bring it back). Requires n·floor ≤ 1.
 *
 * Prior table (rows: strategy, columns: regime):
 *
 *   | strategy        | trending_up | trending_down | ranging | high_volatility |
 *   | --------------- | ----------- | ------------- | ------- | --------------- |
 *   | trend_following |         0.9 |           0.8 |     0.2 |             0.4 |
 *   | momentum        |         0.8 |           0.4 |     0.3 |             0.3 |
 *   | mean_reversion  |         0.2 |           0.3 |     0.9 |             0.5 |
 *   | breakout        |         0.5 |           0.5 |     0.4 |             0.7 |
 *   | defensive       |         0.1 |           0.7 |     0.3 |             0.9 |
 *
 * Trend followers and momentum earn in persistent moves; mean reversion earns in ranges and, less
 * reliably, in volatile reversals; breakouts need expanding ranges; a defensive book (cash, hedges,
 * short exposure) earns its keep when prices fall or swing hard.
 */
import { InvalidInputError } from './errors';

export const MARKET_REGIMES = ['trending_up', 'trending_down', 'ranging', 'high_volatility'] as const;
export type MarketRegime = (typeof MARKET_REGIMES)[number];

export const STRATEGIES = ['trend_following', 'momentum', 'mean_reversion', 'breakout', 'defensive'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const STRATEGY_REGIME_PRIORS: Readonly<Record<Strategy, Readonly<Record<MarketRegime, number>>>> = {
  trend_following: { trending_up: 0.9, trending_down: 0.8, ranging: 0.2, high_volatility: 0.4 },
  momentum: { trending_up: 0.8, trending_down: 0.4, ranging: 0.3, high_volatility: 0.3 },
  mean_reversion: { trending_up: 0.2, trending_down: 0.3, ranging: 0.9, high_volatility: 0.5 },
  breakout: { trending_up: 0.5, trending_down: 0.5, ranging: 0.4, high_volatility: 0.7 },
  defensive: { trending_up: 0.1, trending_down: 0.7, ranging: 0.3, high_volatility: 0.9 },
};

export const DEFAULT_WEIGHT_FLOOR = 0.05;

export interface StrategyWeightReason {
  strategy: Strategy;
  prior: number;
  confidence: number;
  /** prior × confidence */
  score: number;
  /** score / Σ score, before the floor */
  share: number;
  weight: number;
  /** One sentence a user can read, e.g. "trend_following: prior 0.9 in trending_up × confidence 0.8 = 0.72 …". */
  explanation: string;
}

export interface StrategyWeights {
  regime: MarketRegime;
  floor: number;
  /** Weights by strategy, summing to 1. */
  weights: Partial<Record<Strategy, number>>;
  reasons: StrategyWeightReason[];
}

export function isMarketRegime(value: string): value is MarketRegime {
  return (MARKET_REGIMES as readonly string[]).includes(value);
}

function isStrategy(value: string): value is Strategy {
  return (STRATEGIES as readonly string[]).includes(value);
}

/**
 * Weights for the strategies in `confidences` (strategy → confidence in [0, 1]) in `regime`, by the
 * rule above. Refuses (InvalidInputError) an unknown regime or strategy, a confidence outside [0, 1],
 * an empty map, and a floor outside [0, 1/n].
 */
export function strategyWeights(
  confidences: Readonly<Record<string, number>>,
  regime: string,
  floor: number = DEFAULT_WEIGHT_FLOOR,
): StrategyWeights {
  if (!isMarketRegime(regime)) {
    throw new InvalidInputError(`expects regime to be one of ${MARKET_REGIMES.join(', ')}, but got '${regime}'`, {
      field: 'regime',
    });
  }
  const entries = Object.entries(confidences);
  if (entries.length === 0) {
    throw new InvalidInputError('expects confidences for at least one strategy, but got none', {
      field: 'confidences',
    });
  }
  const scored = entries.map(([strategy, confidence]) => {
    if (!isStrategy(strategy)) {
      throw new InvalidInputError(`expects strategies among ${STRATEGIES.join(', ')}, but got '${strategy}'`, {
        field: `confidences.${strategy}`,
      });
    }
    if (!(confidence >= 0 && confidence <= 1)) {
      throw new InvalidInputError(`expects the confidence of ${strategy} in [0, 1], but got ${confidence}`, {
        field: `confidences.${strategy}`,
      });
    }
    const prior = STRATEGY_REGIME_PRIORS[strategy][regime];
    return { strategy, prior, confidence, score: prior * confidence };
  });
  const n = scored.length;
  if (!(floor >= 0 && floor * n <= 1)) {
    throw new InvalidInputError(`expects floor in [0, 1/${n}] for ${n} strategies, but got ${floor}`, {
      field: 'floor',
    });
  }
  const total = scored.reduce((sum, s) => sum + s.score, 0);
  const weights: Partial<Record<Strategy, number>> = {};
  const reasons = scored.map(({ strategy, prior, confidence, score }) => {
    const share = total > 0 ? score / total : 1 / n;
    const weight = floor + (1 - n * floor) * share;
    weights[strategy] = weight;
    const basis =
      total > 0
        ? `prior ${prior} in ${regime} × confidence ${confidence} = ${round(score)}, ${round(share)} of the total`
        : `every score is 0, so an equal share ${round(share)}`;
    return {
      strategy,
      prior,
      confidence,
      score,
      share,
      weight,
      explanation: `${strategy}: ${basis}; weight ${round(weight)} with the ${floor} floor`,
    };
  });
  return { regime, floor, weights, reasons };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
