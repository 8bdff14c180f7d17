/**
 * Per-channel z-scoring fitted on the training rows only, so that nothing of the validation or test
 * period leaks into the model's inputs. The served graph carries it (engine.py's Served), so a
 * request and a forecast are on the series' own scale.
 */
import { mean, standardDeviation } from 'simple-statistics';

export interface ChannelScaling {
  mean: number[];
  /** A constant channel gets 1, so it passes through centred rather than divided by zero. */
  std: number[];
}

/**
 * Mean and population standard deviation of each of `width` channels over rows [0, rows) of a row-major
 * matrix: the population one as scikit-learn's StandardScaler, which the published ETT figures use.
 */
export function fitChannelScaling(values: Float32Array, width: number, rows: number): ChannelScaling {
  const scaling: ChannelScaling = { mean: [], std: [] };
  for (let c = 0; c < width; c++) {
    const column = Array.from({ length: rows }, (_, r) => values[r * width + c]);
    const std = standardDeviation(column);
    scaling.mean.push(mean(column));
    scaling.std.push(std > 1e-12 ? std : 1);
  }
  return scaling;
}
