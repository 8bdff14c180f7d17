/** Checks on raw numbers coming into the agents, refused as InvalidInputError naming the field. */
import { InvalidInputError } from '../../lib/errors';

/** A finite number in [min, max]; `expected` describes it in the message ("a fraction in [0, 1]"). */
export function requireInRange(value: number, field: string, expected: string, min = -Infinity, max = Infinity): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidInputError(`${field} expects ${expected}, but got ${String(value)}`, { field });
  }
}

export function requireFinite(value: number, field: string): void {
  requireInRange(value, field, 'a finite number');
}
