/**
 * Named technical features of one bar series, computed causally: the row of bar t uses bars 0..t
 * only, so appending or changing later bars never changes it. Indicators come from trading-signals;
 * values are computed in float64 and stored as Float32. Before a feature's warm-up it is NaN.
 *
 * Definitions (c = close, h = high, l = low, v = volume; returns are SIMPLE returns, like the labels):
 * - ret_k            c[t] / c[t-k] − 1, for k = 1, 5, 10, 20
 * - vol_20           population standard deviation of the last 20 one-bar returns (per bar, not annualised)
 * - rsi_14           Wilder's RSI over 14 bars, 0–100 (100 when there were no losses)
 * - sma_ratio_20_50  SMA20(c) / SMA50(c) − 1
 * - macd, macd_signal, macd_hist
 *                    MACD(12, 26, 9) of the close (EMAs seeded with the first close), each divided by
 *                    c[t] so that the values are comparable across price levels and symbols
 * - bollinger_pos    (c − middle) / (upper − middle) for 20-bar, 2σ (population σ) Bollinger bands:
 *                    0 at the middle band, ±1 at the bands, beyond ±1 outside; 0 when the band is flat
 * - atr_14           Wilder's ATR over 14 bars divided by c[t]
 * - volume_z         (v[t] − mean) / σ of the last 20 volumes including t (population σ); 0 when flat
 * - hl_range         (h − l) / c of the bar itself
 * - ibs              internal bar strength (c − l) / (h − l), 0.5 when h = l
 *
 * The exponential smoothers (RSI, ATR, MACD) depend, ever more weakly, on where the series starts:
 * compute the features of a bar from at least STABLE_HISTORY_BARS bars of history so that they
 * agree with the features the model was trained on.
 */
import { ATR, BollingerBands, EMA, IBS, MACD, RSI, SMA, getAverage, getStandardDeviation, pushUpdate } from 'trading-signals';
import { type Bar, validateSeries } from '../lib/bars';

export const FEATURE_NAMES = [
  'ret_1',
  'ret_5',
  'ret_10',
  'ret_20',
  'vol_20',
  'rsi_14',
  'sma_ratio_20_50',
  'macd',
  'macd_signal',
  'macd_hist',
  'bollinger_pos',
  'atr_14',
  'volume_z',
  'hl_range',
  'ibs',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Index (0-based) of the first bar of a series at which each feature is defined. */
export const FEATURE_WARMUP: Readonly<Record<FeatureName, number>> = {
  ret_1: 1,
  ret_5: 5,
  ret_10: 10,
  ret_20: 20,
  vol_20: 20,
  rsi_14: 14,
  sma_ratio_20_50: 49,
  macd: 25,
  macd_signal: 33,
  macd_hist: 33,
  bollinger_pos: 19,
  atr_14: 13,
  volume_z: 19,
  hl_range: 0,
  ibs: 0,
};

/** Bars before every feature is defined: row WARMUP_BARS is the first row without NaN. */
export const WARMUP_BARS = Math.max(...Object.values(FEATURE_WARMUP));

/**
 * History after which the exponential smoothers have forgotten their start: the features of the last
 * of this many bars differ from those computed on a longer history by less than Float32 rounding.
 */
export const STABLE_HISTORY_BARS = 250;

const RETURN_LAGS = [1, 5, 10, 20] as const;
const LONGEST_LAG = 20;
const WINDOW = 20;

type OHLCV = Pick<Bar, 'open' | 'high' | 'low' | 'close' | 'volume'>;

/**
 * Incremental features of one series: `next(bar)` takes the series' bars in time order and returns
 * that bar's feature row (FEATURE_NAMES order). The caller guarantees order and validity
 * (`computeFeatures` does both).
 */
export class FeatureStream {
  private readonly closes: number[] = [];
  private readonly returns: number[] = [];
  private readonly volumes: number[] = [];
  private readonly rsi = new RSI(14);
  private readonly sma20 = new SMA(20);
  private readonly sma50 = new SMA(50);
  private readonly macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
  private readonly bands = new BollingerBands(20, 2);
  private readonly atr = new ATR(14);
  private readonly ibs = new IBS();

  next(bar: OHLCV): Float32Array {
    const { close } = bar;
    const previous = this.closes.at(-1);
    pushUpdate({ array: this.closes, item: close, maxLength: LONGEST_LAG + 1, replace: false });
    if (previous !== undefined) {
      pushUpdate({ array: this.returns, item: close / previous - 1, maxLength: WINDOW, replace: false });
    }
    pushUpdate({ array: this.volumes, item: bar.volume, maxLength: WINDOW, replace: false });

    const rsi = this.rsi.add(close);
    const sma20 = this.sma20.add(close);
    const sma50 = this.sma50.add(close);
    const macd = this.macd.add(close);
    const macdSignalReady = macd !== null && this.macd.signal.isStable;
    const bands = this.bands.add(close);
    const atr = this.atr.add(bar);

    const row = new Float32Array(FEATURE_NAMES.length).fill(NaN);
    let i = 0;
    for (const lag of RETURN_LAGS) {
      const past = this.closes.at(-1 - lag);
      row[i++] = past === undefined ? NaN : close / past - 1;
    }
    row[i++] = this.returns.length === WINDOW ? getStandardDeviation(this.returns) : NaN;
    row[i++] = rsi ?? NaN;
    row[i++] = sma20 !== null && sma50 !== null ? sma20 / sma50 - 1 : NaN;
    row[i++] = macd ? macd.macd / close : NaN;
    row[i++] = macd && macdSignalReady ? macd.signal / close : NaN;
    row[i++] = macd && macdSignalReady ? macd.histogram / close : NaN;
    row[i++] = bands ? bandPosition(close, bands.middle, bands.upper) : NaN;
    row[i++] = atr === null ? NaN : atr / close;
    row[i++] = this.volumes.length === WINDOW ? zScore(bar.volume, this.volumes) : NaN;
    row[i++] = (bar.high - bar.low) / close;
    row[i++] = this.ibs.add(bar) ?? NaN;
    return row;
  }
}

function bandPosition(close: number, middle: number, upper: number): number {
  const halfWidth = upper - middle;
  return halfWidth > 0 ? (close - middle) / halfWidth : 0;
}

function zScore(value: number, window: number[]): number {
  const mean = getAverage(window);
  const std = getStandardDeviation(window, mean);
  return std > 0 ? (value - mean) / std : 0;
}

export interface FeatureMatrix {
  featureNames: readonly FeatureName[];
  rows: number;
  /** rows × featureNames.length, row-major; row r belongs to bar r of the series. */
  values: Float32Array;
  /** The bar timestamp of each row (UTC epoch ms). */
  timestamps: number[];
}

/**
 * The feature matrix of one series (one symbol and timeframe, strictly increasing timestamps; every
 * bar valid — otherwise InvalidInputError naming the row). One row per bar; NaN before warm-up.
 */
export function computeFeatures(bars: readonly Bar[]): FeatureMatrix {
  validateSeries(bars);
  const width = FEATURE_NAMES.length;
  const values = new Float32Array(bars.length * width);
  const stream = new FeatureStream();
  bars.forEach((bar, row) => values.set(stream.next(bar), row * width));
  return { featureNames: FEATURE_NAMES, rows: bars.length, values, timestamps: bars.map((bar) => bar.timestamp) };
}
