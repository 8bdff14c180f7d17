/**
 * The base every sequence family builds on, in the FreqAI manner: a leaf names its network module
 * (a PyTorch `build`, see engine.py) and its hyperparameters; this base owns the rest:
 *   1. checkSequenceSet — shapes, channels, finite values, at least one window per split (windows.ts)
 *   2. scaling fitted on the training rows only, carried inside the served graph (scaling.ts)
 *   3. the engine in a child process: training with early stopping, the state dict, torch.onnx.export (engine.ts)
 *   4. the ONNX check: ONNX Runtime's forecasts of held-out windows against torch's; refused above 1e-4
 *      on the standardised scale, so that what is served is what was trained
 *   5. metrics on the validation windows (and `test_` ones on the test windows) (metrics.ts)
 *   6. the reference summary: each input channel on the training rows, the first output and its
 *      realised value on the validation windows (lib/reference)
 * `update` fine-tunes the previous weights on the new windows with the previous scaling; `load`
 * serves model.onnx through the shared ONNX predictor; `importArtifact` takes ONNX sequence models.
 */
import type { ZodType } from 'zod';
import { InvalidInputError } from '../../../lib/errors';
import { summarizeReference } from '../../../lib/reference';
import type {
  ArtifactFiles,
  ImportMeta,
  ModelArtifact,
  ModelFamily,
  Predictor,
  SearchSpace,
  SequenceShape,
  SequenceTrainingSet,
  TrainContext,
  TrainedModel,
  TrainingSet,
} from '../../contract';
import { importOnnxSequenceArtifact } from '../../onnx/import-sequence';
import { ONNX_FORMAT } from '../../onnx/import';
import { loadOnnxPredictor } from '../../onnx/predictor';
import { sequenceSignature } from '../../onnx/sequence-signature';
import { parseHyperparameters } from '../hyperparameters';
import {
  FORECAST_OUTPUT,
  MODEL_ONNX,
  readScaling,
  requireSequenceFile,
  sequenceArtifact,
  TORCH_SEQUENCE_FORMAT,
  WEIGHTS_FILE,
} from './artifact';
import { runEngine, type EngineResult } from './engine';
import { forecastMetrics } from './metrics';
import type { SequenceCommonParams } from './params';
import { torchAvailability } from './python';
import { fitChannelScaling, type ChannelScaling } from './scaling';
import { checkSequenceSet, selectChannels, windowCount, windowTargets, type SequenceSplits } from './windows';

/** Largest difference allowed between ONNX Runtime's and torch's forecasts, in training standard deviations. */
export const ONNX_TOLERANCE = 1e-4;
/** Held-out windows the ONNX check compares. */
const CHECK_WINDOWS = 64;

export interface SequenceLeaf<P extends SequenceCommonParams> {
  id: string;
  description: string;
  /** Absolute path of the family's network module. */
  network: string;
  hyperparameters: ZodType<P>;
  searchSpace?: SearchSpace<P>;
}

function refuse(field: string, message: string): never {
  throw new InvalidInputError(message, { field });
}

/** The input channels of `set` as their own steps × C matrix, and where each target is among them. */
function inputSeries(set: SequenceTrainingSet): { series: Float32Array; targetIndexes: number[] } {
  const series = selectChannels(
    set,
    set.inputChannels.map((name) => set.channels.indexOf(name)),
  );
  return { series, targetIndexes: set.targets.map((name) => set.inputChannels.indexOf(name)) };
}

function shapeOf(set: SequenceTrainingSet): SequenceShape {
  return {
    inputLength: set.inputLength,
    horizon: set.horizon,
    inputChannels: [...set.inputChannels],
    targets: [...set.targets],
    output: FORECAST_OUTPUT,
  };
}

async function checkOnnxAgainstTorch(
  onnx: Uint8Array,
  shape: SequenceShape,
  result: EngineResult,
  scaling: ChannelScaling,
  targetIndexes: number[],
) {
  const windows = result.summary.check_windows;
  const predictor = await loadOnnxPredictor(onnx, sequenceSignature(shape));
  let served: Float32Array;
  try {
    served = await predictor.predict(result.checkInput, windows);
  } finally {
    await predictor.dispose();
  }
  const K = shape.targets.length;
  let worst = 0;
  for (let i = 0; i < served.length; i++) {
    const difference = Math.abs(served[i] - result.checkOutput[i]) / scaling.std[targetIndexes[i % K]];
    if (!(difference <= worst)) worst = Number.isNaN(difference) ? Infinity : difference;
  }
  if (worst > ONNX_TOLERANCE) {
    throw new Error(
      `the exported ONNX graph forecasts differently from the trained network (by up to ${worst.toExponential(2)} standard deviations ` +
        `on ${windows} held-out windows, more than ${ONNX_TOLERANCE}); the version is not registered`,
    );
  }
  return worst;
}

interface EngineSettings {
  maxEpochs: number;
  learningRate: number;
  patience: number;
  scaling?: ChannelScaling;
  initialWeights?: Uint8Array;
}

async function trainSequence<P extends SequenceCommonParams>(
  leaf: SequenceLeaf<P>,
  data: TrainingSet,
  params: P,
  ctx: TrainContext,
  settings: EngineSettings,
): Promise<TrainedModel> {
  if (data.kind !== 'sequence') refuse('data', `expects a sequence training set, but got a ${data.kind} one`);
  const set = data;
  const splits: SequenceSplits = checkSequenceSet(set);
  const { series, targetIndexes } = inputSeries(set);
  const C = set.inputChannels.length;
  const scaling = settings.scaling ?? fitChannelScaling(series, C, set.trainEnd);
  ctx.log(
    `${leaf.id}: ${windowCount(splits.train)} training, ${windowCount(splits.validation)} validation and ${windowCount(splits.test)} test windows ` +
      `of ${set.inputLength} → ${set.horizon} steps, ${C} input channels, ${set.targets.length} targets, ${ctx.threads} threads`,
  );
  const result = await runEngine(
    {
      network: leaf.network,
      config: params as unknown as Record<string, unknown>,
      series,
      steps: set.steps,
      channels: C,
      targetIndexes,
      inputLength: set.inputLength,
      horizon: set.horizon,
      scaling,
      splits,
      maxEpochs: settings.maxEpochs,
      batchSize: params.batch_size,
      learningRate: settings.learningRate,
      patience: settings.patience,
      loss: params.loss,
      seed: params.seed ?? ctx.seed,
      initialWeights: settings.initialWeights,
      checkWindows: CHECK_WINDOWS,
    },
    ctx,
  );
  const shape = shapeOf(set);
  const onnxDifference = await checkOnnxAgainstTorch(result.onnx, shape, result, scaling, targetIndexes);
  const targetColumns = set.targets.map((name) => set.channels.indexOf(name));
  const layout = (windows: number) => ({
    windows,
    horizon: set.horizon,
    targets: set.targets.length,
    targetStd: targetIndexes.map((k) => scaling.std[k]),
  });
  const validationWindows = windowCount(splits.validation);
  const testWindows = windowCount(splits.test);
  const validationActual = windowTargets(set, splits.validation, targetColumns);
  const metrics: Record<string, number> = {
    ...(validationWindows > 0 ? forecastMetrics(result.validationForecast, validationActual, layout(validationWindows)) : {}),
    ...(testWindows > 0
      ? forecastMetrics(result.testForecast, windowTargets(set, splits.test, targetColumns), layout(testWindows), 'test_')
      : {}),
    epochs_run: result.summary.epochs_run,
    best_epoch: result.summary.best_epoch,
    train_windows_per_second: result.summary.windows_per_second,
    onnx_max_difference: onnxDifference,
  };
  const stride = set.horizon * set.targets.length;
  const firstOutput = (values: Float32Array, windows: number) => Float32Array.from({ length: windows }, (_, w) => values[w * stride]);
  const reference = summarizeReference(
    { featureNames: set.inputChannels, features: series.subarray(0, set.trainEnd * C), rows: set.trainEnd },
    validationWindows > 0
      ? {
          predictions: firstOutput(result.validationForecast, validationWindows),
          outcomes: firstOutput(validationActual, validationWindows),
        }
      : {},
    { seed: ctx.seed },
  );
  return { artifact: sequenceArtifact({ onnx: result.onnx, weights: result.weights, scaling, shape }), metrics, reference };
}

function sameShape(previous: SequenceShape, set: SequenceTrainingSet): boolean {
  return (
    previous.inputLength === set.inputLength &&
    previous.horizon === set.horizon &&
    previous.inputChannels.join('\u0000') === set.inputChannels.join('\u0000') &&
    previous.targets.join('\u0000') === set.targets.join('\u0000')
  );
}

async function load(artifact: ModelArtifact): Promise<Predictor> {
  if (artifact.format !== TORCH_SEQUENCE_FORMAT && artifact.format !== ONNX_FORMAT) {
    refuse('format', `expects artifact format ${TORCH_SEQUENCE_FORMAT} or ${ONNX_FORMAT}, but got ${artifact.format}`);
  }
  if (!artifact.signature.sequence)
    refuse('signature', 'expects the signature of a sequence model (its window and horizon), but it has none');
  return loadOnnxPredictor(requireSequenceFile(artifact.files, MODEL_ONNX), artifact.signature);
}

export function sequenceFamily<P extends SequenceCommonParams>(leaf: SequenceLeaf<P>): ModelFamily<P> {
  const parse = (raw: P) => parseHyperparameters(leaf.hyperparameters, raw);
  return {
    id: leaf.id,
    kind: 'sequence',
    description: leaf.description,
    hyperparameters: leaf.hyperparameters,
    searchSpace: leaf.searchSpace,
    importFormats: [ONNX_FORMAT],
    availability: torchAvailability,
    async train(data, rawParams, ctx) {
      const params = parse(rawParams);
      return trainSequence(leaf, data, params, ctx, {
        maxEpochs: params.max_epochs,
        learningRate: params.learning_rate,
        patience: params.patience,
      });
    },
    async update(previous, data, rawParams, ctx) {
      const params = parse(rawParams);
      if (previous.format !== TORCH_SEQUENCE_FORMAT) {
        refuse(
          'format',
          `can update only versions trained here (${TORCH_SEQUENCE_FORMAT}), but this one is ${previous.format}; train a new version instead`,
        );
      }
      if (data.kind !== 'sequence' || !previous.signature.sequence || !sameShape(previous.signature.sequence, data)) {
        refuse('data', 'expects new windows of the same input length, horizon, input channels and targets as the version it updates');
      }
      return trainSequence(leaf, data, params, ctx, {
        maxEpochs: params.fine_tune_epochs,
        learningRate: params.learning_rate * params.fine_tune_learning_rate_factor,
        patience: params.fine_tune_epochs,
        scaling: readScaling(previous.files),
        initialWeights: requireSequenceFile(previous.files, WEIGHTS_FILE),
      });
    },
    importArtifact(files: ArtifactFiles, format: string, meta: ImportMeta) {
      if (format !== ONNX_FORMAT) refuse('format', `expects format ${ONNX_FORMAT}, but got ${format}`);
      return importOnnxSequenceArtifact(files, meta);
    },
    load,
  };
}
