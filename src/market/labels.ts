/**
 * Supervised targets of one bar series, aligned with its feature rows: the label of row t looks
 * h bars ahead. Where t + h is beyond the series the label is NaN (such rows cannot be trained on).
 *
 * - forward_return  close[t+h] / close[t] − 1 (a simple return, like the ret_k features)
 * - direction       1 if the forward return is > 0, else 0 (a flat close counts as 0)
 */
import type { Bar } from '../lib/bars';
import { InvalidInputError } from '../lib/errors';
import { LABEL_KINDS, type LabelKind } from '../lib/market-vocabulary';

export { LABEL_KINDS, type LabelKind };

export interface LabelSpec {
  kind: LabelKind;
  /** Bars ahead, an integer ≥ 1. */
  horizon: number;
}

type Closes = readonly Pick<Bar, 'close'>[];

function checkHorizon(horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new InvalidInputError(`expects horizon to be an integer ≥ 1 (bars ahead), but got ${horizon}`, {
      field: 'horizon',
    });
  }
}

export function forwardReturns(bars: Closes, horizon: number): Float32Array {
  checkHorizon(horizon);
  const labels = new Float32Array(bars.length).fill(NaN);
  for (let t = 0; t + horizon < bars.length; t++) {
    labels[t] = bars[t + horizon].close / bars[t].close - 1;
  }
  return labels;
}

export function forwardDirections(bars: Closes, horizon: number): Float32Array {
  return forwardReturns(bars, horizon).map((r) => (Number.isNaN(r) ? NaN : r > 0 ? 1 : 0));
}

/** The labels `spec` names, one per bar. */
export function computeLabels(bars: Closes, spec: LabelSpec): Float32Array {
  switch (spec.kind) {
    case 'forward_return':
      return forwardReturns(bars, spec.horizon);
    case 'direction':
      return forwardDirections(bars, spec.horizon);
    default:
      throw new InvalidInputError(`expects a label kind of ${LABEL_KINDS.join(', ')}, but got '${(spec as { kind: unknown }).kind}'`, {
        field: 'kind',
      });
  }
}
