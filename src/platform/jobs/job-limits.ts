/**
 * The time and retry limits of each job kind, in one place. `JobsService.enqueue` writes them into
 * the job's row (`time_limit_seconds`, `retry_limit`) from the policy in force when the job is queued;
 * from then on the worker, the reaper and the API read them from the row only, so a job keeps the
 * limits it was queued with whatever the policy says later.
 *
 *   kind                          time limit                                    retries
 *   TRAIN, FULL, PARTIAL, TUNING  policy retraining.full_time_limit_seconds        policy retraining.retry_limit
 *   EVALUATE (a backtest)         policy retraining.full_time_limit_seconds        policy retraining.retry_limit
 *   INCREMENTAL                   policy retraining.incremental_time_limit_seconds policy retraining.retry_limit
 *   DRIFT_CHECK                   900 s (SWEEP_TIME_LIMIT_SECONDS)                 policy retraining.retry_limit
 *   ARCHIVE                       3600 s (SWEEP_TIME_LIMIT_SECONDS)                policy retraining.retry_limit
 *   RL_MAINTENANCE                300 s (SWEEP_TIME_LIMIT_SECONDS)                 policy retraining.retry_limit
 */
import type { Policy } from '../../config/policy';
import type { JobKind } from '../../entities/job.entity';

export interface JobLimits {
  /** Seconds an attempt may run before it is stopped (and failed, without a retry). */
  timeLimitSeconds: number;
  /** Further attempts after a failed or lost one. */
  retryLimit: number;
}

/**
 * The scheduled sweeps' time limits. They are no training, so the retraining section's limits do not
 * fit them (a policy that gives trainings a minute must not stop the monthly archive); no policy
 * setting says more yet. DRIFT_CHECK reads a window of predictions and outcomes per model and tests
 * every feature; ARCHIVE moves the artifact files of every version it archives (on S3, a copy and a
 * delete each); RL_MAINTENANCE registers the few snapshots left pending.
 */
export const SWEEP_TIME_LIMIT_SECONDS = { DRIFT_CHECK: 900, ARCHIVE: 3600, RL_MAINTENANCE: 300 } as const;

/** The limits a job of `kind` is queued with under `policy`. */
export function jobLimits(kind: JobKind, policy: Pick<Policy, 'retraining'>): JobLimits {
  const { full_time_limit_seconds: full, incremental_time_limit_seconds: incremental, retry_limit: retryLimit } = policy.retraining;
  const timeLimitSeconds: Record<JobKind, number> = {
    TRAIN: full,
    FULL: full,
    PARTIAL: full,
    TUNING: full,
    INCREMENTAL: incremental,
    EVALUATE: full,
    ...SWEEP_TIME_LIMIT_SECONDS,
  };
  return { timeLimitSeconds: timeLimitSeconds[kind], retryLimit };
}
