/**
 * Quantile bins and the population stability index (PSI), in float64 and numpy's arithmetic.
 */
import { InvalidInputError, requireFiniteEach } from '../errors';
import { type Numbers, requireNonEmpty, sortedCopy } from './numbers';

/**
 * The value at fractional order-statistic `position` (0-based) of ascending `sorted` values, by linear
 * interpolation — the p-quantile of Hyndman–Fan type 7 (numpy's default) at position p·(n − 1). The
 * arithmetic is numpy's `_lerp`, so a quantile equals a data value exactly when numpy's does.
 */
function interpolateAt(sorted: Numbers, position: number): number {
  const lower = Math.floor(position);
  if (lower >= sorted.length - 1) return sorted[sorted.length - 1];
  const t = position - lower;
  const a = sorted[lower];
  const b = sorted[lower + 1];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The p-quantile (0 ≤ p ≤ 1) of ascending values, linear interpolation (numpy's default method). */
export function linearQuantileSorted(sorted: Numbers, p: number): number {
  requireNonEmpty(sorted, 'sorted');
  if (!(p >= 0 && p <= 1)) throw new InvalidInputError(`p expects a probability in [0, 1], but got ${p}`, { field: 'p' });
  return interpolateAt(sorted, p * (sorted.length - 1));
}

/**
 * The `bins − 1` inner edges that cut ascending values into `bins` equal-count bins (for 10 bins, the
 * 9 inner deciles, linear interpolation). The PSI bins are (−∞, e1), [e1, e2), …, [e_last, ∞).
 */
export function quantileEdges(sorted: Numbers, bins = 10): number[] {
  requireNonEmpty(sorted, 'sorted');
  if (!Number.isInteger(bins) || bins < 2) {
    throw new InvalidInputError(`bins expects an integer of at least 2, but got ${bins}`, { field: 'bins' });
  }
  const edges: number[] = [];
  // i·(n−1)/bins rather than (i/bins)·(n−1): exact whenever the position is a whole order statistic.
  for (let i = 1; i < bins; i++) edges.push(interpolateAt(sorted, (i * (sorted.length - 1)) / bins));
  return edges;
}

/** Index of the bin of `value` under ascending inner `edges`: the number of edges ≤ value (an edge value goes up). */
function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The share of `values` in each of the `edges.length + 1` bins cut by ascending inner `edges`. */
export function binProportions(values: Numbers, edges: readonly number[]): number[] {
  requireNonEmpty(values, 'values');
  requireFiniteEach('values', values);
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i])]++;
  return counts.map((c) => c / values.length);
}

/** Bin shares below this are raised to it, so that an empty bin contributes a large but finite term. */
const PSI_PROPORTION_FLOOR = 1e-4;

/** PSI = Σ (cur − ref)·ln(cur/ref) over matching bins, each proportion floored at {@link PSI_PROPORTION_FLOOR}. */
export function psiFromProportions(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length || reference.length === 0) {
    throw new InvalidInputError(
      `current expects as many bin proportions as the reference (${reference.length}), but got ${current.length}`,
      { field: 'current' },
    );
  }
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const ref = Math.max(reference[i], PSI_PROPORTION_FLOOR);
    const cur = Math.max(current[i], PSI_PROPORTION_FLOOR);
    total += (cur - ref) * Math.log(cur / ref);
  }
  return total;
}

/**
 * Population stability index of `current` against `reference`: `bins` bins with edges at the
 * reference's quantiles (outer bins open, a value equal to an edge in the upper bin), proportions
 * floored at 1e-4, PSI = Σ (cur − ref)·ln(cur/ref).
 */
export function psi(reference: Numbers, current: Numbers, bins = 10): number {
  requireNonEmpty(reference, 'reference');
  requireFiniteEach('reference', reference);
  requireNonEmpty(current, 'current');
  requireFiniteEach('current', current);
  const sortedReference = sortedCopy(reference);
  const edges = quantileEdges(sortedReference, bins);
  return psiFromProportions(binProportions(sortedReference, edges), binProportions(current, edges));
}
