/**
 * Parametric (Gaussian) risk of a position from a model's predicted returns and recent volatility.
 *
 * For each predicted horizon h (bars ahead) with expected simple return μ_h, per-bar volatility σ
 * and a signed position value V (> 0 long, < 0 short, in account currency):
 *
 *   σ_h        = σ · √h                      (independent bars)
 *   PnL        ~ Normal(V·μ_h, (|V|·σ_h)²)
 *   VaR_α      = −V·μ_h + z_α · |V|·σ_h       (the loss exceeded with probability 1 − α)
 *   CVaR_α     = −V·μ_h + |V|·σ_h · φ(z_α) / (1 − α)   (the mean loss beyond VaR; expected shortfall)
 *   P(loss)    = Φ(−V·μ_h / (|V|·σ_h))
 *
 * with z_α = Φ⁻¹(α), φ and Φ the standard normal density and distribution. Losses are positive
 * numbers in the currency of V; a negative VaR means even the α-tail ends in profit.
 */
import { jStat } from 'jstat';
import { refuse } from '../lib/errors';

export interface PredictedReturn {
  /** Bars ahead, an integer ≥ 1. */
  horizon: number;
  /** Predicted simple return from now to `horizon` bars ahead. */
  expectedReturn: number;
}

export interface RiskInput {
  predictions: readonly PredictedReturn[];
  /** Per-bar standard deviation of simple returns (e.g. the vol_20 feature), ≥ 0. */
  volatility: number;
  /** Signed position value: > 0 long, < 0 short. */
  positionValue: number;
  /** α in (0.5, 1); default 0.95. */
  confidenceLevel?: number;
}

export interface HorizonRisk {
  horizon: number;
  expectedReturn: number;
  /** σ_h, the predicted volatility of the return over the horizon. */
  volatility: number;
  expectedPnl: number;
  valueAtRisk: number;
  expectedShortfall: number;
  probabilityOfLoss: number;
}

export interface RiskAssessment {
  confidenceLevel: number;
  positionValue: number;
  /** One entry per prediction, in ascending horizon. */
  horizons: HorizonRisk[];
}

/** Assesses the position's risk at every predicted horizon; refuses inputs outside their ranges. */
export function assessRisk(input: RiskInput): RiskAssessment {
  const { predictions, volatility, positionValue } = input;
  const alpha = input.confidenceLevel ?? 0.95;
  if (!(alpha > 0.5 && alpha < 1)) refuse('confidenceLevel', 'in (0.5, 1)', alpha);
  if (!(volatility >= 0 && Number.isFinite(volatility))) refuse('volatility', 'to be a finite number ≥ 0', volatility);
  if (!Number.isFinite(positionValue)) refuse('positionValue', 'to be a finite number', positionValue);
  if (predictions.length === 0) refuse('predictions', 'to hold at least one horizon', 'none');
  const seen = new Set<number>();
  predictions.forEach(({ horizon, expectedReturn }, i) => {
    if (!Number.isInteger(horizon) || horizon < 1) refuse(`predictions[${i}].horizon`, 'to be an integer ≥ 1', horizon);
    if (seen.has(horizon)) refuse(`predictions[${i}].horizon`, 'to appear once', `${horizon} again`);
    seen.add(horizon);
    if (!(expectedReturn > -1 && Number.isFinite(expectedReturn))) {
      refuse(`predictions[${i}].expectedReturn`, 'to be a finite simple return > −1', expectedReturn);
    }
  });

  const z = jStat.normal.inv(alpha, 0, 1);
  const density = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI); // φ(z)
  const tailMean = density / (1 - alpha);
  const horizons = [...predictions]
    .sort((a, b) => a.horizon - b.horizon)
    .map(({ horizon, expectedReturn }) => {
      const sigmaH = volatility * Math.sqrt(horizon);
      const expectedPnl = positionValue * expectedReturn;
      const pnlStd = Math.abs(positionValue) * sigmaH;
      return {
        horizon,
        expectedReturn,
        volatility: sigmaH,
        expectedPnl,
        valueAtRisk: -expectedPnl + z * pnlStd,
        expectedShortfall: -expectedPnl + tailMean * pnlStd,
        probabilityOfLoss: pnlStd > 0 ? jStat.normal.cdf(-expectedPnl / pnlStd, 0, 1) : expectedPnl < 0 ? 1 : 0,
      };
    });
  return { confidenceLevel: alpha, positionValue, horizons };
}
