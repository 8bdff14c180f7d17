/**
 * `trainModel`: validates a training request up front (so a bad one is refused with nothing
 * written), queues a TRAIN job, and — in the worker — trains the family in a worker thread on the
 * dataset and registers the result as a SHADOW version (ACTIVE too when asked).
 */
import { In, Not, type DataSource, type EntityManager } from 'typeorm';
import type { DatasetEntity } from '../entities/dataset.entity';
import { ModelVersionEntity, type ModelVersionSource } from '../entities/model-version.entity';
import { JobEntity } from '../entities/job.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import { toTrainingSet, type CellValue, type DatasetTable } from '../lib/dataset-table';
import { InvalidInputError, NotFoundError, quote } from '../lib/errors';
import { trainedOrderRange } from './table-window';
import type { ModelArtifact, SequenceTrainingSet, TabularTrainingSet, TrainedModel } from '../plugins/contract';
import { toSequenceSet, type SequenceWindowing } from './sequence-set';
import type { FamilyRegistry } from '../plugins';
import type { DatasetsService } from '../registry/datasets.service';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { LifecycleService } from '../registry/lifecycle.service';
import type { CandidateAdmission, RegistryService } from '../registry/registry.service';
import { runTraining, type TrainingCallbacks } from './training-runner';

export interface TrainModelRequest {
  model: string;
  dataset: string;
  /** Required for tabular families; a sequence family forecasts `targetColumns` instead. */
  targetColumn?: string | null;
  /** A sequence family's forecast channels (default: the input channels, featureColumns). */
  targetColumns?: string[] | null;
  featureColumns: string[];
  orderColumn: string;
  hyperparameters?: Record<string, unknown> | null;
  activate?: boolean | null;
  description?: string | null;
}

export interface VersionTraining {
  model: RegisteredModelEntity;
  dataset: DatasetEntity;
  /** The rows to learn from (for an update: only the new ones). */
  table: DatasetTable;
  columns: TrainedColumns;
  hyperparameters: Record<string, unknown>;
  source: ModelVersionSource;
  /** The version this one continues (`update`) or was retrained from. */
  parentVersionId?: string | null;
  /** Update from this artifact with `family.update` instead of training afresh. */
  previous?: ModelArtifact;
  description: string;
  /**
   * Runs after training, before registration, outside any transaction, with the rows trained on; what it
   * returns runs inside the transaction that registers the version.
   */
  willRegister?(
    trained: TrainedModel,
    set: TabularTrainingSet | SequenceTrainingSet,
  ): Promise<((tx: EntityManager, version: ModelVersionEntity) => Promise<void>) | undefined>;
}

/**
 * The columns a version is trained on, as its trainingSpec keeps them. A sequence version's
 * `targetColumn` is its first target, so that every reader of the spec finds one.
 */
export interface TrainedColumns {
  targetColumn: string;
  featureColumns: string[];
  orderColumn: string;
  /** A sequence version's forecast channels. */
  targetColumns?: string[];
}

export interface TrainedVersion {
  version: ModelVersionEntity;
  rows: number;
  droppedRows: number;
  /** First and last order value of the rows trained on (null when an earlier attempt trained). */
  dataStart: CellValue;
  dataEnd: CellValue;
  /** Registered by an earlier attempt of the job. */
  reused: boolean;
}

/**
 * Extension points of a training. `candidateWillRegister` runs after training, before registration, with
 * the candidate and the rows it was trained on: monitoring's gate before SHADOW (monitoring/gate.service.ts)
 * answers whether it may become SHADOW or is registered REJECTED, and how many shadows the model may keep.
 * Without it every candidate becomes SHADOW and none is superseded.
 */
export interface TrainingHooks {
  candidateWillRegister?(candidate: {
    model: RegisteredModelEntity;
    trained: TrainedModel;
    set: TabularTrainingSet | SequenceTrainingSet;
  }): Promise<Omit<CandidateAdmission, 'kind'>>;
}

export interface TrainingOptions {
  threads: number;
  plugins: string[];
}

function columnChecker(dataset: DatasetEntity) {
  const types = new Map(dataset.columns.map((column) => [column.name, column.type]));
  const known = dataset.columns.map((column) => column.name).join(', ');
  return (name: string, field: string, allowed: string[]) => {
    const type = types.get(name);
    if (!type)
      throw new InvalidInputError(`expects ${field} to name a column of dataset "${dataset.name}" (${known}), but got ${quote(name)}`, {
        field,
      });
    if (!allowed.includes(type)) {
      throw new InvalidInputError(`expects ${field} ${quote(name)} to be a ${allowed.join(' or ')} column, but it is ${type}`, { field });
    }
  };
}

function checkDistinct(names: string[], field: string): void {
  if (names.length === 0) throw new InvalidInputError(`expects at least one column in ${field}, but got none`, { field });
  if (new Set(names).size !== names.length)
    throw new InvalidInputError(`expects each column of ${field} once, but some appear twice`, { field });
}

/** The columns of a sequence training request: input channels, forecast channels (a subset of them) and the time column. */
function sequenceColumns(dataset: DatasetEntity, request: TrainModelRequest): TrainedColumns {
  const need = columnChecker(dataset);
  checkDistinct(request.featureColumns, 'featureColumns');
  for (const name of request.featureColumns) need(name, 'featureColumns', ['number']);
  const targets = request.targetColumns ?? (request.targetColumn ? [request.targetColumn] : request.featureColumns);
  checkDistinct(targets, 'targetColumns');
  for (const name of targets) {
    if (!request.featureColumns.includes(name)) {
      throw new InvalidInputError(
        `expects each target to be an input channel too (the model reads its past), but ${quote(name)} is not among featureColumns`,
        {
          field: 'targetColumns',
        },
      );
    }
  }
  need(request.orderColumn, 'orderColumn', ['timestamp', 'number']);
  return { targetColumn: targets[0], targetColumns: targets, featureColumns: request.featureColumns, orderColumn: request.orderColumn };
}

/** Refuses, before anything is queued, a series too short for one training window. */
function checkSeriesLength(dataset: DatasetEntity, windowing: SequenceWindowing): void {
  const needed = windowing.input_length + windowing.horizon;
  const trainRows = Math.ceil(dataset.rowCount * (1 - windowing.validation_fraction - windowing.test_fraction));
  if (trainRows < needed) {
    throw new InvalidInputError(
      `expects the training rows of dataset "${dataset.name}" (${trainRows} of ${dataset.rowCount}) to hold one window of input_length + horizon = ` +
        `${needed} rows; shorten hyperparameters.input_length or hyperparameters.horizon, or lower validation_fraction and test_fraction`,
      { field: 'hyperparameters.horizon' },
    );
  }
}

function checkColumns(dataset: DatasetEntity, request: TrainModelRequest & { targetColumn: string }): void {
  const types = new Map(dataset.columns.map((column) => [column.name, column.type]));
  const known = dataset.columns.map((column) => column.name).join(', ');
  const need = (name: string, field: string, numeric: boolean) => {
    const type = types.get(name);
    if (!type)
      throw new InvalidInputError(`expects ${field} to name a column of dataset "${dataset.name}" (${known}), but got ${quote(name)}`, {
        field,
      });
    if (numeric && type !== 'number' && type !== 'boolean') {
      throw new InvalidInputError(`expects ${field} ${quote(name)} to be a number or boolean column, but it is ${type}`, { field });
    }
  };
  need(request.targetColumn, 'targetColumn', true);
  need(request.orderColumn, 'orderColumn', false);
  if (request.featureColumns.length === 0)
    throw new InvalidInputError('expects at least one feature column, but got none', { field: 'featureColumns' });
  if (new Set(request.featureColumns).size !== request.featureColumns.length) {
    throw new InvalidInputError('expects each feature column once, but some appear twice', { field: 'featureColumns' });
  }
  for (const name of request.featureColumns) need(name, 'featureColumns', true);
  if (request.featureColumns.includes(request.targetColumn)) {
    throw new InvalidInputError(`expects the target column ${quote(request.targetColumn)} not to be a feature too`, {
      field: 'featureColumns',
    });
  }
}

export class TrainingService {
  private hooks: TrainingHooks = {};

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly lifecycle: LifecycleService,
    private readonly datasets: DatasetsService,
    private readonly jobs: JobsService,
    private readonly families: FamilyRegistry,
    private readonly options: TrainingOptions,
  ) {}

  setHooks(hooks: TrainingHooks): void {
    this.hooks = hooks;
  }

  /** Queues a TRAIN job for a registered model; an unregistered name is refused, saying how to register it. */
  async trainModel(request: TrainModelRequest): Promise<JobEntity> {
    const model = await this.registeredModelToTrain(request.model);
    const family = this.families.get(model.family);
    const availability = family.availability?.() ?? { available: true };
    if (!availability.available) {
      throw new InvalidInputError(`family ${family.id} cannot train on this server: ${availability.reason}`, { field: 'model' });
    }
    const dataset = await this.datasets.getDataset(request.dataset);
    let columns: TrainedColumns;
    if (family.kind === 'sequence') columns = sequenceColumns(dataset, request);
    else {
      if (!request.targetColumn) throw new InvalidInputError(`expects targetColumn for a ${family.id} model`, { field: 'targetColumn' });
      checkColumns(dataset, { ...request, targetColumn: request.targetColumn });
      columns = { targetColumn: request.targetColumn, featureColumns: request.featureColumns, orderColumn: request.orderColumn };
    }
    const hyperparameters = this.families.parseHyperparameters(model.family, request.hyperparameters ?? {});
    if (family.kind === 'sequence') checkSeriesLength(dataset, hyperparameters as unknown as SequenceWindowing);
    return this.jobs.enqueue({
      kind: 'TRAIN',
      trigger: 'MANUAL',
      reason: `train ${model.name} on dataset ${dataset.name}`,
      registeredModelId: model.id,
      modelName: model.name,
      payload: {
        model: model.name,
        datasetId: dataset.id,
        ...columns,
        hyperparameters,
        activate: request.activate ?? false,
        description: request.description ?? '',
      },
    });
  }

  /** trainModel adds versions to a model registered first (createRegisteredModel names its family); it never creates one. */
  private async registeredModelToTrain(name: string): Promise<RegisteredModelEntity> {
    try {
      return await this.registry.getRegisteredModel(name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      const families = this.families
        .list()
        .filter((family) => family.kind !== 'policy')
        .map((family) => family.id);
      throw new NotFoundError(
        `no registered model named ${quote(name)}; register it first with createRegisteredModel(input: { name: ${quote(name)}, family: "${families[0]}" }) ` +
          `(trainable families: ${families.join(', ')}), then call trainModel again`,
        { field: 'model' },
      );
    }
  }

  /** The TRAIN job handler. */
  readonly runTrainJob = async (ctx: JobContext<'TRAIN'>): Promise<Record<string, unknown>> => {
    const { payload } = ctx;
    const model = await this.registry.getRegisteredModel(payload.model);
    const dataset = await this.datasets.getDataset(payload.datasetId);
    const trained = await this.trainVersion(ctx, {
      model,
      dataset,
      table: await this.datasets.loadTable(dataset),
      columns: {
        targetColumn: payload.targetColumn,
        featureColumns: payload.featureColumns,
        orderColumn: payload.orderColumn,
        targetColumns: payload.targetColumns,
      },
      hyperparameters: payload.hyperparameters,
      source: 'TRAINED',
      description: payload.description,
    });
    const final =
      payload.activate && trained.version.status === 'SHADOW'
        ? await this.lifecycle.promoteModel({ model: model.name, version: trained.version.version, reason: 'trained with activate' })
        : trained.version;
    return {
      modelVersionId: final.id,
      version: final.version,
      status: final.status,
      metrics: final.metrics,
      gate: trained.version.gate,
      rows: trained.rows,
      droppedRows: trained.droppedRows,
    };
  };

  /**
   * Trains one version of a model inside a job: a TRAINING version (recorded on the job), the
   * family's `train` — or `update` from `previous` — in a worker thread with the job's signal and
   * progress, then registration as SHADOW. Any error fails the version and is rethrown. When an
   * earlier attempt of the same job already registered its version, that version is returned and
   * nothing is trained again (an attempt can die between registering and recording its end).
   */
  async trainVersion(ctx: JobContext, input: VersionTraining): Promise<TrainedVersion> {
    const registered = await this.dataSource
      .getRepository(ModelVersionEntity)
      .findOneBy({ jobId: ctx.job.id, status: Not(In(['TRAINING', 'FAILED'])) });
    if (registered) {
      ctx.log(`version ${registered.version} was registered by an earlier attempt of this job`);
      const spec = registered.trainingSpec ?? {};
      return {
        version: registered,
        rows: Number(spec.rows ?? 0),
        droppedRows: Number(spec.droppedRows ?? 0),
        dataStart: null,
        dataEnd: null,
        reused: true,
      };
    }
    const { columns } = input;
    const buildSet = () => this.trainingSet(input.model.family, input.table, input.columns, input.hyperparameters);
    const { set, droppedRows } = buildSet();
    const range = trainedOrderRange(input.table, { target: columns.targetColumn, orderBy: columns.orderColumn });
    const rows = set.kind === 'sequence' ? set.steps : set.rows;
    const width = set.kind === 'sequence' ? set.inputChannels.length : set.featureNames.length;
    const version = await this.registry.beginVersion({
      registeredModel: input.model,
      source: input.source,
      hyperparameters: input.hyperparameters,
      datasetId: input.dataset.id,
      parentVersionId: input.parentVersionId ?? null,
      jobId: ctx.job.id,
      description: input.description,
      trainingSpec: { ...columns, rows, droppedRows, dataStart: range?.first ?? null, dataEnd: range?.last ?? null },
    });
    await this.dataSource.getRepository(JobEntity).update({ id: ctx.job.id }, { modelVersionId: version.id });
    try {
      ctx.log(
        `${input.previous ? 'updating' : 'training'} ${input.model.family} v${version.version} on ${rows} rows × ${width} ${set.kind === 'sequence' ? 'channels' : 'features'}`,
      );
      const trained = await runTraining(
        {
          familyId: input.model.family,
          plugins: this.options.plugins,
          data: set,
          params: input.hyperparameters,
          previous: input.previous,
          seed: Number(input.hyperparameters.seed ?? 0),
          threads: this.options.threads,
        },
        { signal: ctx.signal, onProgress: ctx.progress, onLog: ctx.log },
      );
      // The training thread took the set's buffers; the hooks get the same rows built again.
      const trainedOn = buildSet().set;
      const admission: CandidateAdmission = {
        gate: null,
        maxShadows: Infinity,
        ...(await this.hooks.candidateWillRegister?.({ model: input.model, trained, set: trainedOn })),
        kind: ctx.job.kind,
      };
      const { gate } = admission;
      if (gate) ctx.log(`gate before SHADOW: ${gate.passed ? 'passed' : 'failed'}: ${gate.reasons.join('; ')}`);
      const inTransaction = input.willRegister ? await input.willRegister(trained, trainedOn) : undefined;
      const completed = await this.registry.completeVersion(version.id, trained, inTransaction, admission);
      return {
        version: completed,
        rows,
        droppedRows,
        dataStart: range?.first ?? null,
        dataEnd: range?.last ?? null,
        reused: false,
      };
    } catch (error) {
      await this.registry.failVersion(version.id, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** The rows of `table` as a family of `familyId`'s kind learns them (a sequence set's windowing from `hyperparameters`). */
  trainingSet(
    familyId: string,
    table: DatasetTable,
    columns: TrainedColumns,
    hyperparameters: Record<string, unknown>,
  ): { set: TabularTrainingSet | SequenceTrainingSet; droppedRows: number } {
    if (this.families.get(familyId).kind === 'sequence') {
      const windowing = hyperparameters as unknown as SequenceWindowing;
      const targets = columns.targetColumns ?? [columns.targetColumn];
      return {
        set: toSequenceSet(table, { inputs: columns.featureColumns, targets, orderBy: columns.orderColumn }, windowing),
        droppedRows: 0,
      };
    }
    return toTrainingSet(table, { target: columns.targetColumn, features: columns.featureColumns, orderBy: columns.orderColumn });
  }

  /** Trains in a worker thread and registers nothing (a tuning trial); `set`'s buffers move to the thread. */
  trainUnregistered(
    familyId: string,
    set: TabularTrainingSet | SequenceTrainingSet,
    hyperparameters: Record<string, unknown>,
    callbacks: TrainingCallbacks,
  ): Promise<TrainedModel> {
    return runTraining(
      {
        familyId,
        plugins: this.options.plugins,
        data: set,
        params: hyperparameters,
        seed: Number(hyperparameters.seed ?? 0),
        threads: this.options.threads,
      },
      callbacks,
    );
  }

  /** Fails the TRAINING versions a lost attempt of `job` left behind (the `jobAttemptWasLost` hook). */
  async failOrphanedVersions(job: JobEntity): Promise<void> {
    const orphans = await this.dataSource.getRepository(ModelVersionEntity).findBy({ jobId: job.id, status: 'TRAINING' });
    for (const orphan of orphans) await this.registry.failVersion(orphan.id, 'the worker running this training stopped before it finished');
  }
}
