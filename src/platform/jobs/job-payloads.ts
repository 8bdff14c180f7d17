/**
 * The contract between the code that queues a job and the handler that works it: one zod schema per
 * job kind for its payload (the `jobs.payload` column).
 *
 *   - `JobsService.enqueue` takes for a kind only that kind's payload (`JobPayloadInput<K>`, checked
 *     by the compiler) and stores it as its schema parses it (defaults applied).
 *   - The worker parses the stored payload again before it calls the kind's handler, which gets the
 *     result as `JobContext.payload` (`JobPayload<K>`) and reads nothing else from `job.payload`. A
 *     payload that does not parse fails its job at once, without a retry and without reaching the
 *     handler: the job's error reads `INVALID_JOB_PAYLOAD: …`.
 *
 * A field belongs here only if the handler uses it; what a handler does not read is not written.
 * Unknown keys are dropped when a payload is parsed, so a payload stored before a field was removed
 * still parses. The time and retry limits of a job are columns of its row (job-limits.ts), not part
 * of its payload.
 */
import { z } from 'zod';
import type { JobEntity, JobKind } from '../../entities/job.entity';
import { MAX_RESAMPLES } from '../../lib/stats/block-bootstrap';
import { validationSchemeSchema } from '../../lib/validation-folds';

/** Most trials of a TUNING search (the ACTIVE version's own hyperparameters included). */
export const MAX_TUNING_TRIALS = 100;

const name = z.string().min(1);

/** TRAIN (trainModel): train `model` on dataset `datasetId` with the columns and hyperparameters given. */
const trainPayload = z.object({
  model: name,
  datasetId: name,
  /** A sequence model's first target. */
  targetColumn: name,
  /** A sequence model's forecast channels. */
  targetColumns: z.array(name).min(1).optional(),
  featureColumns: z.array(name).min(1),
  orderColumn: name,
  /** As the family's schema parsed them when the job was queued (its defaults applied). */
  hyperparameters: z.record(z.string(), z.unknown()),
  /** Promote the trained version to ACTIVE when it registers as SHADOW. */
  activate: z.boolean().default(false),
  description: z.string().default(''),
});

/**
 * FULL, PARTIAL and INCREMENTAL (requestRetraining, the learning trigger, drift and health answers):
 * retrain `model` from its ACTIVE version — on that version's dataset rebuilt with the data stored now
 * (FULL, PARTIAL; INCREMENTAL: only its rows after the ACTIVE version's data ended), or, for
 * INCREMENTAL, on `dataset`.
 */
const retrainingPayload = z.object({
  /** The registered model's name. */
  model: name,
  /** INCREMENTAL: a dataset (name or id) with the new rows, with the ACTIVE version's feature columns. */
  dataset: name.optional(),
  /** INCREMENTAL with `dataset`: its target column, when not the one the ACTIVE version was trained on. */
  targetColumn: name.optional(),
  /** INCREMENTAL with `dataset`: its order column, when not the one the ACTIVE version was trained on. */
  orderColumn: name.optional(),
  /** INCREMENTAL: learn only rows whose order value is after this one (default: where the ACTIVE version's data ended). */
  after: z.union([z.number(), z.string()]).optional(),
});

/** TUNING (tuneModel): a seeded random search of `trials` trials around `model`'s ACTIVE version. */
const tuningPayload = z.object({
  model: name,
  trials: z.number().int().min(2).max(MAX_TUNING_TRIALS),
  seed: z.number().int().min(0),
  /** How each trial is scored (default: policy retraining.tuning_scheme when the job runs). */
  scheme: validationSchemeSchema.optional(),
  /** The search starts no trial training after this many seconds (default: policy retraining.tuning_time_limit_seconds). */
  timeLimitSeconds: z.number().int().min(1).optional(),
});

/**
 * EVALUATE (evaluateModel): backtest version `version` of `model` on dataset `datasetId` — its columns
 * (the version's own unless overridden when queued), the validation scheme and the bootstrap settings.
 */
const evaluatePayload = z.object({
  model: name,
  version: z.number().int().min(1),
  datasetId: name,
  targetColumn: name,
  /** In the order of the version's features. */
  featureColumns: z.array(name).min(1),
  orderColumn: name,
  scheme: validationSchemeSchema,
  bootstrap: z.object({
    resamples: z.number().int().min(1).max(MAX_RESAMPLES),
    confidence: z.number().gt(0).lt(1),
    seed: z.string(),
    meanBlockLength: z.number().min(1).optional(),
  }),
  threshold: z.number().min(0).default(0),
  periodsPerYear: z.number().positive().default(252),
});

/** ARCHIVE (scheduled): archive the versions out of service for over `olderThanDays` days. */
const archivePayload = z.object({
  olderThanDays: z.number().int().min(1),
});

/** DRIFT_CHECK and RL_MAINTENANCE (scheduled sweeps): nothing; each works on whatever is there when it runs. */
const noPayload = z.object({});

/** The payload schema of each job kind. */
export const JOB_PAYLOADS = {
  TRAIN: trainPayload,
  FULL: retrainingPayload,
  PARTIAL: retrainingPayload,
  INCREMENTAL: retrainingPayload,
  TUNING: tuningPayload,
  ARCHIVE: archivePayload,
  DRIFT_CHECK: noPayload,
  RL_MAINTENANCE: noPayload,
  EVALUATE: evaluatePayload,
} as const satisfies Record<JobKind, z.ZodObject>;

/** A job's payload as its handler gets it (parsed). */
export type JobPayload<K extends JobKind = JobKind> = z.output<(typeof JOB_PAYLOADS)[K]>;

/** A job's payload as the code that queues it writes it (before defaults). */
export type JobPayloadInput<K extends JobKind = JobKind> = z.input<(typeof JOB_PAYLOADS)[K]>;

export type RetrainingPayload = JobPayload<'FULL' | 'PARTIAL' | 'INCREMENTAL'>;

/** The reason of the error a payload that does not parse fails its job with (and starts its message). */
export const INVALID_JOB_PAYLOAD = 'INVALID_JOB_PAYLOAD';

/**
 * `payload` parsed by `kind`'s schema, or why it does not parse: the first problem, as
 * `payload.<path>: <what zod says>` with `field` the path.
 */
export function parseJobPayload<K extends JobKind>(
  kind: K,
  payload: unknown,
): { ok: true; payload: JobPayload<K> } | { ok: false; problem: string; field: string } {
  const parsed = JOB_PAYLOADS[kind].safeParse(payload);
  if (parsed.success) return { ok: true, payload: parsed.data as JobPayload<K> };
  const issue = parsed.error.issues[0];
  const field = ['payload', ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])].join('.');
  return { ok: false, problem: `the payload of a ${kind} job does not parse: ${field}: ${issue.message}`, field };
}

/** The registered model a job works on, as its payload names it (training, retraining and tuning jobs); null for the sweeps. */
export function jobModelName(job: Pick<JobEntity, 'payload'>): string | null {
  return typeof job.payload.model === 'string' ? job.payload.model : null;
}
