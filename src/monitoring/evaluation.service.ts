/**
 * `evaluateModel`: the backtest of one version on a labelled dataset. The request is checked up front
 * (the version, the dataset's columns, the scheme's folds) so that a bad one queues nothing; an EVALUATE
 * job then loads the version as the gate does (registry artifact → family.load, disposed after), scores
 * every row of the dataset in time order (in parts of 100,000 rows) and computes the report of backtest.ts, which becomes the
 * job's result (`evaluation(jobId)` reads it typed). The version is not retrained per fold.
 */
import type { DatasetEntity } from '../entities/dataset.entity';
import type { JobEntity } from '../entities/job.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { toTrainingSet } from '../lib/dataset-table';
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
import type { Predictor, TabularTrainingSet } from '../plugins/contract';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobPayload } from '../platform/jobs/job-payloads';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { DatasetsService } from '../registry/datasets.service';
import type { RegistryService } from '../registry/registry.service';
import { setImmediate } from 'node:timers/promises';
import { backtestWithPauses, DEFAULT_RESAMPLES, type BacktestReport, type BacktestTask } from './backtest';

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
  report: BacktestReport;
}

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
    const columns = this.columnsOf(model.name, version, dataset, request);
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
    foldsOf(dataset.rowCount, scheme);
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

  /** The EVALUATE job `jobId` and its result. */
  async evaluation(jobId: string): Promise<{ job: JobEntity; result: EvaluationResult | null }> {
    const job = await this.jobs.getJob(jobId);
    if (job.kind !== 'EVALUATE') {
      throw new NotFoundError(`job ${jobId} is a ${job.kind} job, not an evaluation (EVALUATE)`, { field: 'jobId' });
    }
    const result = job.status === 'COMPLETED' && job.result ? (job.result as unknown as EvaluationResult) : null;
    return { job, result };
  }

  /** The task of a version evaluateModel can score: a tabular regression or binary version with an artifact. */
  private scoredTask(modelName: string, version: ModelVersionEntity): BacktestTask {
    const label = `version ${version.version} of ${quote(modelName)}`;
    if (version.status === 'TRAINING' || version.status === 'FAILED') {
      throw new InvalidInputError(`expects a trained version, but ${label} is ${version.status}: it has no model to score`, {
        field: 'version',
      });
    }
    const task = version.signature?.task;
    const kind = this.families.get(version.family).kind;
    if (kind !== 'tabular' || (task !== 'regression' && task !== 'binary')) {
      const what = kind === 'sequence' ? 'a sequence (forecast)' : kind === 'policy' ? 'an RL policy' : `a ${task ?? 'task-less'}`;
      throw new InvalidInputError(
        `evaluateModel scores tabular versions (regression, binary); ${label} is ${what} version — backtests of sequence models come later`,
        { field: 'version' },
      );
    }
    return task;
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
    const orderColumn = request.orderColumn ?? specColumn(version, 'orderColumn');
    if (!orderColumn) {
      throw new InvalidInputError(`expects orderColumn: ${label} keeps no training order column (it was imported); name the time column`, {
        field: 'orderColumn',
      });
    }
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
