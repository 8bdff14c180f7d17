/**
 * Hyperparameters every sequence family takes under the same name and meaning. A family spreads
 * `sequenceTrainingParams` into its own strict zod object with its defaults (`sequenceParams`).
 */
import { z } from 'zod';

export function sequenceParams(defaults: {
  input_length: number;
  horizon: number;
  batch_size: number;
  learning_rate: number;
  loss: 'mse' | 'mae';
  max_epochs: number;
  patience: number;
}) {
  return {
    input_length: z.number().int().min(2).max(4096).default(defaults.input_length).describe('Rows of history a window shows the model (L)'),
    horizon: z.number().int().min(1).max(1024).default(defaults.horizon).describe('Rows ahead it forecasts (H)'),
    max_epochs: z.number().int().min(1).max(1000).default(defaults.max_epochs).describe('Passes over the training windows at most'),
    batch_size: z.number().int().min(1).max(4096).default(defaults.batch_size).describe('Windows per optimiser step'),
    learning_rate: z.number().gt(0).max(1).default(defaults.learning_rate).describe('Adam step size'),
    patience: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(defaults.patience)
      .describe('Stop after this many epochs without a better validation loss; the best epoch’s weights are kept'),
    validation_fraction: z.number().min(0).max(0.5).default(0.2).describe('Share of the latest rows (before the test rows) that validate'),
    test_fraction: z.number().min(0).max(0.5).default(0).describe('Share of the latest rows held out for the test metrics'),
    seed: z.number().int().min(0).optional().describe("Seeds initialisation and shuffling; absent takes the job's seed"),
    loss: z.enum(['mse', 'mae']).default(defaults.loss).describe('Training loss on the standardised scale'),
    fine_tune_epochs: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Epochs an incremental update trains the previous weights on new windows'),
    fine_tune_learning_rate_factor: z
      .number()
      .gt(0)
      .max(1)
      .default(0.1)
      .describe('Learning rate of an incremental update, as a share of learning_rate'),
  };
}

/** The common parameters as the sequence base reads them after a family's schema parsed them. */
export interface SequenceCommonParams {
  input_length: number;
  horizon: number;
  max_epochs: number;
  batch_size: number;
  learning_rate: number;
  patience: number;
  validation_fraction: number;
  test_fraction: number;
  seed?: number;
  loss: 'mse' | 'mae';
  fine_tune_epochs: number;
  fine_tune_learning_rate_factor: number;
}
