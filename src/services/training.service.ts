/**
 * `trainModel`: validates a training request up front (so a bad one is refused with nothing
 * written), queues a TRAIN job, and — in the worker — trains the family in a worker thread on the
 * dataset and registers the result as a SHADOW version (ACTIVE too when asked).
 */
import type { DataSource } from 'typeorm';
import type { DatasetEntity } from '../entities/dataset.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { JobEntity } from '../entities/job.entity';
import { toTrainingSet } from '../lib/dataset-table';
import { InvalidInputError } from '../lib/errors';
import type { FamilyRegistry } from '../plugins';
import type { DatasetsService } from './datasets.service';
import type { JobContext } from './job-worker';
import type { JobsService } from './jobs.service';
import type { LifecycleService } from './lifecycle.service';
import type { PolicyService } from './policy.service';
import type { RegistryService } from './registry.service';
import { runTraining } from './training-runner';

export interface TrainModelRequest {
  model: string;
  dataset: string;
  targetColumn: string;
  featureColumns: string[];
  orderColumn: string;
  hyperparameters?: Record<string, unknown> | null;
  activate?: boolean | null;
  description?: string | null;
}

export interface TrainingOptions {
  threads: number;
  plugins: string[];
}

function checkColumns(dataset: DatasetEntity, request: TrainModelRequest): void {
  const types = new Map(dataset.columns.map((column) => [column.name, column.type]));
  const known = dataset.columns.map((column) => column.name).join(', ');
  const need = (name: string, field: string, numeric: boolean) => {
    const type = types.get(name);
    if (!type) throw new InvalidInputError(`expects ${field} to name a column of dataset "${dataset.name}" (${known}), but got "${name}"`, { field });
    if (numeric && type !== 'number' && type !== 'boolean') {
      throw new InvalidInputError(`expects ${field} "${name}" to be a number or boolean column, but it is ${type}`, { field });
    }
  };
  need(request.targetColumn, 'targetColumn', true);
  need(request.orderColumn, 'orderColumn', false);
  if (request.featureColumns.length === 0) throw new InvalidInputError('expects at least one feature column, but got none', { field: 'featureColumns' });
  if (new Set(request.featureColumns).size !== request.featureColumns.length) {
    throw new InvalidInputError('expects each feature column once, but some appear twice', { field: 'featureColumns' });
  }
  for (const name of request.featureColumns) need(name, 'featureColumns', true);
  if (request.featureColumns.includes(request.targetColumn)) {
    throw new InvalidInputError(`expects the target column "${request.targetColumn}" not to be a feature too`, { field: 'featureColumns' });
  }
}

export class TrainingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly lifecycle: LifecycleService,
    private readonly datasets: DatasetsService,
    private readonly jobs: JobsService,
    private readonly families: FamilyRegistry,
    private readonly policy: PolicyService,
    private readonly options: TrainingOptions,
  ) {}

  async trainModel(request: TrainModelRequest): Promise<JobEntity> {
    const model = await this.registry.getRegisteredModel(request.model);
    const dataset = await this.datasets.getDataset(request.dataset);
    checkColumns(dataset, request);
    const hyperparameters = this.families.parseHyperparameters(model.family, request.hyperparameters ?? {});
    const { retraining } = (await this.policy.current()).document;
    return this.jobs.enqueue({
      kind: 'TRAIN',
      trigger: 'MANUAL',
      reason: `train ${model.name} on dataset ${dataset.name}`,
      registeredModelId: model.id,
      modelName: model.name,
      payload: {
        model: model.name,
        datasetId: dataset.id,
        targetColumn: request.targetColumn,
        featureColumns: request.featureColumns,
        orderColumn: request.orderColumn,
        hyperparameters,
        activate: request.activate ?? false,
        description: request.description ?? '',
      },
      timeLimitSeconds: retraining.full_time_limit_seconds,
      retryLimit: retraining.retry_limit,
    });
  }

  /** The TRAIN job handler. */
  readonly runTrainJob = async (ctx: JobContext): Promise<Record<string, unknown>> => {
    const payload = ctx.job.payload as unknown as TrainModelRequest & { datasetId: string; hyperparameters: Record<string, unknown> };
    const model = await this.registry.getRegisteredModel(payload.model);
    const dataset = await this.datasets.getDataset(payload.datasetId);
    const version = await this.registry.beginVersion({
      registeredModel: model,
      source: 'TRAINED',
      hyperparameters: payload.hyperparameters,
      datasetId: dataset.id,
      jobId: ctx.job.id,
      description: payload.description ?? '',
      trainingSpec: { targetColumn: payload.targetColumn, featureColumns: payload.featureColumns, orderColumn: payload.orderColumn },
    });
    await this.dataSource.getRepository(JobEntity).update({ id: ctx.job.id }, { modelVersionId: version.id });
    try {
      const table = await this.datasets.loadTable(dataset);
      const { set, droppedRows } = toTrainingSet(table, {
        target: payload.targetColumn,
        features: payload.featureColumns,
        orderBy: payload.orderColumn,
      });
      ctx.log(`training ${model.family} v${version.version} on ${set.rows} rows × ${set.featureNames.length} features`);
      const trained = await runTraining(
        {
          familyId: model.family,
          plugins: this.options.plugins,
          data: set,
          params: payload.hyperparameters,
          seed: Number(payload.hyperparameters.seed ?? 0),
          threads: this.options.threads,
        },
        { signal: ctx.signal, onProgress: ctx.progress, onLog: ctx.log },
      );
      const registered = await this.registry.completeVersion(version.id, trained);
      const final = payload.activate ? await this.lifecycle.promoteModel({ model: model.name, version: registered.version, reason: 'trained with activate' }) : registered;
      return { modelVersionId: final.id, version: final.version, status: final.status, metrics: final.metrics, rows: set.rows, droppedRows };
    } catch (error) {
      await this.registry.failVersion(version.id, error instanceof Error ? error.message : String(error));
      throw error;
    }
  };

  /** Fails the TRAINING versions a lost attempt of `job` left behind. */
  async failOrphanedVersions(job: JobEntity): Promise<void> {
    const orphans = await this.dataSource.getRepository(ModelVersionEntity).findBy({ jobId: job.id, status: 'TRAINING' });
    for (const orphan of orphans) await this.registry.failVersion(orphan.id, 'the worker running this training stopped before it finished');
  }
}
