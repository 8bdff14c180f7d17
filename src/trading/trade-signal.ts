/**
 * One trade signal from the predictions of several horizons: a direction and a confidence.
 *
 * Per horizon h, the probability that the price rises over the horizon:
 *   - a regression model predicting the forward return μ_h, with error scale σ_h (its validation
 *     RMSE, or else the market's volatility over the horizon): p_h = Φ(μ_h / σ_h), i.e. the chance
 *     that the realised return is positive if it is Normal(μ_h, σ_h²);
 *   - a binary model predicting the probability of a rise: p_h = its output.
 * Combined: p = the mean of p_h over the horizons; direction LONG when p > 0.5, SHORT when p < 0.5,
 * FLAT at exactly 0.5; confidence = max(p, 1 − p) ∈ [0.5, 1], the probability the direction is right.
 * Horizons that disagree pull p towards 0.5 and so lower the confidence.
 */
import { jStat } from 'jstat';
import { InvalidInputError } from '../lib/errors';

export type SignalDirection = 'LONG' | 'SHORT' | 'FLAT';

export type HorizonForecast =
  | { horizon: number; task: 'regression'; expectedReturn: number; errorScale: number }
  | { horizon: number; task: 'binary'; probabilityUp: number };

export interface TradeSignal {
  direction: SignalDirection;
  confidence: number;
  /** p, the combined probability of a rise. */
  probabilityUp: number;
  /** p_h by horizon, in the order given. */
  horizons: { horizon: number; probabilityUp: number }[];
}

export function probabilityUp(forecast: HorizonForecast, index = 0): number {
  if (forecast.task === 'binary') {
    const p = forecast.probabilityUp;
    if (!(p >= 0 && p <= 1)) {
      throw new InvalidInputError(`expects forecasts[${index}].probabilityUp in [0, 1], but got ${p}`, {
        field: `forecasts[${index}].probabilityUp`,
      });
    }
    return p;
  }
  const { expectedReturn, errorScale } = forecast;
  if (!Number.isFinite(expectedReturn)) {
    throw new InvalidInputError(`expects forecasts[${index}].expectedReturn to be finite, but got ${expectedReturn}`, {
      field: `forecasts[${index}].expectedReturn`,
    });
  }
  if (!(errorScale > 0 && Number.isFinite(errorScale))) {
    throw new InvalidInputError(`expects forecasts[${index}].errorScale to be a finite number > 0, but got ${errorScale}`, {
      field: `forecasts[${index}].errorScale`,
    });
  }
  return jStat.normal.cdf(expectedReturn / errorScale, 0, 1);
}

export function combineForecasts(forecasts: readonly HorizonForecast[]): TradeSignal {
  if (forecasts.length === 0) throw new InvalidInputError('expects at least one horizon forecast, but got none', { field: 'forecasts' });
  const horizons = forecasts.map((forecast, i) => ({ horizon: forecast.horizon, probabilityUp: probabilityUp(forecast, i) }));
  const p = horizons.reduce((sum, h) => sum + h.probabilityUp, 0) / horizons.length;
  return {
    direction: p > 0.5 ? 'LONG' : p < 0.5 ? 'SHORT' : 'FLAT',
    confidence: Math.max(p, 1 - p),
    probabilityUp: p,
    horizons,
  };
}
