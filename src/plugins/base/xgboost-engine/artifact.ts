/**
 * The XGBoost artifact: `model.json` (the native model, for `update` and for anyone with XGBoost) and
 * `model.onnx` (built from it through the TreeEnsemble IR, for serving).
 */
import { InvalidInputError } from '../../../lib/errors';
import type { ArtifactFiles, ModelArtifact } from '../../contract';
import { buildTreeEnsembleModel, ensembleOutputNames } from '../../onnx/tree-ensemble-model';
import { gainImportance, parseXGBoostModel, type XGBoostModel } from './model-json';
import { xgboostToEnsemble } from './to-ensemble';

export const XGBOOST_FORMAT = 'xgboost-json';
export const MODEL_JSON = 'model.json';
export const MODEL_ONNX = 'model.onnx';

export interface XGBoostArtifact {
  artifact: ModelArtifact;
  model: XGBoostModel;
  featureImportance: Record<string, number>;
}

/** Builds the artifact for `modelJson`, whose features are `featureNames` in order. */
export function xgboostArtifact(modelJson: Uint8Array, featureNames: string[]): XGBoostArtifact {
  const model = parseXGBoostModel(modelJson);
  if (model.numFeature !== featureNames.length) {
    throw new InvalidInputError(
      `expects one feature name per model feature (num_feature ${model.numFeature}), but got ${featureNames.length} names`,
      { field: 'featureNames' },
    );
  }
  if (model.featureNames && model.featureNames.join('\u0000') !== featureNames.join('\u0000')) {
    throw new InvalidInputError(
      `expects featureNames to match the names stored in the model [${model.featureNames.join(', ')}], ` +
        `but got [${featureNames.join(', ')}]`,
      { field: 'featureNames' },
    );
  }
  const ensemble = xgboostToEnsemble(model);
  const onnx = buildTreeEnsembleModel(ensemble, {
    field: MODEL_JSON,
    metadata: { feature_names: JSON.stringify(featureNames), source_format: XGBOOST_FORMAT, objective: model.objective },
  });
  return {
    artifact: {
      format: XGBOOST_FORMAT,
      files: { [MODEL_JSON]: modelJson, [MODEL_ONNX]: onnx },
      signature: {
        task: model.objective === 'binary:logistic' ? 'binary' : 'regression',
        inputWidth: model.numFeature,
        outputs: ensembleOutputNames(ensemble),
        allowsMissing: true,
      },
      featureNames,
    },
    model,
    featureImportance: gainImportance(model, featureNames),
  };
}

/** The file `name` of an artifact, refused with the files present when it is missing. */
export function requireFile(files: ArtifactFiles, name: string): Uint8Array {
  const file = files[name];
  if (!file) {
    throw new InvalidInputError(`expects an artifact file "${name}", but got [${Object.keys(files).join(', ')}]`, {
      field: `files.${name}`,
    });
  }
  return file;
}
