/**
 * The one vocabulary of market regimes, trading strategies, label kinds and the terms of time-series
 * datasets. The rule-based strategy allocation (strategy-allocation.ts), the synthetic market
 * (synthetic-market.ts), the RL agents (plugins/rl/market-state.ts, plugins/rl/meta-strategy.ts) and
 * the GraphQL API all name regimes and strategies with these values, so an answer of one can be fed
 * to another.
 *
 * Regimes:
 * - TRENDING  prices move persistently one way
 * - RANGING   prices oscillate inside a band
 * - CHOPPY    much motion, little progress (whipsaws)
 * - VOLATILE  a burst of volatility well above its usual level
 */
export const MARKET_REGIMES = ['TRENDING', 'RANGING', 'CHOPPY', 'VOLATILE'] as const;
export type MarketRegime = (typeof MARKET_REGIMES)[number];

export const STRATEGIES = ['trend_follow', 'mean_reversion', 'breakout', 'range_bound', 'defensive'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export function isMarketRegime(value: string): value is MarketRegime {
  return (MARKET_REGIMES as readonly string[]).includes(value);
}

export function isStrategy(value: string): value is Strategy {
  return (STRATEGIES as readonly string[]).includes(value);
}

/** What a supervised label of a bar series is (market/labels.ts computes them). */
export const LABEL_KINDS = ['forward_return', 'direction'] as const;
export type LabelKind = (typeof LABEL_KINDS)[number];

/** The fields of an OHLCV bar a time-series dataset can hold (market/series-table.ts builds it). */
export const BAR_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;
export type BarField = (typeof BAR_FIELDS)[number];

/** How a time-series dataset turns a field into its return from one row to the next: v_t / v_{t−1} − 1, or ln(v_t / v_{t−1}). */
export const RETURN_KINDS = ['simple', 'log'] as const;
export type ReturnKind = (typeof RETURN_KINDS)[number];

/** Which times a time-series dataset of several symbols keeps: inner, only the times at which every symbol has a bar. */
export const SERIES_ALIGNMENTS = ['inner'] as const;
export type SeriesAlignment = (typeof SERIES_ALIGNMENTS)[number];
