/** Student's t distribution for the tests here: its CDF (exact at 0) and the p-value of a statistic under an alternative. */
import { jStat } from 'jstat';

/**
 * The alternative hypothesis about the mean of loss1 − loss2: 'less' = the first model's loss is lower
 * (it is better), 'greater' = higher, 'two-sided' = different.
 */
export type Alternative = 'two-sided' | 'less' | 'greater';

function studentTCdf(x: number, dof: number): number {
  if (x === -Infinity) return 0;
  if (x === Infinity) return 1;
  if (x === 0) return 0.5; // exactly, where jStat's incomplete beta is off by ~1e-10
  return jStat.studentt.cdf(x, dof);
}

/** The p-value of a statistic whose null distribution is Student's t with `dof` degrees of freedom. */
export function studentTPValue(statistic: number, dof: number, alternative: Alternative): number {
  if (alternative === 'less') return studentTCdf(statistic, dof);
  if (alternative === 'greater') return studentTCdf(-statistic, dof);
  return Math.min(1, 2 * studentTCdf(-Math.abs(statistic), dof));
}
