/**
 * Validates raw hyperparameters against a family's zod schema (applying its defaults). The first
 * problem is refused as an InvalidInputError whose `field` is the parameter's path, e.g.
 * "hyperparameters.max_depth".
 */
import { z, type ZodType } from 'zod';
import { InvalidInputError } from '../../lib/errors';

export function parseHyperparameters<P>(schema: ZodType<P>, raw: unknown): P {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const field = ['hyperparameters', ...issue.path.map(String), ...keys.slice(0, 1)].join('.');
  throw new InvalidInputError(`${field}: ${issue.message}`, { field });
}

/** Parameters every boosted-tree family takes under the same name and meaning. */
export const treeTrainingParams = {
  seed: z.number().int().min(0).optional().describe("Sampling seed; absent takes the job's seed"),
  validation_fraction: z
    .number()
    .min(0)
    .max(0.5)
    .default(0.2)
    .describe('Share of the latest rows held out (in time order) for early stopping and validation metrics'),
  refit_on_all_rows: z
    .boolean()
    .default(false)
    .describe(
      'After validating, train again on every row (the held-out latest ones too) with the rounds early stopping chose; the metrics stay those of the held-out fit',
    ),
};
