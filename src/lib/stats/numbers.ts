/** What the statistics modules share: the numbers they take, and the checks and copies they make of them. */
import { InvalidInputError } from '../errors';

export type Numbers = ArrayLike<number>;

export function requireNonEmpty(values: Numbers, field: string): void {
  if (values.length === 0) throw new InvalidInputError(`${field} expects at least one value, but got none`, { field });
}

export function sortedCopy(values: Numbers): Float64Array {
  return Float64Array.from(values).sort();
}
