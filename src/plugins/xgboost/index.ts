/**
 * The XGBoost family: gradient-boosted trees trained by libxgboost (through koffi), served from ONNX.
 * The tabular base does validation, the time-ordered validation tail, metrics and the reference
 * summary; this file only calls the library.
 */
import { InvalidInputError } from '../../lib/errors';
import { parseHyperparameters } from '../base/hyperparameters';
import { type TabularFit, tabularOptions, trainTabular } from '../base/tabular';
import type {
  ArtifactFiles,
  ImportMeta,
  ModelArtifact,
  ModelFamily,
  Predictor,
  TrainContext,
  TrainingSet,
  TrainedModel,
} from '../contract';
import { importOnnxArtifact, ONNX_FORMAT } from '../onnx/import';
import { loadOnnxPredictor } from '../onnx/predictor';
import { MODEL_JSON, MODEL_ONNX, requireFile, XGBOOST_FORMAT, xgboostArtifact } from '../base/xgboost-engine/artifact';
import { boost, type BoostingRequest } from '../base/xgboost-engine/boosting';
import { parseXGBoostModel, type XGBoostObjective } from '../base/xgboost-engine/model-json';
import { xgboostHyperparameters, xgboostSearchSpace, type XGBoostParams } from '../base/xgboost-engine/params';

/** A version trained here or imported from XGBoost JSON, or an imported ONNX model: each is served from its model.onnx. */
async function load(artifact: ModelArtifact): Promise<Predictor> {
  if (artifact.format !== XGBOOST_FORMAT && artifact.format !== ONNX_FORMAT) {
    throw new InvalidInputError(`expects artifact format ${XGBOOST_FORMAT} or ${ONNX_FORMAT}, but got ${artifact.format}`, {
      field: 'format',
    });
  }
  return loadOnnxPredictor(requireFile(artifact.files, MODEL_ONNX), artifact.signature);
}

async function boostAndPackage(request: BoostingRequest): Promise<TabularFit> {
  const run = await boost(request);
  const { artifact, featureImportance } = xgboostArtifact(run.modelJson, request.split.featureNames);
  return { artifact, featureImportance, rounds: run.added };
}

function taskOf(objective: XGBoostObjective): 'regression' | 'binary' {
  return objective === 'binary:logistic' ? 'binary' : 'regression';
}

async function train(data: TrainingSet, rawParams: XGBoostParams, ctx: TrainContext): Promise<TrainedModel> {
  const params = parseHyperparameters(xgboostHyperparameters, rawParams);
  return trainTabular(data, tabularOptions(taskOf(params.objective), params, ctx), {
    fit: (split, pass) =>
      boostAndPackage({
        split,
        params,
        objective: params.objective,
        rounds: pass.rounds ?? params.num_boost_round,
        ctx: { ...ctx, progress: pass.progress },
      }),
    load,
  });
}

/**
 * Continues boosting `previous` on the new rows for `update_rounds` rounds: the new model holds the
 * previous trees followed by the new ones. The objective is the previous model's (a booster cannot
 * change objective); `params.objective` is not used.
 */
async function update(previous: ModelArtifact, data: TrainingSet, rawParams: XGBoostParams, ctx: TrainContext): Promise<TrainedModel> {
  const params = parseHyperparameters(xgboostHyperparameters, rawParams);
  if (previous.format !== XGBOOST_FORMAT) {
    throw new InvalidInputError(`expects a previous artifact in ${XGBOOST_FORMAT}, but got ${previous.format}`, {
      field: 'previous.format',
    });
  }
  if (data.kind === 'tabular' && data.featureNames.join('\u0000') !== previous.featureNames.join('\u0000')) {
    throw new InvalidInputError(
      `expects the new rows to have the previous model's features [${previous.featureNames.join(', ')}], ` +
        `but got [${data.featureNames.join(', ')}]`,
      { field: 'featureNames' },
    );
  }
  const previousJson = requireFile(previous.files, MODEL_JSON);
  const { objective } = parseXGBoostModel(previousJson);
  if (objective !== params.objective) ctx.log(`update keeps the previous model's objective ${objective}`);
  return trainTabular(data, tabularOptions(taskOf(objective), params, ctx), {
    fit: (split, pass) =>
      boostAndPackage({
        split,
        params,
        objective,
        rounds: pass.rounds ?? params.update_rounds,
        ctx: { ...ctx, progress: pass.progress },
        previousModel: previousJson,
      }),
    load,
  });
}

/** A model trained elsewhere, in XGBoost's JSON format or exported to ONNX; it has no validation metrics or reference. */
async function importArtifact(files: ArtifactFiles, format: string, meta: ImportMeta): Promise<TrainedModel> {
  if (format === ONNX_FORMAT) return importOnnxArtifact(files, meta);
  if (format !== XGBOOST_FORMAT) {
    throw new InvalidInputError(`expects import format ${XGBOOST_FORMAT} or ${ONNX_FORMAT}, but got ${format}`, { field: 'format' });
  }
  const { artifact, featureImportance } = xgboostArtifact(requireFile(files, MODEL_JSON), meta.featureNames);
  return { artifact, metrics: {}, featureImportance };
}

export const xgboostFamily: ModelFamily<XGBoostParams> = {
  id: 'xgboost',
  kind: 'tabular',
  description:
    'Gradient-boosted decision trees (XGBoost 1.7, hist) for regression (squared error, pseudo-Huber) ' +
    'and binary classification; missing values (NaN) allowed; served through ONNX Runtime.',
  hyperparameters: xgboostHyperparameters,
  searchSpace: xgboostSearchSpace,
  importFormats: [XGBOOST_FORMAT, ONNX_FORMAT],
  train,
  update,
  importArtifact,
  load,
};
