/**
 * Forecast metrics over windows [N, H, K] (forecast and realised, step-major per window): MSE and MAE
 * on the original scale and on the standardised one (each target divided by its training standard
 * deviation, the scale the ETT benchmarks report), overall and per horizon step. `rmse` is the
 * original-scale root of the MSE, the loss the rest of the loop compares versions by
 * (monitoring/outcome-scoring validationBaseline, learning/tuning).
 */
export interface ForecastLayout {
  windows: number;
  horizon: number;
  targets: number;
  /** Training standard deviation of each target. */
  targetStd: number[];
}

export function forecastMetrics(forecast: Float32Array, actual: Float32Array, layout: ForecastLayout, prefix = ''): Record<string, number> {
  const { windows, horizon, targets, targetStd } = layout;
  const stepSquared = new Float64Array(horizon);
  const stepAbsolute = new Float64Array(horizon);
  let squared = 0;
  let absolute = 0;
  for (let w = 0; w < windows; w++) {
    for (let h = 0; h < horizon; h++) {
      for (let k = 0; k < targets; k++) {
        const i = (w * horizon + h) * targets + k;
        const error = forecast[i] - actual[i];
        const scaled = error / targetStd[k];
        squared += error * error;
        absolute += Math.abs(error);
        stepSquared[h] += scaled * scaled;
        stepAbsolute[h] += Math.abs(scaled);
      }
    }
  }
  const cells = windows * horizon * targets;
  const perStep = windows * targets;
  const metrics: Record<string, number> = {
    [`${prefix}mse`]: stepSquared.reduce((a, b) => a + b, 0) / cells,
    [`${prefix}mae`]: stepAbsolute.reduce((a, b) => a + b, 0) / cells,
    [`${prefix}mse_original`]: squared / cells,
    [`${prefix}mae_original`]: absolute / cells,
    [`${prefix}rmse`]: Math.sqrt(squared / cells),
  };
  for (let h = 0; h < horizon; h++) {
    metrics[`${prefix}mse_step_${h + 1}`] = stepSquared[h] / perStep;
    metrics[`${prefix}mae_step_${h + 1}`] = stepAbsolute[h] / perStep;
  }
  return metrics;
}
