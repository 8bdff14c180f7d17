/**
 * Market-state enums both agents share, and the buckets that map raw market figures onto them.
 * Bucket edges are lower-inclusive: a value equal to an edge falls in the higher bucket.
 */
import { requireFinite } from '../../lib/errors';
/** The regimes are the platform's one vocabulary (lib/market-vocabulary.ts), shared with the rule-based allocation. */
export { MARKET_REGIMES, type MarketRegime } from '../../lib/market-vocabulary';

export const VOLATILITY_LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'EXTREME'] as const;
export type VolatilityLevel = (typeof VOLATILITY_LEVELS)[number];

export const LIQUIDITY_LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type LiquidityLevel = (typeof LIQUIDITY_LEVELS)[number];

/** Annualised realised volatility (0.2 = 20 %): LOW < 15 %, MEDIUM < 30 %, HIGH < 60 %, EXTREME ≥ 60 %. */
const VOLATILITY_EDGES = [0.15, 0.3, 0.6] as const;

/** Percentile rank of recent volume within its own history, in [0, 1]: LOW < 1/3, MEDIUM < 2/3, HIGH. */
const LIQUIDITY_EDGES = [1 / 3, 2 / 3] as const;

export function volatilityLevel(annualizedVolatility: number, field = 'annualizedVolatility'): VolatilityLevel {
  requireFinite(field, annualizedVolatility, 'an annualised volatility ≥ 0 (0.2 = 20 %)', (v) => v >= 0);
  return VOLATILITY_LEVELS[bucketIndex(annualizedVolatility, VOLATILITY_EDGES)];
}

export function liquidityLevel(volumePercentile: number, field = 'volumePercentile'): LiquidityLevel {
  requireFinite(field, volumePercentile, 'a percentile rank in [0, 1]', (v) => v >= 0 && v <= 1);
  return LIQUIDITY_LEVELS[bucketIndex(volumePercentile, LIQUIDITY_EDGES)];
}

/** The number of edges at or below `value`: the bucket's index under lower-inclusive edges. */
export function bucketIndex(value: number, edges: readonly number[]): number {
  return edges.filter((edge) => value >= edge).length;
}
