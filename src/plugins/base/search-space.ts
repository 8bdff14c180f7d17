/**
 * Random search over a family's SearchSpace: each call draws one value per parameter — uniform, or
 * log-uniform where the space says `log` (so 0.01…0.3 is searched evenly per decade), integers
 * rounded and kept within their bounds, choices picked uniformly. Random search is the baseline
 * hyperparameter search that stays competitive with grid search at a fraction of the trials
 * (Bergstra & Bengio, 2012); the caller's seeded source makes a search repeatable.
 */
import type { SearchSpace } from '../contract';

export function sampleHyperparameters<P>(space: SearchSpace<P>, random: () => number): Partial<P> {
  const sample: Partial<P> = {};
  for (const key of Object.keys(space) as (keyof P & string)[]) {
    const range = space[key];
    if (!range) continue;
    if (range.type === 'choice') {
      sample[key] = range.values[Math.min(range.values.length - 1, Math.floor(random() * range.values.length))];
      continue;
    }
    const u = random();
    const value = range.log
      ? Math.exp(Math.log(range.min) + u * (Math.log(range.max) - Math.log(range.min)))
      : range.min + u * (range.max - range.min);
    sample[key] = (range.type === 'int' ? Math.min(range.max, Math.max(range.min, Math.round(value))) : value) as P[keyof P & string];
  }
  return sample;
}
