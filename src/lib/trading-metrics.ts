/**
 * Trading metrics: how a strategy's per-period returns fared. The one module of them: shadow verdicts,
 * model health, backtests and the gate before SHADOW all read their Sharpe ratios, drawdowns and tail
 * risks from here.
 *
 * A return is a simple return per period (0.01 = +1 %), compounded into an equity curve ∏(1 + r) that
 * starts at 1. The definitions follow empyrical (Quantopian's performance library) with a required
 * return and risk-free rate of 0, so its published figures check them (test/unit/lib/trading-metrics.test.ts):
 *
 *   sharpe       mean(r) / std(r, n − 1) · √periodsPerYear                        (empyrical sharpe_ratio)
 *   sortino      mean(r) · periodsPerYear / (√mean(min(r, 0)²) · √periodsPerYear)  (empyrical sortino_ratio,
 *                the downside deviation taken over every period, not only the losing ones)
 *   maxDrawdown  max over t of (peak − equity_t) / peak, the starting equity of 1 a peak  (−empyrical max_drawdown)
 *   annualReturn (∏(1 + r))^(periodsPerYear / n) − 1                                  (empyrical annual_return)
 *   calmar       annualReturn / maxDrawdown                                        (empyrical calmar_ratio)
 *   var, es      −quantile(r, α) by linear interpolation (numpy's default, as empyrical value_at_risk), and
 *                −mean of the returns at or below that quantile (empyrical conditional_value_at_risk)
 *
 * Where empyrical answers NaN or ±Infinity (a ratio with nothing to divide by) the figure here is null
 * (JSON and GraphQL carry no Infinity) — except the Sharpe ratio of returns that do not vary, which is 0
 * as the shadow tester has always had it.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { InvalidInputError, requireFinite, requireFiniteEach } from './errors';
import { linearQuantileSorted } from './stats/quantile-bins';

/** Trading days in a year: the annualisation of daily returns. */
export const TRADING_DAYS_PER_YEAR = 252;

function requireReturns(returns: ArrayLike<number>, minimum: number): void {
  if (returns.length < minimum) {
    const noun = minimum === 1 ? 'value' : 'values';
    throw new InvalidInputError(`returns expects at least ${minimum} ${noun}, but got ${returns.length}`, { field: 'returns' });
  }
  requireFiniteEach('returns', returns);
}

function requireSameLength(field: string, values: ArrayLike<number>, expected: number, of: string): void {
  if (values.length !== expected) {
    throw new InvalidInputError(`${field} expects one value per ${of} (${expected}), but got ${values.length}`, { field });
  }
}

export interface SignStrategy {
  /** position · label per period. */
  returns: Float64Array;
  /** +1 long, −1 short, 0 flat. */
  positions: Float64Array;
}

/**
 * Trading the sign of each prediction: long when it is above `threshold`, short when below −threshold,
 * flat otherwise (default threshold 0: flat only on a prediction of exactly 0); each period earns
 * position · label, the label being the realised simple return. A binary classifier passes p − 0.5.
 */
export function signStrategy(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { threshold?: number } = {},
): SignStrategy {
  const { threshold = 0 } = options;
  requireFinite('threshold', threshold, 'a finite number of at least 0', (t) => t >= 0);
  requireSameLength('labels', labels, predictions.length, 'prediction');
  requireFiniteEach('predictions', predictions);
  requireFiniteEach('labels', labels);
  const positions = new Float64Array(predictions.length);
  const returns = new Float64Array(predictions.length);
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i];
    const position = Math.abs(p) <= threshold ? 0 : Math.sign(p);
    positions[i] = position;
    // position · label, written so that a flat period earns exactly 0 (not −0)
    returns[i] = position === 0 ? 0 : position * labels[i];
  }
  return { returns, positions };
}

/** Arithmetic mean of per-period returns. */
export function meanReturn(returns: ArrayLike<number>): number {
  requireReturns(returns, 1);
  // simple-statistics reads only length and indices, so a typed array is passed as it is (no copy of a large one)
  return mean(returns as number[]);
}

/** mean/sample-std of per-period returns × `annualization` (default √252 for daily returns); 0 when the returns do not vary. */
export function sharpeRatio(returns: ArrayLike<number>, annualization = Math.sqrt(TRADING_DAYS_PER_YEAR)): number {
  requireReturns(returns, 2);
  const values = returns as number[]; // read by index only, as meanReturn's
  const std = sampleStandardDeviation(values);
  return std === 0 ? 0 : (mean(values) / std) * annualization;
}

/**
 * Largest peak-to-trough fall of the compounded equity curve ∏(1 + r), starting from 1, as a positive
 * fraction of the peak (0.25 = a 25 % drawdown; 0 for no periods or no fall). Returns below −1 are refused.
 */
export function maxDrawdown(returns: ArrayLike<number>): number {
  requireReturns(returns, 0);
  let equity = 1;
  let peak = 1;
  let worst = 0;
  for (let i = 0; i < returns.length; i++) {
    if (returns[i] < -1) {
      throw new InvalidInputError(`returns expects simple returns of at least −1, but got ${returns[i]} at index ${i}`, {
        field: 'returns',
      });
    }
    equity *= 1 + returns[i];
    peak = Math.max(peak, equity);
    worst = Math.max(worst, (peak - equity) / peak);
  }
  return worst;
}

export interface TradingMetrics {
  periods: number;
  /** ∏(1 + r) − 1. */
  totalReturn: number;
  /** (1 + totalReturn)^(periodsPerYear / periods) − 1: the compounded annual growth rate. */
  annualReturn: number;
  meanReturn: number;
  /** Annualised; 0 when the returns do not vary; null with fewer than 2 periods. */
  sharpe: number | null;
  /** Annualised; null with fewer than 2 periods or with no losing period (a downside deviation of 0). */
  sortino: number | null;
  /** Fraction of the peak, in [0, 1]. */
  maxDrawdown: number;
  /** annualReturn / maxDrawdown; null when there is no drawdown (or the ratio overflows). */
  calmar: number | null;
  /** Sum of gains / |sum of losses|; null when no period lost. */
  profitFactor: number | null;
  /** Share of winning periods among those with a non-zero return; null when every return is 0. */
  hitRate: number | null;
  /** Historical value at risk: −(5 % quantile of the returns), a loss as a positive number (negative when even that quantile gained). */
  var95: number;
  var99: number;
  /** Expected shortfall: −(mean of the returns at or below the 5 % quantile). */
  es95: number;
  es99: number;
  /** Mean |Δposition| per period, the position before the first period taken as flat; null without positions. */
  turnover: number | null;
}

export interface TradingMetricsOptions {
  /** The strategy's position in each period (signStrategy's), for the turnover. */
  positions?: ArrayLike<number>;
  /** Periods in a year, for the annualised figures (default 252, daily). */
  periodsPerYear?: number;
}

/** The figures of per-period `returns` (the definitions at the top of this file). */
export function tradingMetrics(returns: ArrayLike<number>, options: TradingMetricsOptions = {}): TradingMetrics {
  const { positions, periodsPerYear = TRADING_DAYS_PER_YEAR } = options;
  requireReturns(returns, 1);
  requireFinite('periodsPerYear', periodsPerYear, 'a positive number', (p) => p > 0);
  const n = returns.length;
  const drawdown = maxDrawdown(returns);
  let growth = 1;
  let gains = 0;
  let losses = 0;
  let wins = 0;
  let moved = 0;
  let downsideSquares = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i];
    growth *= 1 + r;
    if (r > 0) {
      gains += r;
      wins++;
    } else if (r < 0) {
      losses -= r;
      downsideSquares += r * r;
    }
    if (r !== 0) moved++;
  }
  const average = meanReturn(returns);
  const annualReturn = growth ** (periodsPerYear / n) - 1;
  const downsideDeviation = Math.sqrt(downsideSquares / n);
  const calmar = drawdown > 0 ? annualReturn / drawdown : null;
  const tail = tailRisk(returns);
  return {
    periods: n,
    totalReturn: growth - 1,
    annualReturn,
    meanReturn: average,
    sharpe: n >= 2 ? sharpeRatio(returns, Math.sqrt(periodsPerYear)) : null,
    // mean·P / (dd·√P) = mean/dd · √P
    sortino: n >= 2 && downsideDeviation > 0 ? (average / downsideDeviation) * Math.sqrt(periodsPerYear) : null,
    maxDrawdown: drawdown,
    calmar: calmar !== null && Number.isFinite(calmar) ? calmar : null,
    profitFactor: losses > 0 ? gains / losses : null,
    hitRate: moved > 0 ? wins / moved : null,
    ...tail,
    turnover: positions === undefined ? null : meanTurnover(positions, n),
  };
}

/** A return as a loss: its negation, with a return of 0 a loss of 0 rather than −0. */
const loss = (value: number) => (value === 0 ? 0 : -value);

/** Historical VaR and expected shortfall at 95 % and 99 %. */
function tailRisk(returns: ArrayLike<number>): Pick<TradingMetrics, 'var95' | 'var99' | 'es95' | 'es99'> {
  // Linear interpolation between order statistics (Hyndman–Fan type 7, numpy's default), as empyrical's
  // value_at_risk (np.percentile); simple-statistics' quantile is another definition, so not used here.
  const sorted = Float64Array.from(returns).sort();
  const at = (alpha: number) => {
    const quantile = linearQuantileSorted(sorted, alpha);
    let sum = 0;
    let count = 0;
    for (let i = 0; i < sorted.length && sorted[i] <= quantile; i++) {
      sum += sorted[i];
      count++;
    }
    return { valueAtRisk: loss(quantile), shortfall: loss(sum / count) };
  };
  const p95 = at(0.05);
  const p99 = at(0.01);
  return { var95: p95.valueAtRisk, var99: p99.valueAtRisk, es95: p95.shortfall, es99: p99.shortfall };
}

function meanTurnover(positions: ArrayLike<number>, periods: number): number {
  requireSameLength('positions', positions, periods, 'return');
  requireFiniteEach('positions', positions);
  let traded = 0;
  let previous = 0;
  for (let i = 0; i < periods; i++) {
    traded += Math.abs(positions[i] - previous);
    previous = positions[i];
  }
  return traded / periods;
}
