/** The parts of jstat (which ships no types) that Kybernet uses; extend as more are needed. */
declare module 'jstat' {
  export const jStat: {
    studentt: { cdf(x: number, dof: number): number };
    normal: { cdf(x: number, mean: number, std: number): number; inv(p: number, mean: number, std: number): number };
    /** The regularized incomplete beta function I_x(a, b). */
    ibeta(x: number, a: number, b: number): number;
  };
}
