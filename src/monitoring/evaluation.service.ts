/**
 * `evaluateModel`: the backtest of one version on a labelled dataset. The request is checked up front
 * (the version, the dataset's columns, the scheme's folds) so that a bad one queues nothing; an EVALUATE
 * job then loads the version as the gate does (registry artifact → family.load, disposed after), scores
 * every row of the dataset in time order (in parts of 100,000 rows) and computes the report of backtest.ts, which becomes the
 * job's result (`evaluation(jobId)` reads it typed). The version is not retrained per fold. A sequence
 * (forecast) version forecasts every window start of the series instead, the scheme folding the starts, and
 * forecast-backtest.ts makes its report (task 'forecast', with `forecast`).
 */
import type { DatasetEntity } from '../entities/dataset.entity';
import type { JobEntity } from '../entities/job.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { toTrainingSet, type DatasetTable } from '../lib/dataset-table';
import { InvalidInputError, KybernetError, NotFoundError, quote } from '../lib/errors';
import { MAX_RESAMPLES } from '../lib/stats/block-bootstrap';
import {
  parseValidationSchemeRequest,
  validationFolds,
  type MinimumRows,
  type ValidationScheme,
  type ValidationSchemeRequest,
} from '../lib/validation-folds';
import { TRADING_DAYS_PER_YEAR } from '../lib/trading-metrics';
import type { FamilyRegistry } from '../plugins';
import type { ArtifactFiles, Predictor, SequenceShape, TabularTrainingSet } from '../plugins/contract';
import { readScaling, SCALING_FILE } from '../plugins/base/sequence/artifact';
import { gatherWindows, windowTargets } from '../plugins/base/sequence/windows';
import { toSequenceSet } from '../learning/sequence-set';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobPayload } from '../platform/jobs/job-payloads';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { DatasetsService } from '../registry/datasets.service';
import type { RegistryService } from '../registry/registry.service';
import { setImmediate } from 'node:timers/promises';
import { backtestWithPauses, DEFAULT_RESAMPLES, type BacktestReport, type BacktestTask } from './backtest';
import { forecastBacktest, type ForecastBacktestReport } from './forecast-backtest';

/** The fewest test rows a fold may have (its figures and their intervals need some), and train rows. */
export const EVALUATION_MINIMUM_ROWS: Required<MinimumRows> = { train: 1, test: 10 };
/** The most resamples one evaluation may ask for per segment. */
export const MAX_EVALUATION_RESAMPLES = Math.min(MAX_RESAMPLES, 10_000);

/** The scheme of an evaluateModel request: its folds, and the bootstrap of its intervals. */
export interface EvaluationSchemeRequest extends ValidationSchemeRequest {
  resamples?: number | null;
  confidence?: number | null;
  seed?: string | null;
  meanBlockLength?: number | null;
}

export interface EvaluateModelRequest {
  model: string;
  version: number;
  dataset: string;
  scheme: EvaluationSchemeRequest;
  /** Default: the version's trainingSpec target column. */
  targetColumn?: string | null;
  /** Default: the version's features; an override names one column per feature, in the version's order. */
  featureColumns?: string[] | null;
  /** Default: the version's trainingSpec order column. */
  orderColumn?: string | null;
  threshold?: number | null;
  periodsPerYear?: number | null;
}

/** What an EVALUATE job's result holds. */
export interface EvaluationResult {
  model: string;
  version: number;
  dataset: string;
  /** A sequence version's report has task 'forecast' and `forecast` (forecast-backtest.ts). */
  report: BacktestReport | ForecastBacktestReport;
}

/** Windows forecast per predictor call. */
const FORECAST_CHUNK_WINDOWS = 4_096;

/** `predictor`'s forecast of every window start [0, windows) of `set`: [windows, horizon, targets]. */
export async function forecastAllWindows(
  predictor: Predictor,
  set: ReturnType<typeof toSequenceSet>,
  windows: number,
  signal: AbortSignal,
): Promise<Float32Array> {
  const inputs = set.inputChannels.map((name) => set.channels.indexOf(name));
  const cells = set.horizon * set.targets.length;
  const out = new Float32Array(windows * cells);
  for (let from = 0; from < windows; from += FORECAST_CHUNK_WINDOWS) {
    signal.throwIfAborted();
    const n = Math.min(FORECAST_CHUNK_WINDOWS, windows - from);
    const starts = Array.from({ length: n }, (_, k) => from + k);
    const forecast = await predictor.predict(gatherWindows(set, starts, inputs), n);
    out.set(forecast.subarray(0, n * cells), from * cells);
  }
  return out;
}

/**
 * The standard deviation of each target a forecast's errors are divided by: the version's training one
 * (scaling.json, per input channel) when its artifact keeps it, else the population std of the dataset's
 * target column (an imported ONNX version keeps no scaling).
 */
function targetScale(
  files: ArtifactFiles,
  shape: Pick<SequenceShape, 'inputChannels' | 'targets'>,
  set: ReturnType<typeof toSequenceSet>,
): { targetStd: number[]; source: 'training' | 'dataset' } {
  if (files[SCALING_FILE]) {
    const scaling = readScaling(files);
    const std = shape.targets.map((target) => scaling.std?.[shape.inputChannels.indexOf(target)]);
    if (std.every((value) => typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      return { targetStd: std as number[], source: 'training' };
    }
  }
  const width = set.channels.length;
  const targetStd = set.targets.map((name) => {
    const c = set.channels.indexOf(name);
    let sum = 0;
    for (let t = 0; t < set.steps; t++) sum += set.values[t * width + c];
    const mean = sum / set.steps;
    let squared = 0;
    for (let t = 0; t < set.steps; t++) squared += (set.values[t * width + c] - mean) ** 2;
    const std = Math.sqrt(squared / set.steps);
    return std > 1e-12 ? std : 1;
  });
  return { targetStd, source: 'dataset' };
}

const sequenceShapeOf = (version: ModelVersionEntity): SequenceShape | null => version.signature?.sequence ?? null;

/** Window starts of a series of `rows` rows: every s with s + L + H ≤ rows. */
const windowStarts = (rows: number, shape: Pick<SequenceShape, 'inputLength' | 'horizon'>) =>
  Math.max(0, rows - shape.inputLength - shape.horizon + 1);

function parseBootstrap(request: EvaluationSchemeRequest): JobPayload<'EVALUATE'>['bootstrap'] {
  const {
    resamples = DEFAULT_RESAMPLES,
    confidence = 0.95,
    seed = '0',
    meanBlockLength,
  } = {
    resamples: request.resamples ?? undefined,
    confidence: request.confidence ?? undefined,
    seed: request.seed ?? undefined,
    meanBlockLength: request.meanBlockLength ?? undefined,
  };
  if (!Number.isInteger(resamples) || resamples < 1 || resamples > MAX_EVALUATION_RESAMPLES) {
    throw new InvalidInputError(`scheme.resamples expects an integer in [1, ${MAX_EVALUATION_RESAMPLES}], but got ${resamples}`, {
      field: 'scheme.resamples',
    });
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new InvalidInputError(`scheme.confidence expects a number in (0, 1), but got ${confidence}`, { field: 'scheme.confidence' });
  }
  if (meanBlockLength !== undefined && !(meanBlockLength >= 1)) {
    throw new InvalidInputError(`scheme.meanBlockLength expects a number of at least 1 (rows), but got ${meanBlockLength}`, {
      field: 'scheme.meanBlockLength',
    });
  }
  return { resamples, confidence, seed, ...(meanBlockLength === undefined ? {} : { meanBlockLength }) };
}

/** The folds of `scheme` over `rows`, validationFolds' refusal surfaced with `scheme.<field>`. */
function foldsOf(rows: number, scheme: ValidationScheme) {
  try {
    return validationFolds(rows, scheme, EVALUATION_MINIMUM_ROWS);
  } catch (error) {
    if (error instanceof KybernetError && error.code === 'BAD_USER_INPUT') {
      const field = typeof error.details?.field === 'string' ? error.details.field : 'folds';
      throw new InvalidInputError(`scheme.${error.message}`, { field: `scheme.${field}` });
    }
    throw error;
  }
}

/** Rows scored per predictor call: a large dataset is scored in parts, checking for cancellation between them. */
const SCORING_CHUNK_ROWS = 100_000;

/** `predictor`'s first output on every row of `set`, in order. */
export async function firstOutputs(predictor: Predictor, set: TabularTrainingSet, signal: AbortSignal): Promise<Float32Array> {
  const width = set.featureNames.length;
  const stride = predictor.signature.outputs.length;
  const out = new Float32Array(set.rows);
  for (let from = 0; from < set.rows; from += SCORING_CHUNK_ROWS) {
    signal.throwIfAborted();
    const rows = Math.min(SCORING_CHUNK_ROWS, set.rows - from);
    const outputs = await predictor.predict(set.features.subarray(from * width, (from + rows) * width), rows);
    for (let r = 0; r < rows; r++) out[from + r] = outputs[r * stride];
  }
  return out;
}

const specColumn = (version: ModelVersionEntity, key: string): string | null => {
  const value = version.trainingSpec?.[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
};

/** The request's order column, else the version's training one; refused when neither names one. */
function orderColumnOf(version: ModelVersionEntity, request: EvaluateModelRequest, label: string): string {
  const orderColumn = request.orderColumn ?? specColumn(version, 'orderColumn');
  if (!orderColumn) {
    throw new InvalidInputError(`expects orderColumn: ${label} keeps no training order column (it was imported); name the time column`, {
      field: 'orderColumn',
    });
  }
  return orderColumn;
}

export class EvaluationService {
  constructor(
    private readonly registry: RegistryService,
    private readonly datasets: DatasetsService,
    private readonly jobs: JobsService,
    private readonly families: FamilyRegistry,
  ) {}

  /** Checks the request and queues an EVALUATE job; a bad request is refused with nothing queued. */
  async evaluateModel(request: EvaluateModelRequest): Promise<JobEntity> {
    const model = await this.registry.getRegisteredModel(request.model);
    const version = await this.registry.findVersion(model, request.version);
    const task = this.scoredTask(model.name, version);
    const dataset = await this.datasets.getDataset(request.dataset);
    const columns =
      task === 'forecast'
        ? this.sequenceColumnsOf(model.name, version, dataset, request)
        : this.columnsOf(model.name, version, dataset, request);
    const scheme = parseValidationSchemeRequest(request.scheme);
    const bootstrap = parseBootstrap(request.scheme);
    const threshold = request.threshold ?? 0;
    if (!(threshold >= 0 && Number.isFinite(threshold))) {
      throw new InvalidInputError(`threshold expects a finite number of at least 0, but got ${threshold}`, { field: 'threshold' });
    }
    const periodsPerYear = request.periodsPerYear ?? TRADING_DAYS_PER_YEAR;
    if (!(periodsPerYear > 0 && Number.isFinite(periodsPerYear))) {
      throw new InvalidInputError(`periodsPerYear expects a positive number, but got ${periodsPerYear}`, { field: 'periodsPerYear' });
    }
    // The rows with a label are known once the table is loaded (in the job); the dataset's rows bound them.
    // A sequence version's scheme folds its window starts (each a "row"), every s with s + L + H ≤ rows.
    const shape = sequenceShapeOf(version);
    foldsOf(task === 'forecast' && shape ? windowStarts(dataset.rowCount, shape) : dataset.rowCount, scheme);
    return this.jobs.enqueue({
      kind: 'EVALUATE',
      trigger: 'MANUAL',
      reason: `evaluate ${model.name} v${version.version} (${task}) on dataset ${dataset.name}, ${scheme.kind}`,
      registeredModelId: model.id,
      modelName: model.name,
      payload: {
        model: model.name,
        version: version.version,
        datasetId: dataset.id,
        ...columns,
        scheme,
        bootstrap,
        threshold,
        periodsPerYear,
      },
    });
  }

  /** The EVALUATE job handler: the report of backtest.ts as the job's result. */
  readonly runEvaluationJob = async (ctx: JobContext<'EVALUATE'>): Promise<Record<string, unknown>> => {
    const { payload } = ctx;
    const model = await this.registry.getRegisteredModel(payload.model);
    const version = await this.registry.findVersion(model, payload.version);
    const task = this.scoredTask(model.name, version);
    const dataset = await this.datasets.getDataset(payload.datasetId);
    const table = await this.datasets.loadTable(dataset);
    if (task === 'forecast') return this.runForecastEvaluation(ctx, model, version, dataset.name, table);
    const { set, droppedRows } = toTrainingSet(table, {
      target: payload.targetColumn,
      features: payload.featureColumns,
      orderBy: payload.orderColumn,
    });
    const folds = foldsOf(set.rows, payload.scheme);
    ctx.progress(0.1, `scoring ${set.rows} rows of ${dataset.name}`);
    const family = this.families.get(model.family);
    const predictor = await family.load(await this.registry.loadArtifact(version));
    let predictions: Float32Array;
    try {
      predictions = await firstOutputs(predictor, set, ctx.signal);
    } finally {
      await predictor.dispose();
    }
    ctx.progress(0.4, `${folds.length} folds: metrics and ${payload.bootstrap.resamples} bootstrap resamples`);
    // A large backtest runs for minutes: it gives the event loop back after every resample, so that the
    // heartbeat keeps the job alive, progress is reported and a cancellation stops it.
    let reported = 0;
    const report = await backtestWithPauses(
      {
        task,
        predictions,
        labels: set.target,
        folds,
        bootstrap: payload.bootstrap,
        threshold: payload.threshold,
        periodsPerYear: payload.periodsPerYear,
      },
      async (done, total) => {
        ctx.signal.throwIfAborted();
        if (done - reported >= total / 50) {
          reported = done;
          ctx.progress(0.4 + (0.6 * done) / total, `bootstrap ${done} of ${total} resamples`);
        }
        await setImmediate();
      },
    );
    ctx.log(`evaluated ${model.name} v${version.version} on ${set.rows} rows (${droppedRows} without a label left out)`);
    const result: EvaluationResult = { model: model.name, version: version.version, dataset: dataset.name, report };
    return { ...result, droppedRows };
  };

  /** The EVALUATE job of a sequence version: forecasts of every window start, scored per fold and pooled (forecast-backtest.ts). */
  private async runForecastEvaluation(
    ctx: JobContext<'EVALUATE'>,
    model: { name: string; family: string },
    version: ModelVersionEntity,
    datasetName: string,
    table: DatasetTable,
  ): Promise<Record<string, unknown>> {
    const { payload } = ctx;
    const shape = sequenceShapeOf(version);
    if (!shape) throw new InvalidInputError(`version ${version.version} keeps no sequence shape to forecast with`, { field: 'version' });
    const rename = new Map(shape.inputChannels.map((name, i) => [name, payload.featureColumns[i]]));
    const targets = shape.targets.map((name) => rename.get(name) ?? name);
    const set = toSequenceSet(
      table,
      { inputs: payload.featureColumns, targets, orderBy: payload.orderColumn },
      { input_length: shape.inputLength, horizon: shape.horizon, validation_fraction: 0, test_fraction: 0 },
    );
    const windows = windowStarts(set.steps, shape);
    const folds = foldsOf(windows, payload.scheme);
    ctx.progress(0.1, `forecasting ${windows} windows of ${datasetName}`);
    const artifact = await this.registry.loadArtifact(version);
    const predictor = await this.families.get(model.family).load(artifact);
    let forecasts: Float32Array;
    try {
      forecasts = await forecastAllWindows(predictor, set, windows, ctx.signal);
    } finally {
      await predictor.dispose();
    }
    const targetIndexes = set.targets.map((name) => set.channels.indexOf(name));
    const actuals = windowTargets(set, [0, windows], targetIndexes);
    const { targetStd, source } = targetScale(artifact.files, shape, set);
    ctx.progress(0.6, `${folds.length} folds: forecast metrics and ${payload.bootstrap.resamples} bootstrap resamples`);
    ctx.signal.throwIfAborted();
    const report = forecastBacktest({
      forecasts,
      actuals,
      windows,
      inputLength: shape.inputLength,
      horizon: shape.horizon,
      targets: set.targets,
      targetStd,
      targetStdSource: source,
      folds,
      bootstrap: payload.bootstrap,
      threshold: payload.threshold,
      periodsPerYear: payload.periodsPerYear,
    });
    ctx.log(`evaluated ${model.name} v${version.version} on ${windows} windows of ${set.steps} rows (target std: ${source})`);
    const result: EvaluationResult = { model: model.name, version: version.version, dataset: datasetName, report };
    return { ...result, droppedRows: 0 };
  }

  /** The EVALUATE job `jobId` and its result. */
  async evaluation(jobId: string): Promise<{ job: JobEntity; result: EvaluationResult | null }> {
    const job = await this.jobs.getJob(jobId);
    if (job.kind !== 'EVALUATE') {
      throw new NotFoundError(`job ${jobId} is a ${job.kind} job, not an evaluation (EVALUATE)`, { field: 'jobId' });
    }
    const result = job.status === 'COMPLETED' && job.result ? (job.result as unknown as EvaluationResult) : null;
    return { job, result };
  }

  /** The task of a version evaluateModel can score: a tabular regression or binary version, or a sequence (forecast) one. */
  private scoredTask(modelName: string, version: ModelVersionEntity): BacktestTask | 'forecast' {
    const label = `version ${version.version} of ${quote(modelName)}`;
    if (version.status === 'TRAINING' || version.status === 'FAILED') {
      throw new InvalidInputError(`expects a trained version, but ${label} is ${version.status}: it has no model to score`, {
        field: 'version',
      });
    }
    const task = version.signature?.task;
    const kind = this.families.get(version.family).kind;
    if (kind === 'sequence' && task === 'forecast') {
      if (!version.signature?.sequence) {
        throw new InvalidInputError(`expects a sequence shape (input length, horizon, channels), but ${label} keeps none`, {
          field: 'version',
        });
      }
      return 'forecast';
    }
    if (kind !== 'tabular' || (task !== 'regression' && task !== 'binary')) {
      const what = kind === 'sequence' ? 'a sequence (forecast)' : kind === 'policy' ? 'an RL policy' : `a ${task ?? 'task-less'}`;
      throw new InvalidInputError(
        `evaluateModel scores tabular versions (regression, binary) and sequence (forecast) ones; ${label} is ${what} version`,
        { field: 'version' },
      );
    }
    return task;
  }

  /**
   * The columns a sequence version forecasts from: its trainingSpec featureColumns (its input channels,
   * default its feature names) unless `featureColumns` maps them (one per channel, in order), its targets
   * (input channels too, so mapped alike) and order column; every missing one named, as the tabular check does.
   */
  private sequenceColumnsOf(
    modelName: string,
    version: ModelVersionEntity,
    dataset: DatasetEntity,
    request: EvaluateModelRequest,
  ): { targetColumn: string; featureColumns: string[]; orderColumn: string } {
    const label = `version ${version.version} of ${quote(modelName)}`;
    const shape = sequenceShapeOf(version)!;
    const specInputs = version.trainingSpec?.featureColumns;
    const own =
      Array.isArray(specInputs) && specInputs.every((n) => typeof n === 'string') ? (specInputs as string[]) : shape.inputChannels;
    const featureColumns = request.featureColumns ?? own;
    if (featureColumns.length !== shape.inputChannels.length) {
      throw new InvalidInputError(
        `expects one feature column per input channel of ${label} (${shape.inputChannels.length}: ${shape.inputChannels.join(', ')}), but got ${featureColumns.length}`,
        { field: 'featureColumns' },
      );
    }
    if (new Set(featureColumns).size !== featureColumns.length) {
      throw new InvalidInputError('expects each feature column once, but some appear twice', { field: 'featureColumns' });
    }
    if (request.targetColumn) {
      throw new InvalidInputError(
        `expects no targetColumn for ${label}: its targets (${shape.targets.join(', ')}) are input channels, mapped by featureColumns`,
        { field: 'targetColumn' },
      );
    }
    const targetColumns = shape.targets.map((name) => featureColumns[shape.inputChannels.indexOf(name)] ?? name);
    const orderColumn = orderColumnOf(version, request, label);
    const types = new Map(dataset.columns.map((column) => [column.name, column.type]));
    const missingInputs = featureColumns.filter((name) => !types.has(name));
    const missingTargets = targetColumns.filter((name) => !types.has(name) && !missingInputs.includes(name));
    const missingOrder = types.has(orderColumn) ? [] : [orderColumn];
    if (missingInputs.length + missingTargets.length + missingOrder.length > 0) {
      const parts = [
        missingInputs.length > 0 ? `input channels ${missingInputs.join(', ')}` : null,
        missingTargets.length > 0 ? `targets ${missingTargets.join(', ')}` : null,
        missingOrder.length > 0 ? `order column ${missingOrder[0]}` : null,
      ].filter((part) => part !== null);
      const field = missingInputs.length + missingTargets.length > 0 ? 'featureColumns' : 'orderColumn';
      throw new InvalidInputError(
        `expects dataset ${quote(dataset.name)} to have the columns ${label} needs, but it lacks ${parts.join('; ')} (it has ${dataset.columns
          .map((column) => column.name)
          .join(', ')}); pass featureColumns or orderColumn to map them`,
        { field, missing: [...missingInputs, ...missingTargets, ...missingOrder] },
      );
    }
    for (const name of featureColumns) {
      const type = types.get(name);
      if (type !== 'number') {
        throw new InvalidInputError(`expects input channel ${quote(name)} to be a number column, but it is ${type}`, {
          field: 'featureColumns',
        });
      }
    }
    return { targetColumn: targetColumns[0], featureColumns: [...featureColumns], orderColumn };
  }

  /** The columns to score: the version's own unless overridden, each checked against the dataset (every missing one named). */
  private columnsOf(
    modelName: string,
    version: ModelVersionEntity,
    dataset: DatasetEntity,
    request: EvaluateModelRequest,
  ): { targetColumn: string; featureColumns: string[]; orderColumn: string } {
    const label = `version ${version.version} of ${quote(modelName)}`;
    const targetColumn = request.targetColumn ?? specColumn(version, 'targetColumn');
    if (!targetColumn) {
      throw new InvalidInputError(`expects targetColumn: ${label} keeps no training target (it was imported); name the label column`, {
        field: 'targetColumn',
      });
    }
    const orderColumn = orderColumnOf(version, request, label);
    const featureColumns = request.featureColumns ?? version.featureNames;
    if (featureColumns.length !== version.featureNames.length) {
      throw new InvalidInputError(
        `expects one feature column per feature of ${label} (${version.featureNames.length}: ${version.featureNames.join(', ')}), but got ${featureColumns.length}`,
        { field: 'featureColumns' },
      );
    }
    if (new Set(featureColumns).size !== featureColumns.length) {
      throw new InvalidInputError('expects each feature column once, but some appear twice', { field: 'featureColumns' });
    }
    if (featureColumns.includes(targetColumn)) {
      throw new InvalidInputError(`expects the target column ${quote(targetColumn)} not to be a feature too`, { field: 'featureColumns' });
    }
    const types = new Map(dataset.columns.map((column) => [column.name, column.type]));
    const missingFeatures = featureColumns.filter((name) => !types.has(name));
    const missingTarget = types.has(targetColumn) ? [] : [targetColumn];
    const missingOrder = types.has(orderColumn) ? [] : [orderColumn];
    if (missingFeatures.length + missingTarget.length + missingOrder.length > 0) {
      const parts = [
        missingFeatures.length > 0 ? `features ${missingFeatures.join(', ')}` : null,
        missingTarget.length > 0 ? `label ${missingTarget[0]}` : null,
        missingOrder.length > 0 ? `order column ${missingOrder[0]}` : null,
      ].filter((part) => part !== null);
      const field = missingFeatures.length > 0 ? 'featureColumns' : missingTarget.length > 0 ? 'targetColumn' : 'orderColumn';
      throw new InvalidInputError(
        `expects dataset ${quote(dataset.name)} to have the columns ${label} needs, but it lacks ${parts.join('; ')} (it has ${dataset.columns
          .map((column) => column.name)
          .join(', ')}); pass featureColumns, targetColumn or orderColumn to map them`,
        { field, missing: [...missingFeatures, ...missingTarget, ...missingOrder] },
      );
    }
    for (const [name, field] of [...featureColumns.map((n) => [n, 'featureColumns']), [targetColumn, 'targetColumn']] as const) {
      const type = types.get(name);
      if (type !== 'number' && type !== 'boolean') {
        throw new InvalidInputError(`expects ${field} ${quote(name)} to be a number or boolean column, but it is ${type}`, { field });
      }
    }
    return { targetColumn, featureColumns: [...featureColumns], orderColumn };
  }
}
