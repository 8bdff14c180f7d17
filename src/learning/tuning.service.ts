/**
 * Hyperparameter tuning (`tuneModel`, a TUNING job; and a FULL retraining with policy
 * retraining.tune_on_full): a seeded random search over the family's SearchSpace around the ACTIVE
 * version's training — its dataset rebuilt with the data stored now, its columns, its hyperparameters as
 * the base and as trial 1.
 *
 * Scoring (tabular families): each trial is trained per fold of the validation scheme (the request's, else
 * policy retraining.tuning_scheme; lib/validation-folds over the labelled rows in time order) on the fold's
 * train rows and scored on its test rows — rmse, or logloss for a binary model; the trial's loss is the mean
 * over the folds. A sequence family is scored by the validation loss it reports on its own validation tail
 * (one "fold"; a scheme is refused for it).
 *
 * Successive halving: with K rungs (⌈log2 trials⌉, at most 4, 1 for a family without a budget parameter)
 * every trial first trains with 1/2^(K−1) of its budget (`num_boost_round` of a tabular family, `max_epochs`
 * of a sequence one); after each rung the better half (ranked by loss, then trial number) continues with
 * twice the budget and the rest are pruned at that rung. The best trial is the lowest loss at the last rung
 * reached. Sampling happens before any training, so a seed gives the same trials in the same order.
 * A search starts no training after its time limit; the trials it did not score at a rung stay at the one before.
 *
 * Every trial is a row of `tuning_trials` (written as each rung of it finishes; `tuningTrials(jobId)`).
 * The best trial is trained once more on every row and registered (through the gate before SHADOW) as a
 * SHADOW version whose parent is the ACTIVE one; the job's result lists every trial and the best.
 */
import seedrandom from 'seedrandom';
import type { DataSource } from 'typeorm';
import type { JobEntity } from '../entities/job.entity';
import { TuningTrialEntity } from '../entities/tuning-trial.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import type { Policy } from '../config/policy';
import { toTrainingSet, type DatasetTable } from '../lib/dataset-table';
import { InvalidInputError, KybernetError } from '../lib/errors';
import { logloss, rmse } from '../lib/metrics';
import {
  parseValidationSchemeRequest,
  validationFolds,
  type RowRange,
  type ValidationFold,
  type ValidationScheme,
  type ValidationSchemeRequest,
} from '../lib/validation-folds';
import { sampleHyperparameters } from '../plugins/base/search-space';
import type { TabularTrainingSet } from '../plugins/contract';
import type { FamilyRegistry } from '../plugins';
import type { DatasetsService } from '../registry/datasets.service';
import { MAX_TUNING_TRIALS } from '../platform/jobs/job-payloads';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { RegistryService } from '../registry/registry.service';
import type { RetrainingService } from './retraining.service';
import type { TrainedColumns, TrainingService } from './training.service';

/** The most rungs of the successive halving. */
const MAX_RUNGS = 4;
/** The fewest train and test rows a fold of a tuning scheme may have. */
export const TUNING_MINIMUM_ROWS = { train: 20, test: 2 };

export interface TuneModelRequest {
  model: string;
  /** Trials including the ACTIVE version's own hyperparameters; default policy retraining.tuning_trials. */
  trials?: number | null;
  /** Seed of the search; default 0. */
  seed?: number | null;
  /** How a trial is scored; default policy retraining.tuning_scheme. */
  scheme?: ValidationSchemeRequest | null;
}

export interface TuningTrial {
  trial: number;
  /** The sampled hyperparameters (empty for trial 1, the ACTIVE version's own). */
  sampled: Record<string, unknown>;
  /** The mean of foldLosses: lower is better. */
  loss: number;
  foldLosses: number[];
  /** The last rung it trained at (0 = the first). */
  rung: number;
  /** Boosting rounds or epochs at that rung (null without a budget parameter). */
  budget: number | null;
  pruned: boolean;
  durationMs: number;
}

export interface TuningSearch {
  metric: 'rmse' | 'logloss';
  scheme: ValidationScheme | null;
  folds: number;
  budgetParameter: string | null;
  rungs: { rung: number; trials: number }[];
  timedOut: boolean;
  best: { trial: number; loss: number; hyperparameters: Record<string, unknown> };
  trials: (TuningTrial & { hyperparameters: Record<string, unknown> })[];
}

export interface SearchInput {
  model: RegisteredModelEntity;
  table: DatasetTable;
  columns: TrainedColumns;
  hyperparameters: Record<string, unknown>;
  /** The task of the ACTIVE version ('binary' ranks by logloss). */
  task: string | undefined;
  trials: number;
  seed: number;
  scheme: ValidationScheme;
  timeLimitSeconds: number;
}

/** The validation loss a trial is ranked by: lower is better. */
function lossMetric(task: string | undefined): 'rmse' | 'logloss' {
  return task === 'binary' ? 'logloss' : 'rmse';
}

/** The folds of `scheme` over `rows` rows; a scheme that does not fit is refused naming `<prefix>.<field>`. */
export function tuningFolds(rows: number, scheme: ValidationScheme, prefix = 'scheme'): ValidationFold[] {
  try {
    return validationFolds(rows, scheme, TUNING_MINIMUM_ROWS);
  } catch (error) {
    if (error instanceof KybernetError && error.code === 'BAD_USER_INPUT') {
      const field = `${prefix}.${typeof error.details?.field === 'string' ? error.details.field : 'folds'}`;
      throw new InvalidInputError(`${prefix}.${error.message}`, { field });
    }
    throw error;
  }
}

/** Rungs of the successive halving for `trials` trials of budget `budget` (1 when there is no budget to halve). */
export function rungCount(trials: number, budget: number | null): number {
  if (budget === null || budget < 2) return 1;
  return Math.max(1, Math.min(MAX_RUNGS, Math.ceil(Math.log2(trials)), Math.floor(Math.log2(budget)) + 1));
}

/** The budget of rung `rung` of `rungs` for a trial of full budget `budget`. */
export function rungBudget(budget: number, rung: number, rungs: number): number {
  return Math.max(1, Math.round(budget / 2 ** (rungs - 1 - rung)));
}

/** The rows of `ranges` of `set`, copied (a training thread takes the buffers it is given). */
function rowsOf(set: TabularTrainingSet, ranges: readonly RowRange[]): TabularTrainingSet {
  const width = set.featureNames.length;
  const rows = ranges.reduce((sum, [start, end]) => sum + end - start, 0);
  const features = new Float32Array(rows * width);
  const target = new Float32Array(rows);
  let at = 0;
  for (const [start, end] of ranges) {
    features.set(set.features.subarray(start * width, end * width), at * width);
    target.set(set.target.subarray(start, end), at);
    at += end - start;
  }
  return { kind: 'tabular', featureNames: set.featureNames, features, target, rows };
}

export class TuningService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly datasets: DatasetsService,
    private readonly jobs: JobsService,
    private readonly training: TrainingService,
    private readonly retraining: RetrainingService,
    private readonly families: FamilyRegistry,
    private readonly policy: { document(): Promise<Policy> },
  ) {}

  /** Validates the request (nothing is queued when it is refused) and queues the TUNING job. */
  async tuneModel(request: TuneModelRequest): Promise<JobEntity> {
    const policy = (await this.policy.document()).retraining;
    const trials = request.trials ?? policy.tuning_trials;
    if (!Number.isInteger(trials) || trials < 2 || trials > MAX_TUNING_TRIALS) {
      throw new InvalidInputError(`expects trials to be a whole number from 2 to ${MAX_TUNING_TRIALS}, but got ${trials}`, {
        field: 'trials',
      });
    }
    const seed = request.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0)
      throw new InvalidInputError(`expects seed to be a whole number ≥ 0, but got ${seed}`, { field: 'seed' });
    const given = request.scheme ? parseValidationSchemeRequest(request.scheme) : undefined;
    const model = await this.registry.getRegisteredModel(request.model);
    const family = this.families.get(model.family);
    if (family.kind === 'policy' || !family.searchSpace) {
      throw new InvalidInputError(
        `expects a model of a tabular or sequence family with a search space, but "${model.name}" is ${model.family} (${family.kind})`,
        { field: 'model' },
      );
    }
    if (given && family.kind === 'sequence') {
      throw new InvalidInputError(
        `expects no scheme for a sequence model: "${model.name}" (${model.family}) is scored on its own validation tail (validation_fraction)`,
        { field: 'scheme' },
      );
    }
    const active = await this.retraining.assertRetrainable(model);
    const scheme = given ?? policy.tuning_scheme;
    if (family.kind === 'tabular') {
      // The labelled rows are known once the table is loaded (in the job); the dataset's rows bound them.
      const dataset = await this.datasets.getDataset(active.datasetId!);
      tuningFolds(dataset.rowCount, scheme, given ? 'scheme' : 'policy retraining.tuning_scheme');
    }
    return this.jobs.enqueue({
      kind: 'TUNING',
      trigger: 'MANUAL',
      reason: `tune ${model.name} over ${trials} trials (seed ${seed})`,
      registeredModelId: model.id,
      modelName: model.name,
      payload: { model: model.name, trials, seed, scheme, timeLimitSeconds: policy.tuning_time_limit_seconds },
    });
  }

  /** The trials of the TUNING job `jobId` (or of a FULL retraining that tuned first), by trial number. */
  async tuningTrials(jobId: string): Promise<TuningTrialEntity[]> {
    await this.jobs.getJob(jobId);
    return this.dataSource.getRepository(TuningTrialEntity).find({ where: { jobId }, order: { trial: 'ASC' } });
  }

  /** The TUNING job handler. */
  readonly runTuningJob = async (ctx: JobContext<'TUNING'>): Promise<Record<string, unknown>> => {
    const { trials, seed } = ctx.payload;
    const policy = (await this.policy.document()).retraining;
    const model = await this.registry.getRegisteredModel(ctx.payload.model);
    const basis = await this.retraining.retrainingBasis(model);
    const table = await this.datasets.loadTable(basis.dataset);
    const { columns } = basis;
    const search = await this.search(
      { ...ctx, progress: (fraction, message) => ctx.progress(fraction * 0.9, message) },
      {
        model,
        table,
        columns,
        hyperparameters: basis.hyperparameters,
        task: basis.active.signature?.task,
        trials,
        seed,
        scheme: ctx.payload.scheme ?? policy.tuning_scheme,
        timeLimitSeconds: ctx.payload.timeLimitSeconds ?? policy.tuning_time_limit_seconds,
      },
    );
    const { best, metric } = search;
    const trained = await this.training.trainVersion(
      { ...ctx, progress: (fraction, message) => ctx.progress(0.9 + fraction * 0.1, message) },
      {
        model,
        dataset: basis.dataset,
        table,
        columns,
        hyperparameters: best.hyperparameters,
        source: 'TRAINED',
        parentVersionId: basis.active.id,
        description:
          `TUNING: trial ${best.trial} of ${trials} (mean ${metric} over ${search.folds} folds ${best.loss.toPrecision(6)}; ` +
          `trial 1, the ACTIVE version's hyperparameters: ${search.trials[0].loss.toPrecision(6)} at rung ${search.trials[0].rung})`,
      },
    );
    return {
      modelVersionId: trained.version.id,
      version: trained.version.version,
      status: trained.version.status,
      gate: trained.version.gate,
      datasetId: basis.dataset.id,
      ...search,
    };
  };

  /**
   * The search of a FULL retraining with policy retraining.tune_on_full (RetrainingService.runRetrainingJob):
   * `tuning_trials` trials (seed 0) scored by `tuning_scheme` within `tuning_time_limit_seconds`, kept in
   * tuning_trials under the FULL job's id. Gives the best trial's hyperparameters, the job context for the
   * training that follows (its progress after the search's), and the search's summary for the job's result;
   * null when tune_on_full is off or the family has no search space.
   */
  async tuneForFull(
    ctx: JobContext,
    input: {
      model: RegisteredModelEntity;
      table: DatasetTable;
      columns: TrainedColumns;
      hyperparameters: Record<string, unknown>;
      task: string | undefined;
    },
  ): Promise<{ hyperparameters: Record<string, unknown>; ctx: JobContext; summary: Record<string, unknown> } | null> {
    const policy = (await this.policy.document()).retraining;
    const family = this.families.get(input.model.family);
    if (!policy.tune_on_full || family.kind === 'policy' || !family.searchSpace) return null;
    const search = await this.search(
      { ...ctx, progress: (fraction, message) => ctx.progress(fraction * 0.8, message) },
      {
        ...input,
        trials: policy.tuning_trials,
        seed: 0,
        scheme: policy.tuning_scheme,
        timeLimitSeconds: policy.tuning_time_limit_seconds,
      },
    );
    const { best } = search;
    ctx.log(`tune_on_full: trial ${best.trial} of ${search.trials.length} is best (mean ${search.metric} ${best.loss.toPrecision(6)})`);
    return {
      hyperparameters: best.hyperparameters,
      ctx: { ...ctx, progress: (fraction, message) => ctx.progress(0.8 + fraction * 0.2, message) },
      summary: {
        metric: search.metric,
        scheme: search.scheme,
        folds: search.folds,
        rungs: search.rungs,
        timedOut: search.timedOut,
        best: search.best,
        trials: search.trials.length,
        pruned: search.trials.filter((trial) => trial.pruned).length,
      },
    };
  }

  /** The seeded search with successive halving (the rules at the top of this file); every trial kept in tuning_trials. */
  async search(ctx: JobContext, input: SearchInput): Promise<TuningSearch> {
    const { model, trials } = input;
    const family = this.families.get(model.family);
    const kind = family.kind;
    const metric = lossMetric(input.task);
    const started = Date.now();
    const deadline = started + input.timeLimitSeconds * 1000;
    const repository = this.dataSource.getRepository(TuningTrialEntity);
    await repository.delete({ jobId: ctx.job.id }); // an earlier attempt's trials

    // Every trial sampled before any training: the same seed gives the same trials in the same order.
    const random = seedrandom(`kybernet:tuning:${input.seed}`);
    const candidates = Array.from({ length: trials }, (_, i) => {
      const sampled = i === 0 ? {} : (sampleHyperparameters(family.searchSpace ?? {}, random) as Record<string, unknown>);
      return {
        trial: i + 1,
        sampled,
        hyperparameters: this.families.parseHyperparameters(model.family, { ...input.hyperparameters, ...sampled }),
      };
    });
    const budgetKey = kind === 'sequence' ? 'max_epochs' : 'num_boost_round';
    const budgetOf = (hyperparameters: Record<string, unknown>) =>
      typeof hyperparameters[budgetKey] === 'number' ? (hyperparameters[budgetKey] as number) : null;
    const budgetParameter = candidates.every((candidate) => budgetOf(candidate.hyperparameters) !== null) ? budgetKey : null;
    const rungs = rungCount(trials, budgetParameter ? Math.min(...candidates.map((c) => budgetOf(c.hyperparameters)!)) : null);

    let set: TabularTrainingSet | null = null;
    let folds: ValidationFold[] = [];
    let scheme: ValidationScheme | null = null;
    if (kind === 'tabular') {
      set = toTrainingSet(input.table, {
        target: input.columns.targetColumn,
        features: input.columns.featureColumns,
        orderBy: input.columns.orderColumn,
      }).set;
      scheme = input.scheme;
      folds = tuningFolds(set.rows, scheme);
    }
    const foldCount = kind === 'tabular' ? folds.length : 1;
    const counts: number[] = [];
    for (let rung = 0, n = trials; rung < rungs; rung++, n = Math.ceil(n / 2)) counts.push(n);
    const steps = counts.reduce((a, b) => a + b, 0) * foldCount;
    let done = 0;

    /** The loss of each fold for `hyperparameters`. */
    const score = async (trial: number, rung: number, hyperparameters: Record<string, unknown>): Promise<number[]> => {
      const label = `trial ${trial}/${trials}, rung ${rung + 1}/${rungs}`;
      const callbacks = (fold: number) => ({
        signal: ctx.signal,
        onProgress: (fraction: number) =>
          ctx.progress((done + fraction) / steps, `${label}${foldCount > 1 ? `, fold ${fold}/${foldCount}` : ''}`),
        onLog: ctx.log,
      });
      if (!set) {
        const trained = await this.training.trainUnregistered(
          model.family,
          this.training.trainingSet(model.family, input.table, input.columns, hyperparameters).set,
          hyperparameters,
          callbacks(1),
        );
        done++;
        const loss = trained.metrics[metric];
        if (!Number.isFinite(loss))
          throw new Error(`${label} reported no validation ${metric}; a search needs a validation tail (validation_fraction > 0)`);
        return [loss];
      }
      const losses: number[] = [];
      for (const fold of folds) {
        const trained = await this.training.trainUnregistered(model.family, rowsOf(set, fold.train), hyperparameters, callbacks(fold.fold));
        const test = rowsOf(set, [fold.test]);
        const predictor = await family.load(trained.artifact);
        let predictions: Float32Array;
        try {
          const outputs = await predictor.predict(test.features, test.rows);
          const stride = predictor.signature.outputs.length;
          predictions = Float32Array.from({ length: test.rows }, (_, r) => outputs[r * stride]);
        } finally {
          await predictor.dispose();
        }
        losses.push(metric === 'logloss' ? logloss(predictions, test.target) : rmse(predictions, test.target));
        done++;
      }
      return losses;
    };

    const results = new Map<number, TuningTrial & { hyperparameters: Record<string, unknown> }>();
    const save = (result: TuningTrial & { hyperparameters: Record<string, unknown> }) =>
      repository.save(
        repository.create({
          jobId: ctx.job.id,
          trial: result.trial,
          registeredModelId: model.id,
          sampled: result.sampled,
          hyperparameters: result.hyperparameters,
          foldLosses: result.foldLosses,
          loss: result.loss,
          rung: result.rung,
          budget: result.budget,
          pruned: result.pruned,
          durationMs: result.durationMs,
          updatedAt: new Date(),
        }),
      );
    let alive = candidates;
    let timedOut = false;
    for (let rung = 0; rung < rungs && !timedOut; rung++) {
      const scored: typeof alive = [];
      for (const candidate of alive) {
        if (Date.now() > deadline) {
          timedOut = true;
          ctx.log(`tuning: the time limit of ${input.timeLimitSeconds} s passed; ranking the trials scored so far`);
          break;
        }
        const fullBudget = budgetParameter ? budgetOf(candidate.hyperparameters)! : null;
        const budget = fullBudget === null ? null : rungBudget(fullBudget, rung, rungs);
        const hyperparameters = budget === null ? candidate.hyperparameters : { ...candidate.hyperparameters, [budgetKey]: budget };
        const began = Date.now();
        const foldLosses = await score(candidate.trial, rung, hyperparameters);
        const loss = foldLosses.reduce((a, b) => a + b, 0) / foldLosses.length;
        const result = {
          trial: candidate.trial,
          sampled: candidate.sampled,
          hyperparameters: candidate.hyperparameters,
          loss,
          foldLosses,
          rung,
          budget,
          pruned: false,
          durationMs: (results.get(candidate.trial)?.durationMs ?? 0) + (Date.now() - began),
        };
        results.set(candidate.trial, result);
        await save(result);
        scored.push(candidate);
        ctx.log(
          `trial ${candidate.trial}/${trials} rung ${rung + 1}/${rungs}${budget === null ? '' : ` (${budgetKey} ${budget})`}: ` +
            `mean ${metric} ${loss.toPrecision(6)} ${JSON.stringify(candidate.sampled)}`,
        );
      }
      if (rung < rungs - 1 && !timedOut) {
        // The better half continues with twice the budget; the rest are pruned at this rung.
        const ranked = [...scored].sort((a, b) => results.get(a.trial)!.loss - results.get(b.trial)!.loss || a.trial - b.trial);
        alive = ranked.slice(0, Math.ceil(alive.length / 2)).sort((a, b) => a.trial - b.trial);
        const continuing = new Set(alive.map((candidate) => candidate.trial));
        for (const candidate of scored) {
          if (continuing.has(candidate.trial)) continue;
          results.get(candidate.trial)!.pruned = true;
          await save(results.get(candidate.trial)!);
        }
      }
    }
    if (timedOut) {
      // Stopped by the time limit: every trial short of the last rung is pruned where it stands.
      for (const result of results.values()) {
        if (result.rung < rungs - 1 && !result.pruned) {
          result.pruned = true;
          await save(result);
        }
      }
    }

    const all = [...results.values()].sort((a, b) => a.trial - b.trial);
    const top = Math.max(...all.map((result) => result.rung));
    const best = all.filter((result) => result.rung === top).reduce((a, b) => (b.loss < a.loss ? b : a));
    return {
      metric,
      scheme,
      folds: foldCount,
      budgetParameter,
      rungs: counts.map((n, rung) => ({ rung, trials: all.filter((result) => result.rung >= rung).length })),
      timedOut,
      best: { trial: best.trial, loss: best.loss, hyperparameters: best.hyperparameters },
      trials: all,
    };
  }
}
