/**
 * The kill switch and the circuit breaker of automatic learning. Automatic learning is what no
 * operator asked for: the full retraining schedule, the trade trigger's INCREMENTAL updates, the
 * retraining that drift and health findings request, and the shadow tester's automatic promotion.
 * Manual operations (trainModel, triggerRetraining by an operator, tuneModel, promoteModel,
 * rollbackModel) are never held.
 *
 * It is held, for every model, while the policy says so (`learning.enabled`, and per cause
 * `learning.triggers.{trades,drift,health}.enabled`, `schedule_interval.full_retraining_enabled`) or
 * while an operator has paused it (`pauseLearning`: the one row of `learning_switch`); and for one
 * model while that model is paused (`model_learning_states.paused_at`): by an operator, or by the
 * circuit breaker after policy.safety.max_consecutive_failures FAILED retraining jobs in a row.
 *
 * Every replica reads the same state at once: the pause rows are read from the database on every
 * check (nothing cached), and the policy through PolicyService, whose cache every process drops on
 * `policy.updated`. A pause or resume appends `learning.paused` / `learning.resumed` in the
 * transaction of its change; so does the breaker, in the transaction that records the failing job's
 * end (`recordJobEnd`, the job worker's and reaper's `jobDidEnd` hook).
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { Policy } from '../config/policy';
import type { JobEntity, JobKind, JobTrigger } from '../entities/job.entity';
import { LearningSwitchEntity } from '../entities/learning-switch.entity';
import { ModelLearningStateEntity } from '../entities/model-learning-state.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { InvalidInputError, KybernetError } from '../lib/errors';
import type { EventsService } from '../platform/events/events.service';
import type { JobEnd } from '../platform/jobs/job-worker';
import type { PolicyService } from '../platform/policy/policy.service';
import type { RegistryService } from '../registry/registry.service';

/** What automatic learning is held for: a job trigger other than MANUAL, or the shadow tester's promotion. */
export type AutomaticCause = Exclude<JobTrigger, 'MANUAL'> | 'PROMOTION';

/** The job kinds the circuit breaker counts: those automatic learning queues. */
export const COUNTED_JOB_KINDS: readonly JobKind[] = ['FULL', 'PARTIAL', 'INCREMENTAL'];

/** Who paused a model when the circuit breaker did. */
export const CIRCUIT_BREAKER = 'circuit breaker';

/** The most failed job ids a model's state keeps. */
const MAX_FAILED_IDS = 100;

export interface PausedModel {
  model: string;
  registeredModelId: string;
  since: Date;
  pausedBy: string;
  reason: string;
  /** The failed jobs that tripped the circuit breaker (empty for an operator's pause). */
  jobIds: string[];
  consecutiveFailures: number;
}

export interface LearningStatus {
  /** Whether automatic learning runs: the policy's learning.enabled and no pause of every model. */
  enabled: boolean;
  /** policy learning.enabled. */
  policyEnabled: boolean;
  pausedAt: Date | null;
  pausedBy: string | null;
  reason: string | null;
  pausedModels: PausedModel[];
}

/** Who asks, as the API knows the caller. */
export interface Actor {
  name: string;
}

/** The policy switch that holds `cause`, and its name, or null when the cause has none. */
function causeSwitch(policy: Policy, cause: AutomaticCause): [boolean, string] | null {
  switch (cause) {
    case 'TRADES':
      return [policy.learning.triggers.trades.enabled, 'learning.triggers.trades.enabled'];
    case 'DRIFT':
      return [policy.learning.triggers.drift.enabled, 'learning.triggers.drift.enabled'];
    case 'PERFORMANCE':
      return [policy.learning.triggers.health.enabled, 'learning.triggers.health.enabled'];
    case 'SCHEDULE':
      return [policy.schedule_interval.full_retraining_enabled, 'schedule_interval.full_retraining_enabled'];
    default:
      return null;
  }
}

/** A CONFLICT with a finer `reason` (LEARNING_ALREADY_PAUSED, LEARNING_NOT_PAUSED). */
function conflict(message: string, details: Record<string, unknown> | undefined, reason: string): KybernetError {
  return new KybernetError('CONFLICT', message, details, reason);
}

function checkReason(reason: string): string {
  const trimmed = reason.trim();
  if (!trimmed) throw new InvalidInputError('expects a reason, in words, but got an empty one', { field: 'reason' });
  return trimmed.slice(0, 500);
}

export class LearningSwitchService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly events: EventsService,
    private readonly policy: PolicyService,
  ) {}

  /**
   * Why automatic learning by `cause` is held for every model now, or null. Pass the transaction's
   * manager from inside one (see PolicyService.current).
   */
  async heldFor(cause: AutomaticCause, tx?: EntityManager): Promise<string | null> {
    const policy = await this.policy.document(tx);
    if (!policy.learning.enabled) return 'automatic learning is paused (policy learning.enabled is false)';
    const manager = tx ?? this.dataSource.manager;
    const row = await manager.findOneBy(LearningSwitchEntity, { id: true });
    if (row?.pausedAt) return `automatic learning is paused since ${row.pausedAt.toISOString()} by ${row.pausedBy ?? '?'}: ${row.reason}`;
    const own = causeSwitch(policy, cause);
    if (own && !own[0]) return `this cause of automatic learning is off (policy ${own[1]} is false)`;
    return null;
  }

  /** Of `registeredModelIds`, those whose automatic learning is paused, with why. */
  async pausedAmong(registeredModelIds: string[], tx?: EntityManager): Promise<Map<string, string>> {
    if (registeredModelIds.length === 0) return new Map();
    const rows: { id: string; paused_at: Date; paused_by: string | null; paused_reason: string }[] = await (
      tx ?? this.dataSource.manager
    ).query(
      `SELECT registered_model_id AS id, paused_at, paused_by, paused_reason FROM model_learning_states
       WHERE registered_model_id = ANY ($1::uuid[]) AND paused_at IS NOT NULL`,
      [registeredModelIds],
    );
    return new Map(
      rows.map((row) => [
        row.id,
        `automatic learning of this model is paused since ${row.paused_at.toISOString()} by ${row.paused_by ?? '?'}: ${row.paused_reason}`,
      ]),
    );
  }

  /** Why the shadow tester may not promote a shadow of the model on its own now, or null (ShadowService's PromotionGate). */
  async promotionHold(registeredModelId: string): Promise<string | null> {
    return (await this.heldFor('PROMOTION')) ?? (await this.pausedAmong([registeredModelId])).get(registeredModelId) ?? null;
  }

  async status(): Promise<LearningStatus> {
    const policy = await this.policy.document();
    const row = await this.dataSource.getRepository(LearningSwitchEntity).findOneByOrFail({ id: true });
    const rows: (ModelLearningStateEntity & { name: string })[] = await this.dataSource
      .getRepository(ModelLearningStateEntity)
      .createQueryBuilder('s')
      .innerJoin(RegisteredModelEntity, 'm', 'm.id = s.registered_model_id')
      .addSelect('m.name', 'name')
      .where('s.paused_at IS NOT NULL')
      .orderBy('m.name')
      .getRawAndEntities()
      .then(({ raw, entities }) => entities.map((entity, i) => Object.assign(entity, { name: (raw[i] as { name: string }).name })));
    return {
      enabled: policy.learning.enabled && !row.pausedAt,
      policyEnabled: policy.learning.enabled,
      pausedAt: row.pausedAt,
      pausedBy: row.pausedBy,
      reason: row.reason,
      pausedModels: rows.map((state) => ({
        model: state.name,
        registeredModelId: state.registeredModelId,
        since: state.pausedAt!,
        pausedBy: state.pausedBy ?? '?',
        reason: state.pausedReason ?? '',
        jobIds: state.pausedJobIds,
        consecutiveFailures: state.consecutiveFailures,
      })),
    };
  }

  /** pauseLearning: every model's automatic learning, or one model's. Refuses a second pause (CONFLICT, saying since when and why). */
  async pause(input: { reason: string; model?: string | null }, actor: Actor): Promise<LearningStatus> {
    const reason = checkReason(input.reason);
    if (input.model != null) {
      const model = await this.registry.getRegisteredModel(input.model);
      await this.dataSource.transaction(async (tx) => {
        const state = await this.lockModel(tx, model.id);
        if (state.pausedAt)
          throw conflict(
            `automatic learning of "${model.name}" is already paused since ${state.pausedAt.toISOString()} by ${state.pausedBy}: ${state.pausedReason}; resume it with resumeLearning(model: ${JSON.stringify(model.name)})`,
            { field: 'model' },
            'LEARNING_ALREADY_PAUSED',
          );
        await tx.update(
          ModelLearningStateEntity,
          { registeredModelId: model.id },
          { pausedAt: () => 'now()', pausedBy: actor.name, pausedReason: reason, pausedJobIds: [], updatedAt: () => 'now()' },
        );
        await this.events.append(tx, {
          type: 'learning.paused',
          modelName: model.name,
          payload: { model: model.name, reason, pausedBy: actor.name, jobIds: [], consecutiveFailures: null },
        });
      });
      return this.status();
    }
    await this.dataSource.transaction(async (tx) => {
      const row = await tx.findOneOrFail(LearningSwitchEntity, { where: { id: true }, lock: { mode: 'pessimistic_write' } });
      if (row.pausedAt)
        throw conflict(
          `automatic learning is already paused since ${row.pausedAt.toISOString()} by ${row.pausedBy}: ${row.reason}; resume it with resumeLearning`,
          undefined,
          'LEARNING_ALREADY_PAUSED',
        );
      await tx.update(
        LearningSwitchEntity,
        { id: true },
        { pausedAt: () => 'now()', pausedBy: actor.name, reason, updatedAt: () => 'now()' },
      );
      await this.events.append(tx, {
        type: 'learning.paused',
        payload: { model: null, reason, pausedBy: actor.name, jobIds: [], consecutiveFailures: null },
      });
    });
    return this.status();
  }

  /**
   * resumeLearning: with a model, that model's pause ends and its failure count restarts; without, the
   * pause of every model ends (models paused on their own stay paused). Refuses what is not paused
   * (CONFLICT, saying what is).
   */
  async resume(input: { reason: string; model?: string | null }, actor: Actor): Promise<LearningStatus> {
    const reason = checkReason(input.reason);
    if (input.model != null) {
      const model = await this.registry.getRegisteredModel(input.model);
      await this.dataSource.transaction(async (tx) => {
        const state = await this.lockModel(tx, model.id);
        if (!state.pausedAt)
          throw conflict(
            `automatic learning of "${model.name}" is not paused (${state.consecutiveFailures} failed retraining jobs in a row); nothing to resume`,
            { field: 'model' },
            'LEARNING_NOT_PAUSED',
          );
        await tx.update(
          ModelLearningStateEntity,
          { registeredModelId: model.id },
          {
            pausedAt: null,
            pausedBy: null,
            pausedReason: null,
            pausedJobIds: [],
            consecutiveFailures: 0,
            failedJobIds: [],
            updatedAt: () => 'now()',
          },
        );
        await this.appendResumed(tx, model.name, reason, actor, {
          at: state.pausedAt,
          by: state.pausedBy,
          reason: state.pausedReason,
        });
      });
      return this.status();
    }
    await this.dataSource.transaction(async (tx) => {
      const row = await tx.findOneOrFail(LearningSwitchEntity, { where: { id: true }, lock: { mode: 'pessimistic_write' } });
      if (!row.pausedAt) {
        const policy = await this.policy.document(tx);
        const paused = await tx.query(`SELECT count(*)::int AS n FROM model_learning_states WHERE paused_at IS NOT NULL`);
        const notes = [
          ...(policy.learning.enabled ? [] : ['the policy holds it (learning.enabled is false: change it with updatePolicy)']),
          ...(paused[0].n > 0 ? [`${paused[0].n} model(s) paused on their own: resume each with resumeLearning(model: …)`] : []),
        ];
        throw conflict(
          `automatic learning is not paused by pauseLearning; nothing to resume${notes.length ? ` (${notes.join('; ')})` : ''}`,
          undefined,
          'LEARNING_NOT_PAUSED',
        );
      }
      await tx.update(LearningSwitchEntity, { id: true }, { pausedAt: null, pausedBy: null, reason: null, updatedAt: () => 'now()' });
      await this.appendResumed(tx, null, reason, actor, { at: row.pausedAt, by: row.pausedBy, reason: row.reason });
    });
    return this.status();
  }

  /** `learning.resumed` for every model (`model` null) or one, with the pause it ended. */
  private async appendResumed(
    tx: EntityManager,
    model: string | null,
    reason: string,
    actor: Actor,
    pause: { at: Date; by: string | null; reason: string | null },
  ): Promise<void> {
    await this.events.append(tx, {
      type: 'learning.resumed',
      ...(model ? { modelName: model } : {}),
      payload: {
        model,
        reason,
        resumedBy: actor.name,
        pausedAt: pause.at.toISOString(),
        pausedBy: pause.by,
        pausedReason: pause.reason ?? '',
      },
    });
  }

  /**
   * The circuit breaker (the job worker's and reaper's `jobDidEnd` hook, in the transaction recording
   * the end): a FAILED FULL, PARTIAL or INCREMENTAL job of a model adds to the model's failures in a
   * row, a COMPLETED one resets them (a pause stays until resumed); at
   * policy.safety.max_consecutive_failures the model pauses, with `learning.paused` naming the jobs.
   */
  readonly recordJobEnd = async (tx: EntityManager, job: JobEntity, end: JobEnd): Promise<void> => {
    if (!COUNTED_JOB_KINDS.includes(job.kind) || !job.registeredModelId) return;
    if (end.status === 'COMPLETED') {
      await tx.query(
        `UPDATE model_learning_states SET consecutive_failures = 0, failed_job_ids = '{}', updated_at = now()
         WHERE registered_model_id = $1 AND consecutive_failures > 0`,
        [job.registeredModelId],
      );
      return;
    }
    if (end.status !== 'FAILED') return;
    const [state]: { failures: number; job_ids: string[]; paused_at: Date | null }[] = await tx.query(
      `INSERT INTO model_learning_states AS s (registered_model_id, consecutive_failures, failed_job_ids)
       VALUES ($1, 1, ARRAY[$2::uuid])
       ON CONFLICT (registered_model_id) DO UPDATE SET
         consecutive_failures = s.consecutive_failures + 1,
         failed_job_ids = (s.failed_job_ids || $2::uuid)[greatest(1, cardinality(s.failed_job_ids) + 2 - ${MAX_FAILED_IDS}):],
         updated_at = now()
       RETURNING consecutive_failures AS failures, failed_job_ids AS job_ids, paused_at`,
      [job.registeredModelId, job.id],
    );
    const max = (await this.policy.document(tx)).safety.max_consecutive_failures;
    if (state.paused_at || state.failures < max) return;
    const jobIds = state.job_ids.slice(-state.failures);
    const model = await tx.findOneByOrFail(RegisteredModelEntity, { id: job.registeredModelId });
    const reason = (
      `${state.failures} retraining jobs of "${model.name}" failed in a row (policy safety.max_consecutive_failures ${max}); ` +
      `the last, ${job.kind} job ${job.id}: ${end.error ?? 'no error recorded'}`
    ).slice(0, 1000);
    await tx.query(
      `UPDATE model_learning_states
       SET paused_at = now(), paused_by = $2, paused_reason = $3, paused_job_ids = $4::uuid[], updated_at = now()
       WHERE registered_model_id = $1`,
      [job.registeredModelId, CIRCUIT_BREAKER, reason, jobIds],
    );
    await this.events.append(tx, {
      type: 'learning.paused',
      modelName: model.name,
      jobId: job.id,
      payload: { model: model.name, reason, pausedBy: CIRCUIT_BREAKER, jobIds, consecutiveFailures: state.failures },
    });
  };

  /** The model's state row, created when missing, locked until the transaction ends. */
  private async lockModel(tx: EntityManager, registeredModelId: string): Promise<ModelLearningStateEntity> {
    await tx.query(`INSERT INTO model_learning_states (registered_model_id) VALUES ($1) ON CONFLICT DO NOTHING`, [registeredModelId]);
    return tx.findOneOrFail(ModelLearningStateEntity, { where: { registeredModelId }, lock: { mode: 'pessimistic_write' } });
  }
}
