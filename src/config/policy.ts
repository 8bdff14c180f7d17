/**
 * The policy: one versioned document (shaped like the seeds' clm_config) that says when to retrain,
 * when a shadow may replace the active model, how drift and health are judged, how the RL agents learn
 * and which risk limits bound every sizing answer. Stored in the `policies` table; `updatePolicy` takes
 * a partial document, merged over the current one and validated whole. Unknown keys are refused, and so
 * are settings out of order with their partner (ORDERED_SETTINGS: min_samples above max_samples, a critical
 * threshold past its warning one, …) and intervals or limits a timer cannot hold.
 */
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { validationSchemeSchema } from '../lib/validation-folds';

const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
/** Hours between the firings of a scheduled task: at least 0.01 (36 s), at most a year. */
const intervalHours = positive.min(0.01).max(8760);
/** A job's time limit: at most a week (longer would overflow the timer that enforces it). */
const timeLimitSeconds = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);
/** Rows a window reads at once. */
const MAX_WINDOW_ROWS = 1_000_000;
const cron = z
  .string()
  .regex(/^(\S+\s+){4}\S+$/, 'expects a five-field cron expression (minute hour day-of-month month day-of-week)')
  .refine((expression) => validateCron(expression), 'expects a valid cron expression (minute hour day-of-month month day-of-week)');

/** The shape of a policy document: every setting's own range. */
const policyShape = z.strictObject({
  /** IANA time zone in which schedules run. */
  timezone: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'expects an IANA time zone such as America/New_York')
    .default('America/New_York'),
  schedule_interval: z
    .strictObject({
      /** Full retraining of every registered model (default Saturday 18:00). */
      full_retraining: cron.default('0 18 * * 6'),
      /**
       * Whether the full retraining schedule fires (default true). Off: it is not armed (`schedules`
       * shows no next firing) and a firing run by hand queues nothing. Automatic learning, like
       * learning.enabled and learning.triggers.
       */
      full_retraining_enabled: z.boolean().default(true),
      /** Archive of versions older than archive_after_days (default monthly, 1st at 03:00). */
      archive: cron.default('0 3 1 * *'),
      archive_after_days: z.number().int().min(1).max(36_500).default(90),
    })
    .prefault({}),
  auto_promote_threshold: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Outcomes a shadow needs (on requests the ACTIVE version also answered) before a verdict. */
      min_samples: z.number().int().min(1).default(100),
      /** Loss improvement over the ACTIVE version, in percent, needed to promote. */
      min_improvement_pct: z.number().min(0).default(2),
      /** A shadow whose sign-trading drawdown exceeds this (percent) is rejected. */
      max_drawdown_pct: positive.max(100).default(15),
      /** Significance of the paired loss-difference test. */
      significance: z.number().gt(0).lt(1).default(0.05),
      /** A shadow still undecided after this many outcomes is rejected. */
      max_samples: z.number().int().min(1).default(2000),
    })
    .prefault({}),
  promotion_gate: z
    .strictObject({
      /**
       * The gate before SHADOW: every trained, retrained or tuned candidate is scored beside the model's
       * ACTIVE version on the candidate's held-out validation rows (the same rows for both; a sequence
       * model's validation windows, by their horizon loss, with no risk checks), split into
       * `folds` contiguous periods. It passes when its loss is lower by min_improvement_pct overall and in
       * at least min_folds_improved folds, and its sign-trading max drawdown and 95 % expected shortfall
       * are no worse than the ACTIVE's by more than their margins. A candidate that fails is REJECTED
       * (never scores live traffic) with the figures and reasons in its `gate`. Off: every candidate
       * becomes SHADOW as before and the shadow tester alone judges it.
       */
      enabled: z.boolean().default(true),
      /** Lower loss improvement over the ACTIVE version, in percent, that passes (seed 000: 2 %). */
      min_improvement_pct: z.number().min(0).max(100).default(2),
      /** Contiguous periods the held-out rows are split into for the stability check. */
      folds: z.number().int().min(1).max(20).default(3),
      /** Folds in which the candidate's loss must be below the ACTIVE's. */
      min_folds_improved: z.number().int().min(1).max(20).default(2),
      /** How much deeper (percentage points) the candidate's sign-trading drawdown may be than the ACTIVE's. */
      max_drawdown_margin_pct: z.number().min(0).max(100).default(5),
      /** How much larger (percent of the ACTIVE's) the candidate's 95 % expected shortfall may be. */
      max_shortfall_margin_pct: z.number().min(0).max(1000).default(25),
      /** Fewest held-out rows a comparison needs; with fewer the candidate is REJECTED as unjudgeable. */
      min_rows: z.number().int().min(1).max(MAX_WINDOW_ROWS).default(30),
    })
    .prefault({}),
  shadow_testing: z
    .strictObject({
      /**
       * SHADOW versions a model may have at once (each scores every request the ACTIVE version answers).
       * Registering one more supersedes the oldest: status SUPERSEDED, with the reason. A new candidate of
       * an automatic retraining (FULL, PARTIAL, INCREMENTAL, TUNING) also supersedes the unjudged SHADOW
       * of the same kind, so that repeated triggers replace their shadow instead of piling up shadows.
       */
      max_shadows: z.number().int().min(1).max(20).default(3),
    })
    .prefault({}),
  serving: z
    .strictObject({
      /**
       * A served model's sessions (its ACTIVE version's, and its shadows' where they score on the API)
       * are unloaded after this long without a request, so that a replica holds the sessions of the
       * models it serves now rather than of every model it ever served; the next request loads them
       * again (artifacts re-read and checked). Sessions of versions that leave service are disposed
       * whatever this says.
       */
      session_idle_seconds: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 3600)
        .default(900),
    })
    .prefault({}),
  shadow_scoring: z
    .strictObject({
      /**
       * Where the SHADOW versions score the requests the ACTIVE version answered. 'api': in the API
       * process that answered, off the answer's path (at sample_rate_under_load while busy). 'workers':
       * on the processes that work jobs (`kybernet worker`, serve's inline worker), from the predictions
       * log in batches — every request, and API processes load no shadow sessions and spend nothing on
       * them; shadow rows then follow the answers by a few seconds. 'api' stays the default: for one
       * process on a 2-core machine (bench/shadow-placement.ts: c = 32, 2 shadows) it cost no measurable
       * throughput at its sampling, against about −10 % for the workers scoring every request in the same
       * process (−13 % for the API scoring every request).
       */
      where: z.enum(['api', 'workers']).default('api'),
      /**
       * Share of requests the SHADOW versions score while the server is busy — while the ACTIVE version
       * answers requests in shared batches, i.e. they queue for it. Below that load every request is
       * scored. Shadows then cost a busy server a fraction of their work, and the shadow tester gets
       * fewer (still random) samples. The same requests for every shadow, chosen by request id. Only
       * where = 'api' (workers score every request).
       */
      sample_rate_under_load: fraction.default(0.1),
    })
    .prefault({}),
  drift_detection: z
    .strictObject({
      check_interval_hours: intervalHours.default(6),
      /** Significance of each KS test after the multiple-testing correction. */
      ks_test_threshold: z.number().gt(0).lt(1).default(0.05),
      correction: z.enum(['benjamini-hochberg', 'bonferroni']).default('benjamini-hochberg'),
      /** PSI above which a shift matters (0.1 moderate, 0.25 large by convention). */
      psi_threshold: positive.default(0.1),
      /** KS statistic (effect size) below which a significant shift is still ignored. */
      min_ks_statistic: fraction.default(0.1),
      /** Recent rows compared against the reference. */
      window: z.number().int().min(10).max(MAX_WINDOW_ROWS).default(2000),
      /** Fewest recent predictions (and outcomes, for the performance tests) a check needs. */
      min_samples: z.number().int().min(2).default(50),
      /** PSI at or above which a significant shift is major (see monitoring/drift-assessment for the severity rule). */
      major_psi: positive.default(0.25),
      /** Share of features with a major shift that makes drift HIGH. */
      high_feature_share: fraction.default(0.25),
      /** Fall of the win rate below the validation hit rate that counts as performance drift. */
      min_win_rate_drop: fraction.default(0.05),
      /** Rise of the mean loss over the validation loss, in percent, that counts as performance drift. */
      min_error_increase_pct: z.number().min(0).default(20),
      /**
       * Rise of a feature's missing (NaN) share over its training share, as a fraction of the rows,
       * that counts as a data-quality finding when significant (a feature missing in every recent
       * row is one whatever this says, and makes drift HIGH).
       */
      max_missing_increase: fraction.default(0.05),
      /** Share of a feature's recent values outside its training range ([min, max] of the reference sample) that is reported. */
      max_out_of_range_share: fraction.default(0.05),
    })
    .prefault({}),
  learning: z
    .strictObject({
      /**
       * The kill switch of automatic learning (default true). Off: no schedule, trade count, drift or
       * health finding queues a retraining job, and the shadow tester only recommends a shadow it would
       * promote (heldBy says learning is paused). Drift checks and health refreshes still run, and manual
       * operations (trainModel, triggerRetraining, tuneModel, promoteModel, rollbackModel) still work.
       * `pauseLearning` pauses the same way without changing the policy (learning/README.md).
       */
      enabled: z.boolean().default(true),
      /** Completed trades after which an incremental update is queued. */
      min_trades_for_update: z.number().int().min(1).default(10),
      /** Each cause of automatic retraining on its own; off, that cause queues nothing (learning.enabled off stops all). */
      triggers: z
        .strictObject({
          /** INCREMENTAL updates every min_trades_for_update closed trades (trading/learning-trigger.service.ts; default true). */
          trades: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
          /** PARTIAL and FULL retraining answering a MEDIUM or worse drift (default true); drift checks still run and record. */
          drift: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
          /** PARTIAL retraining answering a worsened health (default true); health is still assessed and reported. */
          health: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  safety: z
    .strictObject({
      /**
       * The circuit breaker: after this many FAILED retraining jobs (FULL, PARTIAL, INCREMENTAL) of one
       * model in a row — a COMPLETED one resets the count — automatic learning of that model pauses by
       * itself (`learning.paused`) until `resumeLearning(model)` (default 3).
       */
      max_consecutive_failures: z.number().int().min(1).max(1000).default(3),
      /**
       * When the ACTIVE version turns CRITICAL (health), the loop rolls back by itself to the version it
       * replaced — if that one was HEALTHY over the end of its last period of service and passes the gate
       * before SHADOW against the CRITICAL one on the recent requests with outcomes (`model.rolled_back`
       * with automatic: true and the reason); a retraining is asked for as before. Off: it only retrains.
       */
      automatic_rollback: z.boolean().default(true),
    })
    .prefault({}),
  retraining: z
    .strictObject({
      incremental_time_limit_seconds: timeLimitSeconds.default(300),
      full_time_limit_seconds: timeLimitSeconds.default(2700),
      /** Further attempts after a failed or lost one. */
      retry_limit: z.number().int().min(0).max(10).default(1),
      /**
       * How a tuning trial is scored (tuneModel without a scheme, and a FULL retraining with tune_on_full):
       * trained per fold on the fold's train rows, its loss on the fold's test rows averaged over the folds
       * (lib/validation-folds; default an expanding walk-forward of 3 folds).
       */
      tuning_scheme: validationSchemeSchema.default({ kind: 'expanding', folds: 3, gap: 0, testFraction: 0.5 }),
      /**
       * A FULL retraining tunes first (tuning_trials trials within tuning_time_limit_seconds) and trains with the best
       * trial's hyperparameters.
       */
      tune_on_full: z.boolean().default(false),
      /** Trials of a search (the ACTIVE version's own hyperparameters first): tuneModel's default, a FULL retraining's budget. */
      tuning_trials: z.number().int().min(2).max(100).default(8),
      /** A search starts no trial training after this long and ranks what finished (default 1800). */
      tuning_time_limit_seconds: timeLimitSeconds.default(1800),
    })
    .prefault({}),
  health: z
    .strictObject({
      /** Latest outcomes the win rate is measured on. */
      window_trades: z.number().int().min(1).max(MAX_WINDOW_ROWS).default(50),
      /** Latest predictions that latency, long/short balance, calibration and counts are measured on. */
      window_predictions: z.number().int().min(1).max(MAX_WINDOW_ROWS).default(1000),
      /** How often every model's health is re-assessed besides whenever its outcomes arrive. */
      check_interval_hours: intervalHours.default(1),
      min_win_rate: fraction.default(0.45),
      critical_win_rate: fraction.default(0.35),
      max_calibration_error: fraction.default(0.15),
      /** Share of long (or short) calls above which the model is called biased. */
      max_directional_bias: fraction.default(0.8),
      max_latency_p99_ms: positive.default(50),
    })
    .prefault({}),
  rl_maintenance: z
    .strictObject({
      snapshot_interval_trades: z.number().int().min(1).default(500),
      /**
       * Trades a position-sizing agent's table must have learned from (its tradesSeen) before the agent
       * answers positionSizeMultiplier; until then the capped-Kelly rule answers, says why, and the agent
       * learns from the trade as the rule sized it. 0 lets a new agent answer at once.
       */
      min_trades_before_serving: z.number().int().min(0).default(50),
      /** How often pending snapshots are swept up (the RL_MAINTENANCE job). */
      maintenance_interval_hours: intervalHours.default(1),
      reset_on_regime_change: z.boolean().default(true),
      learning_rate: z.number().gt(0).max(1).default(0.1),
      discount: fraction.default(0.95),
      epsilon: fraction.default(0.2),
      epsilon_decay: fraction.default(0.995),
      min_epsilon: fraction.default(0.01),
      /** Softmax temperature of strategyWeights over Q-values. */
      temperature: positive.default(1),
    })
    .prefault({}),
  risk_limits: z
    .strictObject({
      /** Largest loss at the stop, as a fraction of equity. */
      max_risk_per_trade: fraction.default(0.02),
      max_leverage: z.number().min(1).default(3),
      max_positions: z.number().int().min(1).default(10),
      max_position_multiplier: positive.default(2),
    })
    .prefault({}),
  trade_prediction: z
    .strictObject({
      /** Horizon in days → registered model answering it. */
      horizons: z
        .record(z.string().regex(/^[1-9]\d{0,3}$/, 'expects a horizon in whole days (1–9999)'), z.string().min(1).max(64))
        .refine((horizons) => Object.keys(horizons).length <= 64, 'expects at most 64 horizons')
        .default({ '1': 'returns-1d', '5': 'returns-5d', '10': 'returns-10d' }),
    })
    .prefault({}),
});

/**
 * Pairs of settings whose order matters: [section, low, high, why]. `why` completes
 * "expects low ≤ high, since …".
 */
const ORDERED_SETTINGS: readonly [string, string, string, string][] = [
  [
    'auto_promote_threshold',
    'min_samples',
    'max_samples',
    'a shadow is rejected at max_samples outcomes, before it could reach min_samples for a verdict',
  ],
  [
    'promotion_gate',
    'min_folds_improved',
    'folds',
    'the held-out rows are split into that many folds, so the improvement could never hold in more',
  ],
  ['drift_detection', 'min_samples', 'window', 'a check reads at most window recent predictions, so it could never have min_samples'],
  ['drift_detection', 'psi_threshold', 'major_psi', 'a major shift is a shift that matters (PSI ≥ psi_threshold) of at least major_psi'],
  ['health', 'critical_win_rate', 'min_win_rate', 'CRITICAL is a win rate below critical_win_rate, worse than DEGRADED below min_win_rate'],
  ['rl_maintenance', 'min_epsilon', 'epsilon', 'exploration starts at epsilon and decays to min_epsilon'],
];

/** Refuses a document with a pair of ORDERED_SETTINGS out of order, naming the lower setting. */
function checkOrder(policy: z.infer<typeof policyShape>, ctx: z.RefinementCtx): void {
  for (const [section, low, high, why] of ORDERED_SETTINGS) {
    const values = (policy as unknown as Record<string, Record<string, unknown>>)[section];
    const [a, b] = [values[low], values[high]];
    if (typeof a === 'number' && typeof b === 'number' && a > b) {
      ctx.addIssue({
        code: 'custom',
        path: [section, low],
        input: a,
        message: `expects a number <= ${section}.${high} (${b}), since ${why}`,
      });
    }
  }
}

/** A whole policy: each setting in its range and the ordered pairs in order. `updatePolicy` checks this. */
export const policySchema = policyShape.superRefine(checkOrder);

/**
 * A policy as stored: each setting in its range. A document stored before an ordering rule existed
 * still loads (and behaves as it did); the next update must satisfy policySchema.
 */
export const storedPolicySchema = policyShape;

export type Policy = z.infer<typeof policySchema>;

export const DEFAULT_POLICY: Policy = policySchema.parse({});
