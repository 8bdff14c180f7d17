/**
 * The LightGBM family. LightGBM's native library cannot be installed here (it is on neither the npm
 * registry nor Debian), so:
 * - real LightGBM models are imported from their text format (model.txt) and served through ONNX;
 * - new versions of the same model class — leaf-wise, histogram-based gradient boosting — are trained
 *   by XGBoost's engine in that growth mode, taking LightGBM's parameter names (params.ts). Their
 *   artifact is XGBoost's JSON model plus its ONNX graph (format xgboost-json), which is what they are.
 * Models exported to ONNX elsewhere are imported too (onnx/import.ts).
 */
import { InvalidInputError } from '../../lib/errors';
import { parseHyperparameters } from '../base/hyperparameters';
import { tabularOptions, trainTabular, type TabularSplit } from '../base/tabular';
import type {
  ArtifactFiles,
  ImportMeta,
  ModelArtifact,
  ModelFamily,
  Predictor,
  TrainContext,
  TrainedModel,
  TrainingSet,
} from '../contract';
import { importOnnxArtifact, ONNX_FILE, ONNX_FORMAT } from '../onnx/import';
import { loadOnnxPredictor } from '../onnx/predictor';
import { MODEL_JSON, requireFile, XGBOOST_FORMAT, xgboostArtifact } from '../base/xgboost-engine/artifact';
import { boost } from '../base/xgboost-engine/boosting';
import { parseXGBoostModel } from '../base/xgboost-engine/model-json';
import { LIGHTGBM_FORMAT, lightgbmArtifact, MODEL_TXT } from './artifact';
import { engineParams, lightgbmHyperparameters, lightgbmSearchSpace, type LightGBMParams } from './params';

/** Every artifact of this family carries its graph as model.onnx, whatever produced it. */
const SERVED_FORMATS = [XGBOOST_FORMAT, LIGHTGBM_FORMAT, ONNX_FORMAT];

async function load(artifact: ModelArtifact): Promise<Predictor> {
  if (!SERVED_FORMATS.includes(artifact.format)) {
    throw new InvalidInputError(`expects artifact format ${SERVED_FORMATS.join(', ')}, but got ${artifact.format}`, { field: 'format' });
  }
  return loadOnnxPredictor(requireFile(artifact.files, ONNX_FILE), artifact.signature);
}

async function fit(split: TabularSplit, params: LightGBMParams, rounds: number, ctx: TrainContext, previousModel?: Uint8Array) {
  const engine = engineParams(params);
  const run = await boost({
    split,
    params: engine.xgboost,
    objective: engine.xgboost.objective,
    rounds,
    ctx,
    previousModel,
    extraBoosterParams: engine.growth,
  });
  const { artifact, featureImportance } = xgboostArtifact(run.modelJson, split.featureNames);
  return { artifact, featureImportance, rounds: run.added };
}

async function train(data: TrainingSet, rawParams: LightGBMParams, ctx: TrainContext): Promise<TrainedModel> {
  const params = parseHyperparameters(lightgbmHyperparameters, rawParams);
  return trainTabular(data, tabularOptions(params.objective, params, ctx), {
    fit: (split, pass) => fit(split, params, pass.rounds ?? params.num_iterations, { ...ctx, progress: pass.progress }),
    load,
  });
}

/**
 * Continues a version trained here for `update_iterations` more iterations on the new rows. An
 * imported LightGBM or ONNX model cannot be continued: that needs LightGBM's own engine.
 */
async function update(previous: ModelArtifact, data: TrainingSet, rawParams: LightGBMParams, ctx: TrainContext): Promise<TrainedModel> {
  const params = parseHyperparameters(lightgbmHyperparameters, rawParams);
  if (previous.format !== XGBOOST_FORMAT) {
    throw new InvalidInputError(
      `expects a previous version trained here (format ${XGBOOST_FORMAT}) to continue, but got ${previous.format}; ` +
        `an imported model cannot be continued without LightGBM's engine — train a new version instead`,
      { field: 'previous.format' },
    );
  }
  if (data.kind === 'tabular' && data.featureNames.join('\u0000') !== previous.featureNames.join('\u0000')) {
    throw new InvalidInputError(
      `expects the new rows to have the previous model's features [${previous.featureNames.join(', ')}], but got [${data.featureNames.join(', ')}]`,
      { field: 'featureNames' },
    );
  }
  const previousJson = requireFile(previous.files, MODEL_JSON);
  const task = parseXGBoostModel(previousJson).objective === 'binary:logistic' ? 'binary' : 'regression';
  if (task !== params.objective) ctx.log(`update keeps the previous model's objective ${task}`);
  const kept = { ...params, objective: task } as LightGBMParams;
  return trainTabular(data, tabularOptions(task, params, ctx), {
    fit: (split, pass) => fit(split, kept, pass.rounds ?? params.update_iterations, { ...ctx, progress: pass.progress }, previousJson),
    load,
  });
}

async function importArtifact(files: ArtifactFiles, format: string, meta: ImportMeta): Promise<TrainedModel> {
  if (format === ONNX_FORMAT) return importOnnxArtifact(files, meta);
  if (format !== LIGHTGBM_FORMAT) {
    throw new InvalidInputError(`expects import format ${LIGHTGBM_FORMAT} or ${ONNX_FORMAT}, but got ${format}`, { field: 'format' });
  }
  const { artifact, featureImportance } = lightgbmArtifact(requireFile(files, MODEL_TXT), meta.featureNames);
  return { artifact, metrics: {}, featureImportance };
}

export const lightgbmFamily: ModelFamily<LightGBMParams> = {
  id: 'lightgbm',
  kind: 'tabular',
  description:
    'LightGBM: leaf-wise, histogram-based gradient-boosted trees for regression and binary classification, with ' +
    "LightGBM's parameter names. Trained by XGBoost 1.7's engine in LightGBM's growth mode (tree_method hist, " +
    'grow_policy lossguide, max_leaves = num_leaves), as LightGBM itself cannot be installed here; real LightGBM ' +
    'models are imported from model.txt (or ONNX) and served through ONNX Runtime. Missing values (NaN) allowed.',
  hyperparameters: lightgbmHyperparameters,
  searchSpace: lightgbmSearchSpace,
  importFormats: [LIGHTGBM_FORMAT, ONNX_FORMAT],
  train,
  update,
  importArtifact,
  load,
};
