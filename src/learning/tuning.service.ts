/**
 * Hyperparameter tuning (`tuneModel`, a TUNING job): a seeded random search over the family's
 * SearchSpace around the ACTIVE version's training — its dataset rebuilt with the data stored now, its
 * columns, its hyperparameters as the base and as trial 1 — scoring each trial by the validation loss
 * the family reports on the time-ordered validation tail (rmse for regression, logloss for binary).
 * The best trial is trained once more and registered as a SHADOW version (parent: the ACTIVE one), so
 * it must still beat the ACTIVE version on live outcomes before the shadow tester promotes it.
 *
 * The job's result lists every trial (its sampled hyperparameters and validation figures) and the
 * best; its progress runs over the trials and the final training.
 */
import seedrandom from 'seedrandom';
import { z } from 'zod';
import type { JobEntity } from '../entities/job.entity';
import { toTrainingSet } from '../lib/dataset-table';
import { InvalidInputError } from '../lib/errors';
import { sampleHyperparameters } from '../plugins/base/search-space';
import type { FamilyRegistry } from '../plugins';
import type { DatasetsService } from '../registry/datasets.service';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { RegistryService } from '../registry/registry.service';
import type { RetrainingService } from './retraining.service';
import type { TrainingService } from './training.service';

export const DEFAULT_TRIALS = 12;
export const MAX_TRIALS = 100;

export interface TuneModelRequest {
  model: string;
  /** Trials including the ACTIVE version's own hyperparameters; default 12. */
  trials?: number | null;
  /** Seed of the search; default 0. */
  seed?: number | null;
}

const tuningPayloadSchema = z.looseObject({
  model: z.string().min(1),
  trials: z.number().int().min(2).max(MAX_TRIALS),
  seed: z.number().int().min(0),
});

export interface TuningTrial {
  trial: number;
  /** The sampled hyperparameters (empty for trial 1, the ACTIVE version's own). */
  sampled: Record<string, unknown>;
  loss: number;
  metrics: Record<string, number>;
}

/** The validation loss a trial is ranked by: lower is better. */
function lossMetric(task: string | undefined): 'rmse' | 'logloss' {
  return task === 'binary' ? 'logloss' : 'rmse';
}

export class TuningService {
  constructor(
    private readonly registry: RegistryService,
    private readonly datasets: DatasetsService,
    private readonly jobs: JobsService,
    private readonly training: TrainingService,
    private readonly retraining: RetrainingService,
    private readonly families: FamilyRegistry,
    private readonly policy: PolicyService,
  ) {}

  /** Validates the request (nothing is queued when it is refused) and queues the TUNING job. */
  async tuneModel(request: TuneModelRequest): Promise<JobEntity> {
    const trials = request.trials ?? DEFAULT_TRIALS;
    if (!Number.isInteger(trials) || trials < 2 || trials > MAX_TRIALS) {
      throw new InvalidInputError(`expects trials to be a whole number from 2 to ${MAX_TRIALS}, but got ${trials}`, { field: 'trials' });
    }
    const seed = request.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw new InvalidInputError(`expects seed to be a whole number ≥ 0, but got ${seed}`, { field: 'seed' });
    const model = await this.registry.getRegisteredModel(request.model);
    const family = this.families.get(model.family);
    if (family.kind !== 'tabular' || !family.searchSpace) {
      throw new InvalidInputError(`expects a model of a tabular family with a search space, but "${model.name}" is ${model.family} (${family.kind})`, { field: 'model' });
    }
    await this.retraining.assertRetrainable(model);
    const { retraining } = (await this.policy.current()).document;
    return this.jobs.enqueue({
      kind: 'TUNING',
      trigger: 'MANUAL',
      reason: `tune ${model.name} over ${trials} trials (seed ${seed})`,
      registeredModelId: model.id,
      modelName: model.name,
      payload: { model: model.name, trials, seed },
      timeLimitSeconds: retraining.full_time_limit_seconds,
      retryLimit: retraining.retry_limit,
    });
  }

  /** The TUNING job handler. */
  readonly runTuningJob = async (ctx: JobContext): Promise<Record<string, unknown>> => {
    const parsed = tuningPayloadSchema.safeParse(ctx.job.payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInputError(`job payload ${issue.path.join('.')}: ${issue.message}`, { field: `payload.${issue.path.join('.')}` });
    }
    const { trials, seed } = parsed.data;
    const model = await this.registry.getRegisteredModel(parsed.data.model);
    const family = this.families.get(model.family);
    const basis = await this.retraining.retrainingBasis(model);
    const table = await this.datasets.loadTable(basis.dataset);
    const { columns } = basis;
    const trainingSet = () => toTrainingSet(table, { target: columns.targetColumn, features: columns.featureColumns, orderBy: columns.orderColumn }).set;
    const random = seedrandom(`kybernet:tuning:${seed}`);
    const metric = lossMetric(basis.active.signature?.task);
    const steps = trials + 1;

    const results: (TuningTrial & { hyperparameters: Record<string, unknown> })[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      const sampled = trial === 1 ? {} : (sampleHyperparameters(family.searchSpace ?? {}, random) as Record<string, unknown>);
      const hyperparameters = this.families.parseHyperparameters(model.family, { ...basis.hyperparameters, ...sampled });
      const trained = await this.training.trainUnregistered(model.family, trainingSet(), hyperparameters, {
        signal: ctx.signal,
        onProgress: (fraction) => ctx.progress((trial - 1 + fraction) / steps, `trial ${trial}/${trials}`),
        onLog: ctx.log,
      });
      const loss = trained.metrics[metric];
      if (!Number.isFinite(loss)) throw new Error(`trial ${trial} reported no validation ${metric}; a search needs a validation tail (validation_fraction > 0)`);
      results.push({ trial, sampled, loss, metrics: trained.metrics, hyperparameters });
      ctx.log(`trial ${trial}/${trials}: validation ${metric} ${loss.toPrecision(6)} ${JSON.stringify(sampled)}`);
    }
    const best = results.reduce((a, b) => (b.loss < a.loss ? b : a));
    const trained = await this.training.trainVersion(
      { ...ctx, progress: (fraction, message) => ctx.progress((trials + fraction) / steps, message) },
      {
        model,
        dataset: basis.dataset,
        table,
        columns,
        hyperparameters: best.hyperparameters,
        source: 'TRAINED',
        parentVersionId: basis.active.id,
        description: `TUNING: trial ${best.trial} of ${trials} (validation ${metric} ${best.loss.toPrecision(6)}; trial 1, the ACTIVE version's hyperparameters: ${results[0].loss.toPrecision(6)})`,
      },
    );
    return {
      modelVersionId: trained.version.id,
      version: trained.version.version,
      status: trained.version.status,
      datasetId: basis.dataset.id,
      metric,
      best: { trial: best.trial, loss: best.loss, hyperparameters: best.hyperparameters },
      trials: results.map(({ trial, sampled, loss, metrics }) => ({ trial, sampled, loss, metrics })),
    };
  };
}
