/**
 * Multiple-testing corrections of p-values (Benjamini–Hochberg, Bonferroni), as statsmodels computes
 * them.
 */
import { InvalidInputError } from '../errors';
import { type Numbers } from './numbers';

function requireProbabilities(pValues: Numbers): void {
  for (let i = 0; i < pValues.length; i++) {
    const p = pValues[i];
    if (!(p >= 0 && p <= 1)) {
      throw new InvalidInputError(`pValues expects probabilities in [0, 1], but got ${p} at index ${i}`, { field: 'pValues' });
    }
  }
}

/**
 * Benjamini–Hochberg adjusted p-values (false discovery rate), in the input's order: test i is a
 * discovery at FDR q when its adjusted value is ≤ q. Equal to statsmodels' `multipletests(…, 'fdr_bh')`.
 */
export function benjaminiHochberg(pValues: Numbers): number[] {
  requireProbabilities(pValues);
  const m = pValues.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pValues[a] - pValues[b]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1];
    running = Math.min(running, (pValues[i] * m) / rank);
    adjusted[i] = running;
  }
  return adjusted;
}

/** Bonferroni adjusted p-values (family-wise error rate): min(1, m·p), in the input's order. */
export function bonferroni(pValues: Numbers): number[] {
  requireProbabilities(pValues);
  return Array.from(pValues, (p) => Math.min(1, p * pValues.length));
}
