/**
 * N-HiTS (Challu et al., "N-HiTS: Neural Hierarchical Interpolation for Time Series Forecasting",
 * AAAI 2023): stacks of MLP blocks over max-pooled inputs, forecasting coefficients at a lower rate
 * that are interpolated to the horizon. The network is network.py; the sequence base does the rest.
 * Defaults as neuralforecast's NHITS: 3 stacks of 1 block, MLP [512, 512], pool kernels [2, 2, 1],
 * downsampling [4, 2, 1], MAE loss, learning rate 1e-3.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import type { SearchSpace } from '../contract';
import { sequenceFamily } from '../base/sequence/family';
import { sequenceParams } from '../base/sequence/params';

const perStack = (name: string, defaults: number[]) =>
  z.array(z.number().int().min(1).max(1024)).min(1).max(8).default(defaults).describe(`${name}, one per stack`);

export const nhitsHyperparameters = z
  .strictObject({
    ...sequenceParams({ input_length: 336, horizon: 96, batch_size: 256, learning_rate: 1e-3, loss: 'mae', max_epochs: 100, patience: 10 }),
    n_stacks: z.number().int().min(1).max(8).default(3).describe('Stacks of blocks, each at its own input and output rate'),
    n_blocks: z.number().int().min(1).max(8).default(1).describe('MLP blocks per stack'),
    mlp_units: z
      .array(z.number().int().min(1).max(4096))
      .min(1)
      .max(8)
      .default([512, 512])
      .describe('Hidden layer widths of every block’s MLP'),
    pool_kernel_sizes: perStack('MaxPool kernel on the block input', [2, 2, 1]),
    downsample_frequencies: perStack('How much coarser than the horizon a stack forecasts', [4, 2, 1]),
    dropout: z.number().min(0).max(0.9).default(0).describe('Dropout after each MLP layer'),
    scaler_type: z
      .enum(['identity', 'standard'])
      .default('identity')
      .describe("Per-window scaling of each target (neuralforecast's temporal scaler): standard divides a window by its own mean and std"),
  })
  .refine((p) => p.pool_kernel_sizes.length === p.n_stacks && p.downsample_frequencies.length === p.n_stacks, {
    message: 'expects pool_kernel_sizes and downsample_frequencies to have one entry per stack (n_stacks)',
    path: ['pool_kernel_sizes'],
  });

export type NHitsParams = z.infer<typeof nhitsHyperparameters>;

export const nhitsSearchSpace: SearchSpace<NHitsParams> = {
  learning_rate: { type: 'float', min: 1e-4, max: 1e-2, log: true },
  batch_size: { type: 'choice', values: [64, 128, 256] },
  dropout: { type: 'float', min: 0, max: 0.3 },
  mlp_units: {
    type: 'choice',
    values: [
      [256, 256],
      [512, 512],
      [1024, 1024],
    ],
  },
};

export const nhitsFamily = sequenceFamily<NHitsParams>({
  id: 'nhits',
  description: 'N-HiTS: hierarchical-interpolation MLP forecaster (Challu et al., AAAI 2023), trained by PyTorch, served from ONNX',
  network: resolve(__dirname, 'network.py'),
  hyperparameters: nhitsHyperparameters,
  searchSpace: nhitsSearchSpace,
});
