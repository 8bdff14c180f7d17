/**
 * Import of a model exported to ONNX by another framework, for any family served by the shared ONNX
 * predictor (`importModel` with format "onnx", the file `model.onnx`). The file is checked before it
 * is registered:
 * - it parses as an ONNX model (describeOnnxModel);
 * - its tree ensembles are well-formed trees of bounded depth (tree-ensemble-onnx.ts), since ONNX
 *   Runtime would crash the process on a deep or cyclic one;
 * - its one input is a float tensor [N, width] with width = featureNames.length;
 * - feature names stored in its metadata (`feature_names`, a JSON array, as Kybernet writes it) match;
 * - its outputs that give one float per row ([N] or [N, 1]) become the signature's outputs, in graph
 *   order, named as the graph names them; the first answers predictions. Others (an int64 label, a
 *   [N, 2] probability pair) are left out; a model with none is refused;
 * - ONNX Runtime loads it and scores a row.
 * The task is binary when the metadata says `task: binary` or the first such output is named
 * `probability`, regression otherwise. Missing values are refused at predict time (allowsMissing
 * false): how a foreign graph treats NaN is unknown.
 */
import { onnx } from 'onnx-proto';
import { InvalidInputError } from '../../lib/errors';
import type { ArtifactFiles, ImportMeta, ModelArtifact, ModelSignature, TrainedModel } from '../contract';
import { describeOnnxModel, tabularInputWidth, type DescribedValue, type OnnxModelDescription } from './describe';
import { loadOnnxPredictor } from './predictor';
import { checkOnnxTreeEnsembles } from './tree-ensemble-onnx';

export const ONNX_FORMAT = 'onnx';
export const ONNX_FILE = 'model.onnx';

function perRowFloat(output: DescribedValue): boolean {
  if (output.elemType !== 'float' || !output.shape) return false;
  const [batch, ...rest] = output.shape;
  return typeof batch !== 'number' && (rest.length === 0 || (rest.length === 1 && rest[0] === 1));
}

function checkStoredFeatureNames(description: OnnxModelDescription, featureNames: string[]): void {
  const stored = description.metadata.feature_names;
  if (stored === undefined) return;
  let names: unknown;
  try {
    names = JSON.parse(stored);
  } catch {
    return; // metadata another exporter uses differently says nothing about our names
  }
  if (Array.isArray(names) && names.join('\u0000') !== featureNames.join('\u0000')) {
    throw new InvalidInputError(
      `expects featureNames to match the feature_names stored in the ONNX metadata [${names.join(', ')}], but got [${featureNames.join(', ')}]`,
      { field: 'featureNames' },
    );
  }
}

function signatureOf(description: OnnxModelDescription, width: number): ModelSignature {
  const outputs = description.outputs.filter(perRowFloat).map((o) => o.name);
  if (outputs.length === 0) {
    const shown = description.outputs.map((o) => `${o.name}: ${o.elemType}[${(o.shape ?? ['?']).join(', ')}]`).join('; ');
    throw new InvalidInputError(
      `expects at least one float output with one value per row ([N] or [N, 1]), but the model declares outputs (${shown})`,
      {
        field: 'file',
      },
    );
  }
  const declaredTask = description.metadata.task;
  const binary = declaredTask === 'binary' || (declaredTask === undefined && outputs[0] === 'probability');
  return { task: binary ? 'binary' : 'regression', inputWidth: width, outputs, allowsMissing: false };
}

/** Runs one row of zeros, so that a graph ONNX Runtime cannot execute is refused at import, not at the first request. */
async function checkRuns(artifact: ModelArtifact): Promise<void> {
  let predictor;
  try {
    predictor = await loadOnnxPredictor(artifact.files[ONNX_FILE], artifact.signature);
    await predictor.predict(new Float32Array(artifact.signature.inputWidth), 1);
  } catch (error) {
    throw new InvalidInputError(
      `expects an ONNX model that ONNX Runtime can run on a [1, ${artifact.signature.inputWidth}] float input, but: ${(error as Error).message}`,
      {
        field: 'file',
      },
    );
  } finally {
    await predictor?.dispose();
  }
}

export async function importOnnxArtifact(files: ArtifactFiles, meta: ImportMeta): Promise<TrainedModel> {
  const bytes = files[ONNX_FILE];
  if (!bytes) {
    throw new InvalidInputError(`expects an artifact file "${ONNX_FILE}", but got [${Object.keys(files).join(', ')}]`, {
      field: `files.${ONNX_FILE}`,
    });
  }
  const description = describeOnnxModel(bytes);
  checkOnnxTreeEnsembles(onnx.ModelProto.decode(bytes));
  const width = tabularInputWidth(description, meta.featureNames.length);
  checkStoredFeatureNames(description, meta.featureNames);
  const artifact: ModelArtifact = {
    format: ONNX_FORMAT,
    files: { [ONNX_FILE]: bytes },
    signature: signatureOf(description, width),
    featureNames: meta.featureNames,
  };
  await checkRuns(artifact);
  return { artifact, metrics: {} };
}
