/**
 * A seeded synthetic market of OHLCV bars for the market layer's tests and benchmarks: several symbols whose
 * next-bar returns are predictable from recent returns with a sign that flips at a regime change.
 *
 * Generating process, for symbol i at bar t in regime k (the same seed gives the same bars):
 *
 *   r[i,t] = drift_k + momentum_k · (r[i,t−1] + … + r[i,t−5]) + σ_k · s_i · (ρ·m[t] + √(1−ρ²)·e[i,t])
 *
 * where r is the close-to-close LOG return, m[t] a market shock shared by all symbols, e[i,t] an
 * idiosyncratic shock (both standard normal), ρ = `marketCorrelation`, s_i ∈ [0.8, 1.2] a per-symbol
 * volatility scale. So the 5-bar return (the ret_5 feature, and ret_1 more weakly) predicts the next
 * bar's return with the sign of momentum_k. The default regimes:
 *
 *   | regime          | bars | momentum | σ (per bar) | drift   | volume level |
 *   | --------------- | ---- | -------- | ----------- | ------- | ------------ |
 *   | TRENDING        |  500 |    +0.10 |       0.010 | +0.0004 |          1.0 |
 *   | VOLATILE        |  250 |    −0.15 |       0.022 | −0.0002 |          1.6 |
 *
 * Measured over seeds 1–10 (3 symbols pooled): corr(ret_5[t], r[t+1]) is +0.22…+0.33 in TRENDING
 * and −0.21…−0.30 in VOLATILE; return volatility and atr_14 rise ≈ 2.1×. A linear fit of the
 * next return on ret_5 in TRENDING calls the direction right ≈ 60% of the time there and ≈ 43%
 * after the change, and the volatility features (vol_20, atr_14, hl_range) drift visibly.
 *
 * Each bar: open = previous close · exp(0.2·σ·g) (an overnight gap), close = previous close · exp(r),
 * high = max(open, close) · exp(0.5·σ·|u|), low = min(open, close) · exp(−0.5·σ·|w|), and
 * volume = round(baseVolume_i · volumeLevel_k · exp(0.25·v + 0.5·|shock|)), with g, u, w, v standard
 * normal and `shock` the bar's combined standardised shock, so volume rises with the size of the move.
 * The first bar opens at a per-symbol price in [20, 200] and timestamps step by one timeframe from
 * `start` without gaps (a market that never closes).
 */
import seedrandom from 'seedrandom';
import { type Bar, TIMEFRAME_MS, type Timeframe, parseSymbol } from './bars';
import { InvalidInputError, quote, refuse } from './errors';
import { MARKET_REGIMES, type MarketRegime, isMarketRegime } from './market-vocabulary';

export interface SyntheticRegime {
  name: MarketRegime;
  /** Length of the regime in bars. */
  bars: number;
  /** Coefficient on the sum of the previous 5 log returns; its sign sets continuation vs. reversal. */
  momentum: number;
  /** Standard deviation of the per-bar shock (before the per-symbol scale). */
  volatility: number;
  /** Mean per-bar log return. */
  drift: number;
  /** Multiplier of every symbol's base volume. */
  volumeLevel: number;
}

export const DEFAULT_SYNTHETIC_REGIMES: readonly SyntheticRegime[] = [
  { name: 'TRENDING', bars: 500, momentum: 0.1, volatility: 0.01, drift: 0.0004, volumeLevel: 1 },
  { name: 'VOLATILE', bars: 250, momentum: -0.15, volatility: 0.022, drift: -0.0002, volumeLevel: 1.6 },
];

export interface SyntheticMarketOptions {
  seed: string | number;
  /** Default ['SYN_A', 'SYN_B', 'SYN_C']. */
  symbols?: readonly string[];
  /** Default '1d'. */
  timeframe?: Timeframe;
  /** Timestamp of the first bar, UTC epoch ms; default 2020-01-01T00:00:00Z. */
  start?: number;
  /** Default DEFAULT_SYNTHETIC_REGIMES. */
  regimes?: readonly SyntheticRegime[];
  /** ρ: correlation of the symbols' shocks, in [0, 1); default 0.5. */
  marketCorrelation?: number;
}

/** A regime's span: bars [startIndex, endIndex) of every symbol, timestamps [startTime, endTime). */
export interface RegimeSpan {
  name: MarketRegime;
  startIndex: number;
  endIndex: number;
  startTime: number;
  endTime: number;
}

export interface SyntheticMarket {
  timeframe: Timeframe;
  symbols: string[];
  /** Bars by symbol, every symbol on the same timestamps. */
  bars: Record<string, Bar[]>;
  regimes: RegimeSpan[];
}

const MOMENTUM_LAGS = 5;

/** Standard normal draws from a seeded uniform source (Box–Muller). */
function normalSource(random: () => number): () => number {
  return () => {
    const u = 1 - random(); // (0, 1]: log(u) is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

function checkOptions(options: SyntheticMarketOptions, regimes: readonly SyntheticRegime[], rho: number): void {
  if (regimes.length === 0) refuse('regimes', 'to list at least one regime', 'none');
  regimes.forEach(({ name, bars, momentum, volatility, drift, volumeLevel }, k) => {
    const field = (key: keyof SyntheticRegime) => `regimes[${k}].${key}`;
    const bound = 1 / MOMENTUM_LAGS;
    if (!isMarketRegime(name)) refuse(field('name'), `to be one of ${MARKET_REGIMES.join(', ')}`, quote(name));
    if (!Number.isInteger(bars) || bars < 1) refuse(field('bars'), 'to be an integer ≥ 1', bars);
    if (!(Math.abs(momentum) < bound)) refuse(field('momentum'), `in (−${bound}, ${bound}) (stationary)`, momentum);
    if (!(volatility > 0 && volatility < 0.2)) refuse(field('volatility'), 'in (0, 0.2)', volatility);
    if (!(Math.abs(drift) < 0.05)) refuse(field('drift'), 'in (−0.05, 0.05)', drift);
    if (!(volumeLevel > 0 && Number.isFinite(volumeLevel))) refuse(field('volumeLevel'), 'to be > 0', volumeLevel);
  });
  if (!(rho >= 0 && rho < 1)) refuse('marketCorrelation', 'in [0, 1)', rho);
  if (options.start !== undefined && !Number.isSafeInteger(options.start)) {
    refuse('start', 'to be an integer of UTC epoch milliseconds', options.start);
  }
}

/** Generates the market described at the top of this file. */
export function generateSyntheticMarket(options: SyntheticMarketOptions): SyntheticMarket {
  const symbols = [...(options.symbols ?? ['SYN_A', 'SYN_B', 'SYN_C'])];
  const timeframe = options.timeframe ?? '1d';
  const start = options.start ?? Date.UTC(2020, 0, 1);
  const regimes = options.regimes ?? DEFAULT_SYNTHETIC_REGIMES;
  const rho = options.marketCorrelation ?? 0.5;
  checkOptions(options, regimes, rho);
  symbols.forEach((symbol, i) => parseSymbol(symbol, `symbols[${i}]`));
  if (symbols.length === 0 || new Set(symbols).size !== symbols.length) {
    throw new InvalidInputError(`expects symbols to list at least one symbol, without duplicates, but got ${JSON.stringify(symbols)}`, {
      field: 'symbols',
    });
  }
  const step = TIMEFRAME_MS[timeframe];

  const random = seedrandom(String(options.seed));
  const normal = normalSource(random);
  const profiles = symbols.map(() => ({
    price: 20 + 180 * random(),
    volatilityScale: 0.8 + 0.4 * random(),
    baseVolume: 1e5 * Math.exp(Math.log(10) * random()),
  }));

  const spans: RegimeSpan[] = [];
  let index = 0;
  for (const regime of regimes) {
    spans.push({
      name: regime.name,
      startIndex: index,
      endIndex: index + regime.bars,
      startTime: start + index * step,
      endTime: start + (index + regime.bars) * step,
    });
    index += regime.bars;
  }

  const bars: Record<string, Bar[]> = Object.fromEntries(symbols.map((symbol) => [symbol, []]));
  const recentReturns = symbols.map(() => new Array<number>(MOMENTUM_LAGS).fill(0));
  const closes = profiles.map((profile) => profile.price);
  regimes.forEach((regime, k) => {
    for (let t = spans[k].startIndex; t < spans[k].endIndex; t++) {
      const market = normal();
      symbols.forEach((symbol, i) => {
        const sigma = regime.volatility * profiles[i].volatilityScale;
        const shock = rho * market + Math.sqrt(1 - rho * rho) * normal();
        const past = recentReturns[i];
        const r = regime.drift + regime.momentum * past.reduce((sum, x) => sum + x, 0) + sigma * shock;
        past.shift();
        past.push(r);

        const previousClose = closes[i];
        const open = previousClose * Math.exp(0.2 * sigma * normal());
        const close = previousClose * Math.exp(r);
        const high = Math.max(open, close) * Math.exp(0.5 * sigma * Math.abs(normal()));
        const low = Math.min(open, close) * Math.exp(-0.5 * sigma * Math.abs(normal()));
        const volume = Math.round(profiles[i].baseVolume * regime.volumeLevel * Math.exp(0.25 * normal() + 0.5 * Math.abs(shock)));
        closes[i] = close;
        bars[symbol].push({ symbol, timeframe, timestamp: start + t * step, open, high, low, close, volume });
      });
    }
  });
  return { timeframe, symbols, bars, regimes: spans };
}
