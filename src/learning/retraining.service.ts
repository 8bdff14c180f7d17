/**
 * The retraining orchestrator. `requestRetraining` turns a cause (an operator, a schedule, trades,
 * drift, a performance drop) into jobs — one job per model, so models retrain in parallel on any
 * worker, and each can be cancelled, retried and followed on its own — and the job handler retrains
 * the model from its ACTIVE version, registering a SHADOW version (which the shadow tester judges)
 * and a learning event in the same transaction.
 *
 * Kinds:
 *   FULL         every registered model with a retrainable ACTIVE version (or the named ones)
 *   PARTIAL      the named models (required)
 *     both: the ACTIVE version's dataset, rebuilt from its materialization spec when a
 *     DatasetMaterializer knows it (fresh bars or trades), else reused as it is; the same target,
 *     features and order column as the ACTIVE version's training, and its hyperparameters.
 *   INCREMENTAL  the named models, or every model whose ACTIVE version can be updated:
 *     `family.update` from the ACTIVE version's artifact on the rows after the ones it was trained on
 *     (its trainingSpec.dataEnd): from the dataset named in the request (e.g. the trade log, whose
 *     target and order columns may be named), else from the ACTIVE version's dataset rebuilt as above.
 *     The new version records the ACTIVE one as its parent.
 *     Updates always start from the ACTIVE version, so until a candidate is promoted each update
 *     learns every row since the ACTIVE version's data ended.
 *
 * A request for a model that already has a QUEUED job of the same kind returns that job (it will use
 * the data there is when it starts) — unless either names a dataset. With `singletonKey`, each model's job is keyed
 * `{singletonKey}:{model}`, so the same request from several replicas (a schedule firing) enqueues once.
 */
import { In, type DataSource } from 'typeorm';
import type { DatasetEntity } from '../entities/dataset.entity';
import { JobEntity, type JobTrigger } from '../entities/job.entity';
import { LearningEventEntity, LEARNING_KINDS, type LearningKind } from '../entities/learning-event.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { KeysetPage, type Page } from '../lib/cursor';
import type { CellValue } from '../lib/dataset-table';
import { InvalidInputError, NotFoundError, quote } from '../lib/errors';
import { taskMetrics } from '../lib/metrics';
import { isScoredTask } from '../lib/scored-task';
import { rowsAfter } from './table-window';
import { heldOutRows, heldOutTargets, predictHeldOut } from './validation-tail';
import type { ModelArtifact, SequenceTrainingSet, TabularTrainingSet, TrainedModel } from '../plugins/contract';
import type { FamilyRegistry } from '../plugins';
import type { DatasetsService } from '../registry/datasets.service';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { RegistryService } from '../registry/registry.service';
import type { ScheduledTask } from '../platform/schedules/scheduler';
import type { TrainedColumns, TrainingService } from './training.service';
import type { LearningSwitchService } from './learning-switch.service';
import type { TuningService } from './tuning.service';

export type RetrainingKind = LearningKind;

export interface RetrainingRequest {
  kind: RetrainingKind;
  /** Registered model names: required for PARTIAL; FULL and INCREMENTAL without them take every model they can. */
  models?: string[] | null;
  trigger: JobTrigger;
  reason: string;
  /** Each model's job is enqueued under `{singletonKey}:{model}` (at most once, ever). */
  singletonKey?: string;
  /**
   * INCREMENTAL: the dataset holding the new rows, and its target and order columns when they are named differently (see the retraining
   * payload in platform/jobs/job-payloads.ts).
   */
  dataset?: string | null;
  targetColumn?: string | null;
  orderColumn?: string | null;
}

export interface RetrainingPlan {
  jobs: JobEntity[];
  /** Models left out, and why: those a request over every model cannot retrain, and named models that are not registered. */
  skipped: { model: string; reason: string }[];
}

/**
 * Extension point for datasets built from a materialization spec (`datasets.spec`: bars, the trade
 * log): builds the dataset again with the data stored now, as a new immutable dataset. Registered
 * with `retraining.addMaterializer(...)`; materializers are asked in order and the first that returns
 * a dataset wins. Return null for a spec you do not build; a throw fails the job's attempt.
 */
export interface DatasetMaterializer {
  rematerialize(dataset: DatasetEntity): Promise<DatasetEntity | null>;
}

export interface LearningEventFilter {
  model?: string;
  kind?: LearningKind[];
  first?: number;
  after?: string;
}

type TrainingColumns = TrainedColumns;

export interface RetrainingBasis {
  active: ModelVersionEntity;
  columns: TrainingColumns;
  hyperparameters: Record<string, unknown>;
  dataset: DatasetEntity;
}

type ColumnOverrides = Partial<Pick<TrainingColumns, 'targetColumn' | 'orderColumn'>>;

function withOverrides(columns: TrainingColumns, overrides: ColumnOverrides): TrainingColumns {
  return {
    ...columns,
    targetColumn: overrides.targetColumn ?? columns.targetColumn,
    orderColumn: overrides.orderColumn ?? columns.orderColumn,
  };
}

/** The columns the ACTIVE version was trained with, or why it cannot be retrained. */
function trainingColumns(version: ModelVersionEntity): TrainingColumns | string {
  const spec = version.trainingSpec ?? {};
  const { targetColumn, featureColumns, orderColumn, targetColumns } = spec as Partial<TrainingColumns>;
  if (typeof targetColumn !== 'string' || typeof orderColumn !== 'string' || !Array.isArray(featureColumns)) {
    return `its ACTIVE version ${version.version} was not trained on a dataset here (source ${version.source}); train one with trainModel and promote it first`;
  }
  return { targetColumn, featureColumns, orderColumn, ...(Array.isArray(targetColumns) ? { targetColumns } : {}) };
}

export class RetrainingService {
  private readonly materializers: DatasetMaterializer[] = [];
  /** Tunes a FULL job first when policy retraining.tune_on_full is on (tuning.service.ts `tuneForFull`; plugged in from server/app.ts). */
  private fullTuner?: Pick<TuningService, 'tuneForFull'>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly datasets: DatasetsService,
    private readonly jobs: JobsService,
    private readonly training: TrainingService,
    private readonly families: FamilyRegistry,
    private readonly learningSwitch: Pick<LearningSwitchService, 'heldFor' | 'pausedAmong'>,
  ) {}

  addMaterializer(materializer: DatasetMaterializer): void {
    this.materializers.push(materializer);
  }

  setFullTuner(tuner: Pick<TuningService, 'tuneForFull'>): void {
    this.fullTuner = tuner;
  }

  /**
   * Validates the whole request first (nothing is queued when a named model cannot be retrained), then
   * queues a job per model. A named model that is not registered is listed under `skipped` while the
   * others are queued; when none of the names is registered the request is refused (NOT_FOUND).
   * A request of any trigger but MANUAL is automatic learning: while it is held (learning-switch.service.ts)
   * it queues nothing, and a model paused on its own is skipped — each listed under `skipped` with why.
   */
  async requestRetraining(request: RetrainingRequest): Promise<RetrainingPlan> {
    if (!(LEARNING_KINDS as readonly string[]).includes(request.kind)) {
      throw new InvalidInputError(`expects kind FULL, PARTIAL or INCREMENTAL, but got ${quote(String(request.kind))}`, { field: 'kind' });
    }
    const names = [...new Set(request.models ?? [])];
    if (request.kind === 'PARTIAL' && names.length === 0) {
      throw new InvalidInputError('expects the models to retrain for PARTIAL, but got none', { field: 'models' });
    }
    for (const field of ['dataset', 'targetColumn', 'orderColumn'] as const) {
      if (request[field] != null && (request.kind !== 'INCREMENTAL' || (field !== 'dataset' && request.dataset == null))) {
        throw new InvalidInputError(
          `expects ${field} only for INCREMENTAL with a dataset (${request.kind} retrains on the ACTIVE version's own dataset)`,
          { field },
        );
      }
    }
    const dataset = request.dataset != null ? await this.datasets.getDataset(request.dataset) : undefined;
    const overrides = { targetColumn: request.targetColumn ?? undefined, orderColumn: request.orderColumn ?? undefined };
    const skipped: RetrainingPlan['skipped'] = [];
    const models =
      names.length > 0
        ? await this.namedModels(names, skipped)
        : await this.dataSource.getRepository(RegisteredModelEntity).find({ order: { name: 'ASC' } });
    const planned: RegisteredModelEntity[] = [];
    for (const model of models) {
      const problem = await this.whyNotRetrainable(request.kind, model, dataset, overrides);
      if (!problem) planned.push(model);
      else if (names.length === 0) skipped.push({ model: model.name, reason: problem });
      else
        throw new InvalidInputError(`expects models that can be retrained (${request.kind}), but "${model.name}" cannot: ${problem}`, {
          field: 'models',
        });
    }
    const jobs: JobEntity[] = [];
    for (const model of await this.notHeld(request.trigger, planned, skipped)) {
      const queued = request.singletonKey || dataset ? undefined : await this.queuedJob(request.kind, model.id);
      jobs.push(
        queued ??
          (await this.jobs.enqueue({
            kind: request.kind,
            trigger: request.trigger,
            reason: request.reason,
            registeredModelId: model.id,
            modelName: model.name,
            payload: {
              model: model.name,
              ...(dataset ? { dataset: dataset.id } : {}),
              ...(overrides.targetColumn ? { targetColumn: overrides.targetColumn } : {}),
              ...(overrides.orderColumn ? { orderColumn: overrides.orderColumn } : {}),
            },
            singletonKey: request.singletonKey ? `${request.singletonKey}:${model.name}` : undefined,
          })),
      );
    }
    return { jobs, skipped };
  }

  /** The scheduled full retraining (policy.schedule_interval.full_retraining, in the policy's time zone). */
  fullRetrainingTask(): ScheduledTask {
    return {
      name: 'full_retraining',
      description: 'Queues a FULL retraining of every model with a retrainable ACTIVE version.',
      timing: (policy) => (policy.schedule_interval.full_retraining_enabled ? { cron: policy.schedule_interval.full_retraining } : null),
      run: (slot) =>
        this.requestRetraining({
          kind: 'FULL',
          trigger: 'SCHEDULE',
          reason: `scheduled full retraining (${slot.time.toISOString()})`,
          singletonKey: slot.singletonKey,
        }),
    };
  }

  /**
   * The FULL, PARTIAL and INCREMENTAL job handler. A caller may enqueue such a job directly —
   * `jobs.enqueue({ kind: 'INCREMENTAL', trigger: 'TRADES', reason, registeredModelId, modelName,
   * payload: { model } })`, as the learning trigger does — with the payload of job-payloads.ts.
   */
  readonly runRetrainingJob = async (ctx: JobContext<RetrainingKind>): Promise<Record<string, unknown>> => {
    const { kind } = ctx.job;
    const { payload } = ctx;
    const model = await this.registry.getRegisteredModel(payload.model);
    const active = await this.registry.activeVersion(model.id);
    const given = payload.dataset ? await this.datasets.getDataset(payload.dataset) : undefined;
    const overrides = { targetColumn: payload.targetColumn, orderColumn: payload.orderColumn };
    const problem = await this.whyNotRetrainable(kind, model, given, overrides);
    if (problem || !active)
      throw new InvalidInputError(`model "${model.name}" cannot be retrained (${kind}): ${problem}`, { field: 'model' });
    const columns = withOverrides(trainingColumns(active) as TrainingColumns, overrides);
    const hyperparameters = this.families.parseHyperparameters(model.family, active.hyperparameters);
    const source = given ?? (await this.freshDataset(await this.datasets.getDataset(active.datasetId!)));
    let table = await this.datasets.loadTable(source);
    let previous: ModelArtifact | undefined;
    // An INCREMENTAL update continues the newest candidate that passed its gate, else the ACTIVE version.
    const base = kind === 'INCREMENTAL' ? ((await this.passedIncrementalCandidate(active)) ?? active) : active;
    if (kind === 'INCREMENTAL') {
      const after = payload.after ?? (base.trainingSpec?.dataEnd as CellValue | undefined);
      // A sequence model's first new window reads the rows before the new ones as its input.
      const context = this.families.get(model.family).kind === 'sequence' ? Number(hyperparameters.input_length) : 0;
      if (after != null) table = rowsAfter(table, columns.orderColumn, after, context);
      if (table.rowCount === 0) {
        ctx.log(`no rows after ${after} in dataset ${source.name}; nothing to learn`);
        return { skipped: true, reason: `no rows after ${after} in dataset ${source.name}`, datasetId: source.id, rows: 0 };
      }
      previous = await this.registry.loadArtifact(base);
    }
    // policy retraining.tune_on_full: a FULL job searches first (its trials in tuning_trials), then trains with the best trial's
    // hyperparameters.
    const tuned =
      kind === 'FULL'
        ? await this.fullTuner?.tuneForFull(ctx, { model, table, columns, hyperparameters, task: active.signature?.task })
        : null;
    const trained = await this.training.trainVersion(tuned?.ctx ?? ctx, {
      model,
      dataset: source,
      table,
      columns,
      hyperparameters: tuned?.hyperparameters ?? hyperparameters,
      source: kind === 'INCREMENTAL' ? 'UPDATED' : 'TRAINED',
      parentVersionId: base.id,
      previous,
      description: `${kind} retraining from version ${base.version}: ${ctx.job.reason}`,
      willRegister: async (trainedModel, set) => {
        const before = await this.scoreOnValidationTail(active, base === active ? previous : undefined, trainedModel, set);
        return async (tx, version) => {
          await tx.save(
            tx.create(LearningEventEntity, {
              registeredModelId: model.id,
              jobId: ctx.job.id,
              kind,
              trigger: ctx.job.trigger,
              reason: ctx.job.reason,
              datasetId: source.id,
              rowsUsed: set.kind === 'sequence' ? set.steps : set.rows,
              dataStart: (version.trainingSpec?.dataStart ?? null) as CellValue,
              dataEnd: (version.trainingSpec?.dataEnd ?? null) as CellValue,
              versionBeforeId: active.id,
              versionAfterId: version.id,
              metricsBefore: before,
              metricsAfter: version.metrics,
              metricChange: metricChange(before, version.metrics),
            }),
          );
        };
      },
    });
    const { version } = trained;
    return {
      modelVersionId: version.id,
      version: version.version,
      status: version.status,
      gate: version.gate,
      parentVersionId: base.id,
      datasetId: source.id,
      rows: trained.rows,
      droppedRows: trained.droppedRows,
      metrics: version.metrics,
      ...(tuned ? { tuning: tuned.summary } : {}),
    };
  };

  /**
   * What a retraining of `model` starts from (a TUNING search too): its ACTIVE version, the columns and
   * hyperparameters that version was trained with, and its dataset rebuilt with the data stored now.
   * Refuses a model that cannot be retrained, saying why.
   */
  async retrainingBasis(model: RegisteredModelEntity): Promise<RetrainingBasis> {
    const active = await this.assertRetrainable(model);
    return {
      active,
      columns: trainingColumns(active) as TrainingColumns,
      hyperparameters: this.families.parseHyperparameters(model.family, active.hyperparameters),
      dataset: await this.freshDataset(await this.datasets.getDataset(active.datasetId!)),
    };
  }

  /** Refuses, saying why, a model that cannot be retrained from its ACTIVE version; returns that version. */
  async assertRetrainable(model: RegisteredModelEntity): Promise<ModelVersionEntity> {
    const problem = await this.whyNotRetrainable('FULL', model);
    const active = await this.registry.activeVersion(model.id);
    if (problem || !active)
      throw new InvalidInputError(`expects a model that can be retrained, but "${model.name}" cannot: ${problem}`, { field: 'model' });
    return active;
  }

  async searchLearningEvents(filter: LearningEventFilter): Promise<Page<LearningEventEntity>> {
    const page = new KeysetPage<LearningEventEntity>(filter, { column: 'l.id', direction: 'DESC', text: (event) => event.id });
    const query = this.dataSource.getRepository(LearningEventEntity).createQueryBuilder('l');
    if (filter.model) {
      const model = await this.registry.getRegisteredModel(filter.model);
      query.andWhere('l.registered_model_id = :modelId', { modelId: model.id });
    }
    if (filter.kind?.length) query.andWhere('l.kind IN (:...kind)', { kind: filter.kind });
    return page.fetch(query);
  }

  /** The registered models among `names`, in their order; each unregistered name joins `skipped`. Refuses when none is registered. */
  private async namedModels(names: string[], skipped: RetrainingPlan['skipped']): Promise<RegisteredModelEntity[]> {
    const found = await this.dataSource.getRepository(RegisteredModelEntity).findBy({ name: In(names) });
    if (found.length === 0)
      throw new NotFoundError(`no registered model named ${names.map((name) => quote(name)).join(' or ')}`, { field: 'models' });
    const byName = new Map(found.map((model) => [model.name, model]));
    for (const name of names) if (!byName.has(name)) skipped.push({ model: name, reason: `no registered model named ${quote(name)}` });
    return names.flatMap((name) => byName.get(name) ?? []);
  }

  private async whyNotRetrainable(
    kind: RetrainingKind,
    model: RegisteredModelEntity,
    dataset?: DatasetEntity,
    overrides: ColumnOverrides = {},
  ): Promise<string | undefined> {
    const active = await this.registry.activeVersion(model.id);
    if (!active) return 'it has no ACTIVE version to retrain from';
    const trained = trainingColumns(active);
    if (typeof trained === 'string') return trained;
    const columns = withOverrides(trained, overrides);
    if (kind === 'INCREMENTAL' && !this.families.get(model.family).update)
      return `family ${model.family} cannot update a version incrementally`;
    if (!dataset && !active.datasetId) return `its ACTIVE version ${active.version} names no dataset`;
    if (dataset) {
      const present = new Set(dataset.columns.map((column) => column.name));
      const missing = [columns.targetColumn, columns.orderColumn, ...columns.featureColumns].filter((name) => !present.has(name));
      if (missing.length)
        return `dataset "${dataset.name}" lacks the columns ${missing.join(', ')} (the ACTIVE version's features, and the target and order columns)`;
    }
    return undefined;
  }

  /** Of `models`, those automatic learning by `trigger` may retrain now (all for MANUAL); each other joins `skipped` with why. */
  private async notHeld(trigger: JobTrigger, models: RegisteredModelEntity[], skipped: RetrainingPlan['skipped']) {
    if (trigger === 'MANUAL') return models;
    const held = await this.learningSwitch.heldFor(trigger);
    const paused = held ? new Map<string, string>() : await this.learningSwitch.pausedAmong(models.map((model) => model.id));
    return models.filter((model) => {
      const reason = held ?? paused.get(model.id);
      if (reason) skipped.push({ model: model.name, reason });
      return !reason;
    });
  }

  /** A QUEUED job of `kind` for the model that reads the model's own data (no dataset named). */
  private queuedJob(kind: RetrainingKind, registeredModelId: string): Promise<JobEntity | null> {
    return this.dataSource
      .getRepository(JobEntity)
      .createQueryBuilder('j')
      .where(`j.kind = :kind AND j.registered_model_id = :registeredModelId AND j.status = 'QUEUED' AND j.payload->>'dataset' IS NULL`, {
        kind,
        registeredModelId,
      })
      .orderBy('j.created_at', 'ASC')
      .getOne();
  }

  /**
   * The newest SHADOW version an INCREMENTAL job registered for `active`'s model since `active` was
   * activated, when the gate before SHADOW passed it against the ACTIVE version: the next update chains on
   * it (learning only the rows after its data) instead of forking another sibling from the ACTIVE one.
   */
  private async passedIncrementalCandidate(active: ModelVersionEntity): Promise<ModelVersionEntity | null> {
    const [row]: { id: string }[] = await this.dataSource.query(
      `SELECT v.id FROM model_versions v JOIN jobs j ON j.id = v.job_id
        WHERE v.registered_model_id = $1 AND v.status = 'SHADOW' AND j.kind = 'INCREMENTAL'
          AND (v.gate->>'passed')::boolean AND v.gate->>'compared' = 'true' AND v.created_at >= $2
        ORDER BY v.version DESC LIMIT 1`,
      [active.registeredModelId, active.activatedAt ?? active.createdAt],
    );
    return row ? this.registry.getModelVersion(row.id) : null;
  }

  /** `dataset` rebuilt with the latest data by the first materializer that knows its spec; else `dataset` itself. */
  private async freshDataset(dataset: DatasetEntity): Promise<DatasetEntity> {
    if (!dataset.spec) return dataset;
    for (const materializer of this.materializers) {
      const rebuilt = await materializer.rematerialize(dataset);
      if (rebuilt) return rebuilt;
    }
    return dataset;
  }

  /**
   * The version before, scored on the rows the new version was validated on (the latest
   * `reference.outcomes.count` rows of its training set, which it did not train on), so the learning
   * event compares both on the same rows. Empty when the new version holds out no rows.
   */
  private async scoreOnValidationTail(
    before: ModelVersionEntity,
    artifact: ModelArtifact | undefined,
    trained: TrainedModel,
    set: TabularTrainingSet | SequenceTrainingSet,
  ): Promise<Record<string, number>> {
    const tail = heldOutRows(trained);
    const task = before.signature?.task;
    // A sequence version's own metrics are per window; the version before is not rescored on them.
    if (tail === 0 || !isScoredTask(task) || set.kind !== 'tabular') return {};
    if (before.featureNames.join('\u0000') !== set.featureNames.join('\u0000')) return {};
    const predictor = await this.families.get(before.family).load(artifact ?? (await this.registry.loadArtifact(before)));
    try {
      return taskMetrics(task, await predictHeldOut(predictor, set, tail), heldOutTargets(set, tail));
    } finally {
      await predictor.dispose();
    }
  }
}

/** after − before for every metric both have. */
function metricChange(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(after)
      .filter((name) => name in before)
      .map((name) => [name, after[name] - before[name]]),
  );
}
