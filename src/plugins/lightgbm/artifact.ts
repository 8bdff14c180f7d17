/**
 * The artifact of an imported LightGBM model: `model.txt` (the native model, as given) and
 * `model.onnx` (built from it through the TreeEnsemble IR, with the zero-as-missing preprocessing in
 * front where the model needs it), served by the shared ONNX predictor.
 */
import { InvalidInputError } from '../../lib/errors';
import type { ModelArtifact } from '../contract';
import { buildTreeEnsembleModel, ensembleOutputNames, FEATURES_INPUT } from '../onnx/tree-ensemble-model';
import { gainImportance, isDefaultFeatureNames, parseLightGBMModel } from './model-text';
import { lightgbmToEnsemble } from './to-ensemble';
import { zeroAsMissingGraph } from './zero-as-missing';

export const LIGHTGBM_FORMAT = 'lightgbm-text';
export const MODEL_TXT = 'model.txt';
const MODEL_ONNX = 'model.onnx';

/**
 * Builds the artifact for `modelText`, whose features are `featureNames` in order. Names stored in the
 * model must match unless they are LightGBM's defaults (Column_0, Column_1, …).
 */
export function lightgbmArtifact(
  modelText: Uint8Array,
  featureNames: string[],
): { artifact: ModelArtifact; featureImportance: Record<string, number> } {
  const model = parseLightGBMModel(modelText);
  const width = model.featureNames.length;
  if (featureNames.length !== width) {
    throw new InvalidInputError(
      `expects one feature name per model feature (max_feature_idx + 1 = ${width}), but got ${featureNames.length} names`,
      {
        field: 'featureNames',
      },
    );
  }
  if (!isDefaultFeatureNames(model.featureNames) && model.featureNames.join('\u0000') !== featureNames.join('\u0000')) {
    throw new InvalidInputError(
      `expects featureNames to match the names stored in the model [${model.featureNames.join(', ')}], but got [${featureNames.join(', ')}]`,
      { field: 'featureNames' },
    );
  }
  const { ensemble, zeroAsMissingFeatures } = lightgbmToEnsemble(model);
  const onnx = buildTreeEnsembleModel(ensemble, {
    field: MODEL_TXT,
    preprocess: zeroAsMissingFeatures.length > 0 ? zeroAsMissingGraph(FEATURES_INPUT, width, zeroAsMissingFeatures) : undefined,
    metadata: {
      feature_names: JSON.stringify(featureNames),
      source_format: LIGHTGBM_FORMAT,
      objective: model.objective.name,
      ...(model.objective.task === 'binary' ? { sigmoid: String(model.objective.sigmoid) } : {}),
    },
  });
  return {
    artifact: {
      format: LIGHTGBM_FORMAT,
      files: { [MODEL_TXT]: modelText, [MODEL_ONNX]: onnx },
      signature: { task: model.objective.task, inputWidth: width, outputs: ensembleOutputNames(ensemble), allowsMissing: true },
      featureNames,
    },
    featureImportance: gainImportance(model, featureNames),
  };
}
