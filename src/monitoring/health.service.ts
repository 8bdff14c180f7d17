/**
 * Model health: the ACTIVE version's recent predictions and outcomes judged by monitoring/model-health
 * (policy.health). `modelHealth` answers from the data now. `refresh` also records the status per model
 * (`model_health_states`); a change for the worse (HEALTHY or INSUFFICIENT_DATA → DEGRADED or CRITICAL, DEGRADED → CRITICAL)
 * appends model.performance.degraded in the same transaction — under the row's lock, so it is reported
 * once however many processes refresh — and then the process that appended it asks for a PARTIAL
 * retraining of the model (a PARTIAL job of the model still QUEUED is reused, so a further worsening
 * before it starts queues nothing more). While CRITICAL, each refresh first lets the automatic rollback
 * (automatic-rollback.ts, the `activeIsCritical` hook) go back to the version before, once it earns it.
 * A new ACTIVE version starts again from HEALTHY.
 *
 * A sequence model (task 'forecast') is judged on its forecasts' loss over the horizon against its
 * validation loss, and its latency (monitoring/model-health `assessForecastHealth`).
 *
 * Refreshed whenever outcomes of the model are recorded (OutcomeNotifications, coalesced per model) and every
 * policy.health.check_interval_hours for every model (the `health_check` scheduled task, in-process:
 * refreshing is idempotent, so replicas firing together do no harm).
 */
import type { DataSource } from 'typeorm';
import { ModelHealthStateEntity } from '../entities/model-health-state.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ConflictError, InvalidInputError } from '../lib/errors';
import { KeyedCoalescer } from '../lib/keyed-coalescer';
import { isScoredTask } from '../lib/scored-task';
import { assessForecastHealth, assessHealth, type HealthAssessment, type HealthStatus } from './model-health';
import { forecastValidationLoss } from './outcome-scoring';
import type { EventsService } from '../platform/events/events.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { RegistryService } from '../registry/registry.service';
import { forecastLossSql, joinOutcomes } from '../serving/prediction-outcomes';
import type { RetrainingService } from '../learning/retraining.service';
import type { ScheduledTask } from '../platform/schedules/scheduler';

export interface ModelHealth extends HealthAssessment {
  model: RegisteredModelEntity;
  modelVersion: ModelVersionEntity;
  /** Predictions of the ACTIVE version, and those of them with realised values, ever. */
  predictionCount: number;
  outcomeCount: number;
  /** The recent predictions and outcomes the figures rest on. */
  windowPredictions: number;
  windowOutcomes: number;
  checkedAt: Date;
}

const COALESCE_MS = 100;
/** How bad a status is: a rise is a worsening. INSUFFICIENT_DATA (too few outcomes to judge) is no worse than HEALTHY. */
const RANK: Record<HealthStatus, number> = { HEALTHY: 0, INSUFFICIENT_DATA: 0, DEGRADED: 1, CRITICAL: 2 };

/**
 * Extension points of a health refresh. `activeIsCritical` runs after each refresh that finds the ACTIVE
 * version CRITICAL (recorded first), before a worsening's retraining is asked for: the automatic
 * rollback (automatic-rollback.ts).
 */
export interface HealthHooks {
  activeIsCritical?(model: RegisteredModelEntity, active: ModelVersionEntity, cause: string): Promise<unknown>;
}

export class HealthService {
  private readonly coalescer: KeyedCoalescer<string>;
  private hooks: HealthHooks = {};

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly events: EventsService,
    private readonly policy: PolicyService,
    private readonly retraining: Pick<RetrainingService, 'requestRetraining'>,
    private readonly log: (message: string) => void,
  ) {
    this.coalescer = new KeyedCoalescer((modelId) => this.refresh(modelId).then(() => undefined), {
      delayMs: COALESCE_MS,
      onError: (modelId, error) => this.log(`health: refresh of model ${modelId} failed: ${(error as Error).message}`),
    });
  }

  setHooks(hooks: HealthHooks): void {
    this.hooks = hooks;
  }

  /** The health of the model's ACTIVE version now. */
  async modelHealth(name: string): Promise<ModelHealth> {
    const model = await this.registry.getRegisteredModel(name);
    const active = await this.registry.activeVersion(model.id);
    if (!active)
      throw new ConflictError(`model "${model.name}" has no ACTIVE version; health describes the ACTIVE version`, { field: 'name' });
    const task = active.signature?.task;
    if (!isScoredTask(task) && task !== 'forecast') {
      throw new InvalidInputError(
        `expects a regression, binary or forecast model, but the ACTIVE version ${active.version} of "${model.name}" is a ${task ?? 'signature-less'} model`,
        { field: 'name' },
      );
    }
    return this.versionHealth(model, active);
  }

  /**
   * The health of `version` of `model` on its latest ACTIVE predictions — for the ACTIVE version its
   * health now; for a version ACTIVE before, its health over the end of its last period of service.
   */
  async versionHealth(model: RegisteredModelEntity, active: ModelVersionEntity): Promise<ModelHealth> {
    const task = active.signature?.task;
    if (!isScoredTask(task) && task !== 'forecast') {
      throw new InvalidInputError(`expects a regression, binary or forecast version, but version ${active.version} is a ${task} model`);
    }
    const policy = await this.policy.document();
    const thresholds = policy.health;
    const recent: { value: number; latency_ms: number }[] = await this.dataSource.query(
      `SELECT value, latency_ms FROM predictions WHERE model_version_id = $1 AND role = 'ACTIVE' AND value IS NOT NULL ORDER BY created_at DESC LIMIT $2`,
      [active.id, thresholds.window_predictions],
    );
    const [counts]: { predictions: number; outcomes: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS predictions, count(o.request_id)::int AS outcomes FROM predictions p
       ${joinOutcomes({ left: true })}
       WHERE p.model_version_id = $1 AND p.role = 'ACTIVE'`,
      [active.id],
    );
    const latenciesMs = recent.map((row) => row.latency_ms);
    let assessment: HealthAssessment;
    let windowOutcomes: number;
    if (task === 'forecast') {
      // A forecast is judged on its loss over the whole horizon; an outcome without realised rows (or not of the forecast's size) has none.
      const losses: { loss: number }[] = await this.dataSource.query(
        `SELECT loss FROM (
           SELECT ${forecastLossSql()} AS loss, p.created_at FROM predictions p
           ${joinOutcomes()}
           WHERE p.model_version_id = $1 AND p.role = 'ACTIVE' AND o.actuals IS NOT NULL ORDER BY p.created_at DESC LIMIT $2
         ) AS recent WHERE loss IS NOT NULL ORDER BY created_at`,
        [active.id, thresholds.window_predictions],
      );
      windowOutcomes = losses.length;
      assessment = assessForecastHealth(
        { latenciesMs, losses: losses.map((row) => row.loss), validationLoss: forecastValidationLoss(active.metrics) },
        { ...thresholds, min_error_increase_pct: policy.drift_detection.min_error_increase_pct },
      );
    } else {
      const outcomes: { prediction: number; actual: number }[] = await this.dataSource.query(
        `SELECT p.value AS prediction, o.actual FROM predictions p
         ${joinOutcomes()}
         WHERE p.model_version_id = $1 AND p.role = 'ACTIVE' AND p.value IS NOT NULL ORDER BY p.created_at DESC LIMIT $2`,
        [active.id, thresholds.window_predictions],
      );
      windowOutcomes = outcomes.length;
      assessment = assessHealth(
        { task, predictions: recent.map((row) => row.value), latenciesMs, outcomes: outcomes.reverse() },
        thresholds,
      );
    }
    return {
      ...assessment,
      model,
      modelVersion: active,
      predictionCount: counts.predictions,
      outcomeCount: counts.outcomes,
      windowPredictions: recent.length,
      windowOutcomes,
      checkedAt: new Date(),
    };
  }

  /** Assesses the model and records its status; reports and answers a change for the worse. */
  async refresh(registeredModelId: string): Promise<ModelHealth | null> {
    const model = await this.dataSource.getRepository(RegisteredModelEntity).findOneBy({ id: registeredModelId });
    const active = model && (await this.registry.activeVersion(model.id));
    const task = active?.signature?.task;
    if (!model || !active || !(isScoredTask(task) || task === 'forecast')) return null;
    const health = await this.modelHealth(model.name);
    const degradedEventId = await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO model_health_states (registered_model_id, model_version_id, status) VALUES ($1, $2, 'HEALTHY') ON CONFLICT (registered_model_id) DO NOTHING`,
        [model.id, active.id],
      );
      const state = await tx.findOneOrFail(ModelHealthStateEntity, {
        where: { registeredModelId: model.id },
        lock: { mode: 'pessimistic_write' },
      });
      const before: HealthStatus = state.modelVersionId === active.id ? state.status : 'HEALTHY';
      await tx.update(
        ModelHealthStateEntity,
        { registeredModelId: model.id },
        {
          modelVersionId: active.id,
          status: health.status,
          reasons: health.reasons,
          checkedAt: () => 'now()',
          ...(before !== health.status || state.modelVersionId !== active.id ? { changedAt: () => 'now()' } : {}),
        },
      );
      if (RANK[health.status] <= RANK[before]) return null;
      const event = await this.events.append(tx, {
        type: 'model.performance.degraded',
        modelName: model.name,
        modelVersionId: active.id,
        payload: {
          model: model.name,
          version: active.version,
          from: before,
          status: health.status,
          reasons: health.reasons,
          winRate: health.winRate,
        },
      });
      return event.id;
    });
    // On every refresh while CRITICAL, not only the turn: the rollback may need more recent outcomes to decide.
    if (health.status === 'CRITICAL') {
      await this.hooks.activeIsCritical?.(model, active, `health: ${health.reasons.join('; ')}`.slice(0, 500));
    }
    if (degradedEventId) await this.retrain(model, active, health, degradedEventId);
    return health;
  }

  /** OutcomeNotifications listener. */
  readonly onOutcomes = (registeredModelId: string): void => this.coalescer.request(registeredModelId);

  /** Every model's health, every policy.health.check_interval_hours (latency and bias change without outcomes too). */
  healthCheckTask(): ScheduledTask {
    return {
      name: 'health_check',
      description: "Re-assesses every model's health and answers a change for the worse with a PARTIAL retraining.",
      timing: (policy) => ({ everyHours: policy.health.check_interval_hours }),
      run: async () => {
        const models: { id: string }[] = await this.dataSource.query(
          `SELECT registered_model_id AS id FROM model_versions WHERE status = 'ACTIVE'`,
        );
        for (const { id } of models) await this.refresh(id);
      },
    };
  }

  async close(): Promise<void> {
    await this.coalescer.close();
  }

  private async retrain(model: RegisteredModelEntity, active: ModelVersionEntity, health: ModelHealth, eventId: string): Promise<void> {
    try {
      await this.retraining.requestRetraining({
        kind: 'PARTIAL',
        models: [model.name],
        trigger: 'PERFORMANCE',
        reason: `health of "${model.name}" v${active.version} is ${health.status} (event ${eventId}): ${health.reasons.join('; ')}`.slice(
          0,
          500,
        ),
      });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      this.log(`health: "${model.name}" is ${health.status} but cannot be retrained: ${error.message}`);
    }
  }
}
