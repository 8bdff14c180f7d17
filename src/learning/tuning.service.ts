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
import type { JobEntity } from '../entities/job.entity';
import { InvalidInputError } from '../lib/errors';
import { sampleHyperparameters } from '../plugins/base/search-space';
import type { FamilyRegistry } from '../plugins';
import type { DatasetsService } from '../registry/datasets.service';
import { MAX_TUNING_TRIALS } from '../platform/jobs/job-payloads';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { RegistryService } from '../registry/registry.service';
import type { RetrainingService } from './retraining.service';
import type { TrainingService } from './training.service';

const DEFAULT_TRIALS = 12;

export interface TuneModelRequest {
  model: string;
  /** Trials including the ACTIVE version's own hyperparameters; default 12. */
  trials?: number | null;
  /** Seed of the search; default 0. */
  seed?: number | null;
}

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
  ) {}

  /** Validates the request (nothing is queued when it is refused) and queues the TUNING job. */
  async tuneModel(request: TuneModelRequest): Promise<JobEntity> {
    const trials = request.trials ?? DEFAULT_TRIALS;
    if (!Number.isInteger(trials) || trials < 2 || trials > MAX_TUNING_TRIALS) {
      throw new InvalidInputError(`expects trials to be a whole number from 2 to ${MAX_TUNING_TRIALS}, but got ${trials}`, {
        field: 'trials',
      });
    }
    const seed = request.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0)
      throw new InvalidInputError(`expects seed to be a whole number ≥ 0, but got ${seed}`, { field: 'seed' });
    const model = await this.registry.getRegisteredModel(request.model);
    const family = this.families.get(model.family);
    if (family.kind === 'policy' || !family.searchSpace) {
      throw new InvalidInputError(
        `expects a model of a tabular or sequence family with a search space, but "${model.name}" is ${model.family} (${family.kind})`,
        { field: 'model' },
      );
    }
    await this.retraining.assertRetrainable(model);
    return this.jobs.enqueue({
      kind: 'TUNING',
      trigger: 'MANUAL',
      reason: `tune ${model.name} over ${trials} trials (seed ${seed})`,
      registeredModelId: model.id,
      modelName: model.name,
      payload: { model: model.name, trials, seed },
    });
  }

  /** The TUNING job handler. */
  readonly runTuningJob = async (ctx: JobContext<'TUNING'>): Promise<Record<string, unknown>> => {
    const { trials, seed } = ctx.payload;
    const model = await this.registry.getRegisteredModel(ctx.payload.model);
    const family = this.families.get(model.family);
    const basis = await this.retraining.retrainingBasis(model);
    const table = await this.datasets.loadTable(basis.dataset);
    const { columns } = basis;
    // Built again for each trial: its buffers move to the training thread (and a sequence set's windowing is the trial's).
    const trainingSet = (hyperparameters: Record<string, unknown>) =>
      this.training.trainingSet(model.family, table, columns, hyperparameters).set;
    const random = seedrandom(`kybernet:tuning:${seed}`);
    const metric = lossMetric(basis.active.signature?.task);
    const steps = trials + 1;

    const results: (TuningTrial & { hyperparameters: Record<string, unknown> })[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      const sampled = trial === 1 ? {} : (sampleHyperparameters(family.searchSpace ?? {}, random) as Record<string, unknown>);
      const hyperparameters = this.families.parseHyperparameters(model.family, { ...basis.hyperparameters, ...sampled });
      const trained = await this.training.trainUnregistered(model.family, trainingSet(hyperparameters), hyperparameters, {
        signal: ctx.signal,
        onProgress: (fraction) => ctx.progress((trial - 1 + fraction) / steps, `trial ${trial}/${trials}`),
        onLog: ctx.log,
      });
      const loss = trained.metrics[metric];
      if (!Number.isFinite(loss))
        throw new Error(`trial ${trial} reported no validation ${metric}; a search needs a validation tail (validation_fraction > 0)`);
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
