/**
 * Turns daily bars into meta-strategy experience: at the start of every holding period, the market
 * state as the agent would see it (from past bars only), and what each of the five strategies would
 * have earned over the period under simple rules. It is a simulation for testing and demos: it says
 * whether the agent can tell the strategies apart by state, not what they would earn live.
 *
 * State at decision day t (closes c, daily log returns r, all windows ending at t):
 * - volatility: std(r, 20 days) × √252 → volatilityLevel (market-state.ts edges)
 * - liquidity: percentile rank of the 20-day mean volume among its own values over the last 252 days
 * - regime, first rule that holds:
 *   VOLATILE  the 20-day volatility is at least 1.5 × the 252-day volatility (a volatility burst)
 *   TRENDING  trend strength |ln(SMA20_t / SMA20_{t−10})| / (σ_daily,20 × √10) ≥ 1 — the SMA20's
 *             10-day move in units of its noise — and SMA20 and SMA50 slope the same way over 10 days
 *   CHOPPY    10-day efficiency ratio |c_t − c_{t−10}| / Σ|c_i − c_{i−1}| < 0.25 (much motion, no progress)
 *   RANGING   otherwise
 * - performance: the market's own 5-day (one trading week ≈ 7 calendar days) return in percent →
 *   performanceLevel; a stand-in for the portfolio's 7-day performance, which a simulation has not got.
 *
 * Strategy positions taken at c_t and held for the period (exposure in [−1, 1]):
 * - trend_follow   +1 when SMA20 > SMA50, else −1
 * - mean_reversion −clamp(z / 2, −1, 1), z = (c_t − SMA20) / std(closes, 20)
 * - breakout       +1 when c_t closes above the previous 20 closes, −1 below them, else flat
 * - range_bound    +1 in the bottom fifth of the 20-day close range, −1 in the top fifth, else flat
 * - defensive      +0.25 (a small long)
 * Outcome of a position over the period's daily closes: pnl% compounded; max drawdown% of that equity
 * path from its running peak (starting at 1); win rate = share of days with a positive pnl (0.5 when
 * flat: no trades, no evidence); hours = trading days × 24.
 */
import { mean, quantileRank, sampleStandardDeviation } from 'simple-statistics';
import type { Bar } from '../../lib/bars';
import type { PolicyTransition } from '../contract';
import { liquidityLevel, volatilityLevel, type MarketRegime } from './market-state';
import {
  STRATEGIES,
  metaStrategyReward,
  metaStrategyTransition,
  performanceLevel,
  type MetaStrategyState,
  type Strategy,
  type StrategyOutcome,
} from './meta-strategy';

/** The parts of a daily bar (lib/bars.ts) the replay reads. */
export type ReplayBar = Pick<Bar, 'timestamp' | 'close' | 'volume'>;

export interface MarketPeriod {
  /** Decision day (the last bar the state is derived from), UTC epoch milliseconds. */
  timestamp: number;
  state: MetaStrategyState;
  outcomes: Record<Strategy, StrategyOutcome>;
  rewards: Record<Strategy, number>;
}

export interface MarketReplayOptions {
  /** Trading days each strategy run lasts. */
  holdingDays?: number;
}

const YEAR = 252;

/** One period per `holdingDays` from the first day with a year of history, while a whole period remains. */
export function marketPeriods(bars: readonly ReplayBar[], options: MarketReplayOptions = {}): MarketPeriod[] {
  const holdingDays = options.holdingDays ?? 5;
  const closes = bars.map((b) => b.close);
  const logReturns = closes.map((c, i) => (i === 0 ? 0 : Math.log(c / closes[i - 1])));
  const volume20 = bars.map((_, i) => (i < 19 ? Number.NaN : mean(bars.slice(i - 19, i + 1).map((b) => b.volume))));

  const periods: MarketPeriod[] = [];
  for (let t = YEAR + 20; t + holdingDays < bars.length; t += holdingDays) {
    const state = stateAt(t, closes, logReturns, volume20);
    const path = closes.slice(t, t + holdingDays + 1);
    const positions = strategyPositions(t, closes);
    const outcomes = Object.fromEntries(STRATEGIES.map((s) => [s, positionOutcome(positions[s], path)])) as Record<
      Strategy,
      StrategyOutcome
    >;
    const rewards = Object.fromEntries(STRATEGIES.map((s) => [s, metaStrategyReward(outcomes[s])])) as Record<Strategy, number>;
    periods.push({ timestamp: bars[t].timestamp, state, outcomes, rewards });
  }
  return periods;
}

/** Every strategy's run in every period as a transition, the next period's state as `nextState`. */
export function periodTransitions(periods: readonly MarketPeriod[]): PolicyTransition[] {
  return periods.flatMap((p, j) => STRATEGIES.map((s) => metaStrategyTransition(p.state, s, p.outcomes[s], periods[j + 1]?.state)));
}

function stateAt(t: number, closes: number[], logReturns: number[], volume20: number[]): MetaStrategyState {
  const dailyVol20 = sampleStandardDeviation(logReturns.slice(t - 19, t + 1));
  const dailyVolYear = sampleStandardDeviation(logReturns.slice(t - YEAR + 1, t + 1));
  const liquidity = liquidityLevel(quantileRank(volume20.slice(t - YEAR + 1, t + 1), volume20[t]));
  return {
    regime: regimeAt(t, closes, dailyVol20, dailyVolYear),
    volatility: volatilityLevel(dailyVol20 * Math.sqrt(YEAR)),
    liquidity,
    performance: performanceLevel((closes[t] / closes[t - 5] - 1) * 100),
  };
}

function regimeAt(t: number, closes: number[], dailyVol20: number, dailyVolYear: number): MarketRegime {
  if (dailyVol20 >= 1.5 * dailyVolYear) return 'VOLATILE';
  const sma20Now = sma(closes, t, 20);
  const sma20Before = sma(closes, t - 10, 20);
  const sma50Slope = sma(closes, t, 50) - sma(closes, t - 10, 50);
  const strength = Math.abs(Math.log(sma20Now / sma20Before)) / (dailyVol20 * Math.sqrt(10));
  if (strength >= 1 && Math.sign(sma20Now - sma20Before) === Math.sign(sma50Slope)) return 'TRENDING';
  let path = 0;
  for (let i = t - 9; i <= t; i++) path += Math.abs(closes[i] - closes[i - 1]);
  const efficiency = path === 0 ? 0 : Math.abs(closes[t] - closes[t - 10]) / path;
  return efficiency < 0.25 ? 'CHOPPY' : 'RANGING';
}

function strategyPositions(t: number, closes: number[]): Record<Strategy, number> {
  const window20 = closes.slice(t - 19, t + 1);
  const sma20 = mean(window20);
  const z = (closes[t] - sma20) / sampleStandardDeviation(window20);
  const previous20 = closes.slice(t - 20, t);
  const low = Math.min(...window20);
  const high = Math.max(...window20);
  const inRange = high === low ? 0.5 : (closes[t] - low) / (high - low);
  return {
    trend_follow: sma20 > sma(closes, t, 50) ? 1 : -1,
    mean_reversion: -Math.max(-1, Math.min(1, z / 2)),
    breakout: closes[t] > Math.max(...previous20) ? 1 : closes[t] < Math.min(...previous20) ? -1 : 0,
    range_bound: inRange < 0.2 ? 1 : inRange > 0.8 ? -1 : 0,
    defensive: 0.25,
  };
}

/** `path`: the entry close followed by the period's daily closes. */
function positionOutcome(position: number, path: number[]): StrategyOutcome {
  let equity = 1;
  let peak = 1;
  let maxDrawdown = 0;
  let wins = 0;
  for (let k = 1; k < path.length; k++) {
    const dayReturn = position * (path[k] / path[k - 1] - 1);
    if (dayReturn > 0) wins += 1;
    equity *= 1 + dayReturn;
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, 1 - equity / peak);
  }
  const days = path.length - 1;
  return {
    pnlPercent: (equity - 1) * 100,
    hoursHeld: days * 24,
    maxDrawdownPercent: maxDrawdown * 100,
    winRate: position === 0 ? 0.5 : wins / days,
  };
}

function sma(values: number[], end: number, length: number): number {
  return mean(values.slice(end - length + 1, end + 1));
}
