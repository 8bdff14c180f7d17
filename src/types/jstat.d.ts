/** Types for the part of jstat that Kybernet uses (the package ships none); extend as needed. */
declare module 'jstat' {
  interface ContinuousDistribution<Params extends number[]> {
    pdf(x: number, ...params: Params): number;
    cdf(x: number, ...params: Params): number;
    inv(p: number, ...params: Params): number;
  }
  export const jStat: {
    normal: ContinuousDistribution<[mean: number, std: number]>;
  };
}
