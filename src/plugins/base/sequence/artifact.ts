/**
 * A sequence version's artifact: `model.onnx` (what is served), `weights.pt` (the network's state
 * dict, which an incremental update starts from) and `scaling.json` (the training scaling, which an
 * update keeps so that the graph's inputs mean what they meant). Format "torch-sequence"; an imported
 * ONNX sequence model has format "onnx" and model.onnx only.
 */
import { InvalidInputError } from '../../../lib/errors';
import type { ArtifactFiles, ModelArtifact, SequenceShape } from '../../contract';
import { sequenceSignature } from '../../onnx/sequence-signature';
import type { ChannelScaling } from './scaling';

export const TORCH_SEQUENCE_FORMAT = 'torch-sequence';
export const MODEL_ONNX = 'model.onnx';
export const WEIGHTS_FILE = 'weights.pt';
export const SCALING_FILE = 'scaling.json';
export const FORECAST_OUTPUT = 'forecast';

export function sequenceArtifact(parts: {
  onnx: Uint8Array;
  weights: Uint8Array;
  scaling: ChannelScaling;
  shape: SequenceShape;
}): ModelArtifact {
  const files: ArtifactFiles = {
    [MODEL_ONNX]: parts.onnx,
    [WEIGHTS_FILE]: parts.weights,
    [SCALING_FILE]: new TextEncoder().encode(JSON.stringify(parts.scaling)),
  };
  return { format: TORCH_SEQUENCE_FORMAT, files, signature: sequenceSignature(parts.shape), featureNames: [...parts.shape.inputChannels] };
}

export function requireSequenceFile(files: ArtifactFiles, name: string): Uint8Array {
  const bytes = files[name];
  if (!bytes)
    throw new InvalidInputError(`expects an artifact file "${name}", but got [${Object.keys(files).join(', ')}]`, {
      field: `files.${name}`,
    });
  return bytes;
}

export function readScaling(files: ArtifactFiles): ChannelScaling {
  return JSON.parse(new TextDecoder().decode(requireSequenceFile(files, SCALING_FILE))) as ChannelScaling;
}
