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
 * Prior table (rows: strategy, columns: regime; names from market-vocabulary.ts):
 *
 *   | strategy       | TRENDING | RANGING | CHOPPY | VOLATILE |
 *   | -------------- | -------- | ------- | ------ | -------- |
 *   | trend_follow   |      0.9 |     0.2 |    0.1 |      0.4 |
 *   | mean_reversion |      0.2 |     0.8 |    0.5 |      0.5 |
 *   | breakout       |      0.6 |     0.3 |    0.2 |      0.7 |
 *   | range_bound    |      0.1 |     0.9 |    0.6 |      0.2 |
 *   | defensive      |      0.2 |     0.3 |    0.7 |      0.9 |
 *
 * Trend followers earn in persistent moves and are whipsawed in chop; range trading and mean reversion
 * earn inside a band and, less reliably, in chop and volatile reversals; breakouts need expanding
 * ranges (a trend starting, a volatility burst); a defensive book (cash, hedges, short exposure) earns
 * its keep when prices swing hard without direction.
 */
import { InvalidInputError } from '../lib/errors';
import { MARKET_REGIMES, STRATEGIES, isMarketRegime, isStrategy, type MarketRegime, type Strategy } from '../lib/market-vocabulary';

export const STRATEGY_REGIME_PRIORS: Readonly<Record<Strategy, Readonly<Record<MarketRegime, number>>>> = {
  trend_follow: { TRENDING: 0.9, RANGING: 0.2, CHOPPY: 0.1, VOLATILE: 0.4 },
  mean_reversion: { TRENDING: 0.2, RANGING: 0.8, CHOPPY: 0.5, VOLATILE: 0.5 },
  breakout: { TRENDING: 0.6, RANGING: 0.3, CHOPPY: 0.2, VOLATILE: 0.7 },
  range_bound: { TRENDING: 0.1, RANGING: 0.9, CHOPPY: 0.6, VOLATILE: 0.2 },
  defensive: { TRENDING: 0.2, RANGING: 0.3, CHOPPY: 0.7, VOLATILE: 0.9 },
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
  /** One sentence a user can read, e.g. "trend_follow: prior 0.9 in TRENDING × confidence 0.8 = 0.72 …". */
  explanation: string;
}

export interface StrategyWeights {
  regime: MarketRegime;
  floor: number;
  /** Weights by strategy, summing to 1. */
  weights: Partial<Record<Strategy, number>>;
  reasons: StrategyWeightReason[];
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
