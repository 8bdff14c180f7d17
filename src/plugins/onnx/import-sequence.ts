/**
 * Import of a sequence model exported to ONNX elsewhere (PyTorch's torch.onnx.export, say): the
 * importer declares `sequence: { inputLength, horizon, inputChannels, targets }`, and the graph must
 * agree — one float input [N, inputLength, channels] and a float output [N, horizon, targets] (N
 * variable; the first such output is the forecast) — and run on a window of zeros with a forecast of
 * that size. Both sides are on the series' own scale; any scaling is the graph's.
 */
import { InvalidInputError } from '../../lib/errors';
import type { ArtifactFiles, ImportMeta, SequenceShape, TrainedModel } from '../contract';
import { describeOnnxModel, type DescribedValue } from './describe';
import { ONNX_FILE, ONNX_FORMAT } from './import';
import { loadOnnxPredictor } from './predictor';
import { sequenceSignature } from './sequence-signature';

function shown(values: DescribedValue[]): string {
  return values.map((v) => `${v.name}: ${v.elemType}[${(v.shape ?? ['?']).join(', ')}]`).join('; ') || 'none';
}

/**
 * Whether a declared value is a float [N, second, third] with N variable. A dimension the exporter left
 * symbolic (torch.onnx.export often does, e.g. "Addforecast_dim_2") agrees with any size; the forecast of a
 * window of zeros then checks the real one.
 */
function matches(value: DescribedValue, second: number, third: number): boolean {
  const shape = value.shape;
  const agrees = (dim: number | string | null, size: number) => typeof dim !== 'number' || dim === size;
  return (
    value.elemType === 'float' &&
    !!shape &&
    shape.length === 3 &&
    typeof shape[0] !== 'number' &&
    agrees(shape[1], second) &&
    agrees(shape[2], third)
  );
}

function checkDeclared(meta: ImportMeta): Omit<SequenceShape, 'output'> {
  const declared = meta.sequence;
  if (!declared)
    throw new InvalidInputError('expects sequence: { inputLength, horizon, inputChannels, targets } for a sequence model', {
      field: 'sequence',
    });
  const positive = (value: number, field: string) => {
    if (!Number.isInteger(value) || value < 1)
      throw new InvalidInputError(`expects sequence.${field} to be a positive integer, but got ${value}`, { field: `sequence.${field}` });
  };
  positive(declared.inputLength, 'inputLength');
  positive(declared.horizon, 'horizon');
  for (const [field, names] of [
    ['inputChannels', declared.inputChannels],
    ['targets', declared.targets],
  ] as const) {
    if (names.length === 0 || new Set(names).size !== names.length) {
      throw new InvalidInputError(`expects sequence.${field} to name at least one channel, each once`, { field: `sequence.${field}` });
    }
  }
  return declared;
}

export async function importOnnxSequenceArtifact(files: ArtifactFiles, meta: ImportMeta): Promise<TrainedModel> {
  const bytes = files[ONNX_FILE];
  if (!bytes) {
    throw new InvalidInputError(`expects an artifact file "${ONNX_FILE}", but got [${Object.keys(files).join(', ')}]`, {
      field: `files.${ONNX_FILE}`,
    });
  }
  const declared = checkDeclared(meta);
  const description = describeOnnxModel(bytes);
  const C = declared.inputChannels.length;
  const K = declared.targets.length;
  if (description.inputs.length !== 1 || !matches(description.inputs[0], declared.inputLength, C)) {
    throw new InvalidInputError(
      `expects one float input [N, ${declared.inputLength}, ${C}] (inputLength × inputChannels as declared in sequence), ` +
        `but the model declares inputs (${shown(description.inputs)})`,
      { field: 'sequence' },
    );
  }
  const forecast = description.outputs.find((output) => matches(output, declared.horizon, K));
  if (!forecast) {
    throw new InvalidInputError(
      `expects a float output [N, ${declared.horizon}, ${K}] (horizon × targets as declared in sequence), but the model declares outputs (${shown(description.outputs)})`,
      { field: 'sequence' },
    );
  }
  const shape: SequenceShape = { ...declared, output: forecast.name };
  const signature = sequenceSignature(shape);
  const predictor = await loadOnnxPredictor(bytes, signature).catch((error: Error) => {
    throw new InvalidInputError(`expects an ONNX model that ONNX Runtime can load, but: ${error.message}`, { field: 'file' });
  });
  try {
    // The predictor checks the output's size against horizon × targets.
    await predictor.predict(new Float32Array(signature.inputWidth), 1);
  } catch (error) {
    throw new InvalidInputError(`expects an ONNX model that forecasts a window of zeros, but: ${(error as Error).message}`, {
      field: 'file',
    });
  } finally {
    await predictor.dispose();
  }
  return {
    artifact: { format: ONNX_FORMAT, files: { [ONNX_FILE]: bytes }, signature, featureNames: [...declared.inputChannels] },
    metrics: {},
  };
}
