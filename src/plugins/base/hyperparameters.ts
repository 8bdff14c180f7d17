/**
 * Validates raw hyperparameters against a family's zod schema (applying its defaults). The first
 * problem is refused as an InvalidInputError whose `field` is the parameter's path, e.g.
 * "hyperparameters.max_depth".
 */
import type { ZodType } from 'zod';
import { InvalidInputError } from '../../lib/errors';

export function parseHyperparameters<P>(schema: ZodType<P>, raw: unknown): P {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const field = ['hyperparameters', ...issue.path.map(String), ...keys.slice(0, 1)].join('.');
  throw new InvalidInputError(`${field}: ${issue.message}`, { field });
}
