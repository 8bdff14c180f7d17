/**
 * PatchTST (Nie et al., "A Time Series is Worth 64 Words: Long-term Forecasting with Transformers",
 * ICLR 2023): each channel on its own (channel independence), instance-normalised (RevIN), cut into
 * patches that a Transformer encoder reads as tokens, and a flatten-and-linear head to the horizon.
 * The network is network.py; the sequence base does the rest. Defaults as the paper's ETTh1 setting:
 * L 336, patches of 16 with stride 8, d_model 16, 4 heads, 3 layers, d_ff 128, dropout 0.3, learning
 * rate 1e-4, batch 128, MSE loss.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import type { SearchSpace } from '../contract';
import { sequenceFamily } from '../base/sequence/family';
import { sequenceParams } from '../base/sequence/params';

export const patchtstHyperparameters = z
  .strictObject({
    ...sequenceParams({ input_length: 336, horizon: 96, batch_size: 128, learning_rate: 1e-4, loss: 'mse', max_epochs: 100, patience: 10 }),
    patch_length: z.number().int().min(1).max(512).default(16).describe('Time steps per patch (token)'),
    stride: z.number().int().min(1).max(512).default(8).describe('Steps between the starts of two patches'),
    d_model: z.number().int().min(1).max(1024).default(16).describe('Width of a patch embedding'),
    n_heads: z.number().int().min(1).max(64).default(4).describe('Attention heads; d_model must be a multiple of it'),
    n_layers: z.number().int().min(1).max(24).default(3).describe('Transformer encoder layers'),
    d_ff: z.number().int().min(1).max(8192).default(128).describe('Width of each encoder layer’s feed-forward part'),
    dropout: z.number().min(0).max(0.9).default(0.3).describe('Dropout inside the encoder'),
    head_dropout: z.number().min(0).max(0.9).default(0).describe('Dropout before the flatten-and-linear head'),
    revin: z.boolean().default(true).describe('Instance normalisation of each window (RevIN), undone on the forecast'),
    revin_affine: z
      .boolean()
      .default(false)
      .describe('A learned scale and shift per channel in RevIN (off in the paper’s ETT runs, as in the official code’s default)'),
  })
  .refine((p) => p.d_model % p.n_heads === 0, { message: 'expects d_model to be a multiple of n_heads', path: ['n_heads'] })
  .refine((p) => p.patch_length <= p.input_length, { message: 'expects patch_length to be at most input_length', path: ['patch_length'] });

export type PatchTSTParams = z.infer<typeof patchtstHyperparameters>;

export const patchtstSearchSpace: SearchSpace<PatchTSTParams> = {
  learning_rate: { type: 'float', min: 1e-5, max: 1e-3, log: true },
  d_model: { type: 'choice', values: [16, 32, 64] },
  dropout: { type: 'float', min: 0, max: 0.4 },
  n_layers: { type: 'int', min: 1, max: 4 },
};

export const patchtstFamily = sequenceFamily<PatchTSTParams>({
  id: 'patchtst',
  description: 'PatchTST: channel-independent patch Transformer forecaster (Nie et al., ICLR 2023), trained by PyTorch, served from ONNX',
  network: resolve(__dirname, 'network.py'),
  hyperparameters: patchtstHyperparameters,
  searchSpace: patchtstSearchSpace,
});
