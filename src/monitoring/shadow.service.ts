/**
 * The shadow tester (ARCHITECTURE.md flow 4). Each SHADOW version is judged against the ACTIVE version
 * of its model on the same prediction requests that have realised values (predictions joined to
 * request_outcomes on the request id), with the figures and verdict rule of monitoring/shadow-verdict.
 *
 * When: whenever outcomes of a model are recorded (OutcomeNotifications, any process), when a SHADOW version
 * is registered, when the ACTIVE version changes, and when the policy changes. Requests for one model
 * are coalesced (KeyedCoalescer), so a burst of outcomes costs one evaluation; nothing polls.
 *
 * What is compared: a regression or binary version's value against the realised value of each request;
 * a sequence version's (task 'forecast') loss over the horizon against the realised rows (`actuals`) of
 * each request, per request as SQL computes it (forecastLossSql), for a shadow of the ACTIVE version's
 * horizon and targets only.
 *
 * What an evaluation does, per SHADOW version:
 *   - the first evaluation against an ACTIVE version records the test (`shadow_tests`) and appends
 *     shadow.testing.started; a new ACTIVE version restarts the test;
 *   - REJECT: one transaction marks the version REJECTED (LifecycleService.rejectShadow, shadow.rejected);
 *   - PROMOTE: shadow.promotion.recommended (once per test), then — unless automatic promotion is off
 *     in the policy or held (a CRITICAL drift of the ACTIVE version, see PromotionGate) — the promotion:
 *     one transaction that retires the ACTIVE version, activates the shadow and appends model.promoted
 *     and shadow.promoted (LifecycleService.promoteShadow). With several shadows at PROMOTE, the one
 *     with the lowest loss is promoted; the others are judged again against it.
 *
 * Races. Several processes may evaluate one model at once, and an operator may promote, roll back or
 * retire meanwhile. The automatic promotion is checked against the model's revision as read before the
 * evaluation: if anything changed the model since, it fails with CONFLICT and nothing is written; the
 * change's own event then triggers a fresh evaluation, which re-reads the state. A rejection re-checks
 * in its transaction that the ACTIVE version is still the one compared with, and moves the status only
 * from SHADOW. The database allows one ACTIVE version per model. So every shadow gets exactly one
 * outcome, and a verdict is never acted on against a state it was not computed on.
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { Policy } from '../config/policy';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ShadowTestEntity } from '../entities/shadow-test.entity';
import { ConflictError } from '../lib/errors';
import { KeyedCoalescer } from '../lib/keyed-coalescer';
import { isScoredTask, type ScoredTask } from '../lib/scored-task';
import {
  compareForecastShadow,
  compareShadow,
  type ForecastPair,
  type ShadowComparison,
  type ShadowDecision,
  shadowVerdict,
  type ShadowPair,
} from './shadow-verdict';
import type { EventType, KybernetEvent, ShadowFigures } from '../platform/events/event-types';
import type { EventsService } from '../platform/events/events.service';
import type { LifecycleService } from '../registry/lifecycle.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { RegistryService } from '../registry/registry.service';
import { forecastAbsoluteErrorSql, forecastLossSql, joinOutcomes } from '../serving/prediction-outcomes';

export interface ShadowEvaluation {
  shadow: ModelVersionEntity;
  active: ModelVersionEntity;
  decision: ShadowDecision;
  reasons: string[];
  /** Null until some request has both predictions and its outcome. */
  comparison: ShadowComparison | null;
  thresholds: Policy['auto_promote_threshold'];
  /** Why a PROMOTE verdict would not be acted on automatically now, or null. */
  promotionHold: string | null;
  /** The recorded test, once an evaluation has run against this ACTIVE version. */
  test: ShadowTestEntity | null;
  evaluatedAt: Date;
}

/**
 * Says whether automatic promotion of `shadow` over `active` is stopped now, and why (learning paused; a
 * CRITICAL drift, unless the gate before SHADOW showed `shadow` better than this ACTIVE version).
 */
export interface PromotionGate {
  automaticPromotionHold(model: RegisteredModelEntity, active: ModelVersionEntity, shadow: ModelVersionEntity): Promise<string | null>;
}

/**
 * Extension point. `verdictWillApply` runs in the evaluating process after a PROMOTE or REJECT verdict
 * was computed and recorded, before it is acted on; a throw abandons the action (the next evaluation
 * decides again). Used to interleave an operator's change with an evaluation deterministically.
 */
export interface ShadowHooks {
  verdictWillApply?(evaluation: ShadowEvaluation): Promise<void>;
}

/** Outcomes usually arrive in bursts (a trade closing, a batch of records): one evaluation per burst. */
const COALESCE_MS = 100;
const LIFECYCLE_EVENTS: readonly EventType[] = ['model.registered', 'model.promoted', 'model.rolled_back', 'model.retired'];

/** What the tester judges: scored models by their values, sequence models by their forecasts' loss (no scalar: not a ScoredTask). */
type JudgedTask = ScoredTask | 'forecast';

function taskOf(version: ModelVersionEntity): JudgedTask | null {
  const task = version.signature?.task;
  if (task === 'forecast') return version.signature?.sequence ? task : null;
  return isScoredTask(task) ? task : null;
}

/** Why two sequence versions' forecasts cannot be compared request by request (another horizon or other targets), or null. */
function forecastShapeMismatch(shadow: ModelVersionEntity, active: ModelVersionEntity): string | null {
  const a = shadow.signature!.sequence!;
  const b = active.signature!.sequence!;
  if (a.horizon === b.horizon && a.targets.join('\u0000') === b.targets.join('\u0000')) return null;
  return (
    `version ${shadow.version} forecasts ${a.horizon} steps of ${a.targets.join(', ')}, the ACTIVE version ${active.version} ` +
    `${b.horizon} steps of ${b.targets.join(', ')}: their losses over the horizon are not comparable`
  );
}

export class ShadowService {
  private hooks: ShadowHooks = {};
  private readonly coalescer: KeyedCoalescer<string>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly lifecycle: LifecycleService,
    private readonly events: EventsService,
    private readonly policy: PolicyService,
    private readonly gate: PromotionGate,
    private readonly log: (message: string) => void,
  ) {
    this.coalescer = new KeyedCoalescer((modelId) => this.evaluateModel(modelId).then(() => undefined), {
      delayMs: COALESCE_MS,
      onError: (modelId, error) => this.log(`shadow tester: evaluation of model ${modelId} failed: ${(error as Error).message}`),
    });
  }

  setHooks(hooks: ShadowHooks): void {
    this.hooks = hooks;
  }

  /**
   * The evaluation of a SHADOW version now (nothing is written or acted on); for a version that has
   * left SHADOW, the last evaluation the tester recorded for it.
   */
  async shadowEvaluation(modelVersionId: string): Promise<ShadowEvaluation> {
    const version = await this.registry.getModelVersion(modelVersionId);
    const model = await this.dataSource.getRepository(RegisteredModelEntity).findOneByOrFail({ id: version.registeredModelId });
    if (version.status !== 'SHADOW') return this.recordedEvaluation(model, version);
    const active = await this.registry.activeVersion(model.id);
    if (!active)
      throw new ConflictError(`model "${model.name}" has no ACTIVE version to compare SHADOW version ${version.version} with`, {
        field: 'modelVersionId',
      });
    const test = await this.dataSource
      .getRepository(ShadowTestEntity)
      .findOneBy({ modelVersionId: version.id, activeVersionId: active.id });
    return this.evaluate(model, active, version, await this.policy.document(), test);
  }

  /** Event-stream listener: a new SHADOW, a new ACTIVE version or a new policy calls for fresh verdicts. */
  readonly onEvent = (event: KybernetEvent): void => {
    // A resume may release a PROMOTE verdict that paused learning held.
    if (event.type === 'policy.updated' || event.type === 'learning.resumed') {
      void this.modelsWithShadows().then(
        (ids) => ids.forEach((id) => this.coalescer.request(id)),
        (error) => this.log(`shadow tester: ${(error as Error).message}`),
      );
      return;
    }
    if (!event.modelName || !LIFECYCLE_EVENTS.includes(event.type)) return;
    if (event.type === 'model.registered' && event.payload.status !== 'SHADOW') return;
    void this.registry.getRegisteredModel(event.modelName).then(
      (model) => this.coalescer.request(model.id),
      (error) => this.log(`shadow tester: ${(error as Error).message}`),
    );
  };

  /** OutcomeNotifications listener. */
  readonly onOutcomes = (registeredModelId: string): void => this.coalescer.request(registeredModelId);

  /** Judges every SHADOW version of the model against its ACTIVE version and acts on the verdicts. */
  async evaluateModel(registeredModelId: string): Promise<ShadowEvaluation[]> {
    const model = await this.dataSource.getRepository(RegisteredModelEntity).findOneBy({ id: registeredModelId });
    if (!model) return [];
    const active = await this.registry.activeVersion(model.id);
    if (!active || !taskOf(active)) return [];
    const shadows = await this.dataSource
      .getRepository(ModelVersionEntity)
      .find({ where: { registeredModelId: model.id, status: 'SHADOW' }, order: { version: 'ASC' } });
    const policy = await this.policy.document();
    const evaluations: ShadowEvaluation[] = [];
    for (const shadow of shadows) {
      if (taskOf(shadow) !== taskOf(active)) continue;
      const test = await this.startTest(model, active, shadow, policy);
      const evaluation = await this.evaluate(model, active, shadow, policy, test);
      evaluation.test = await this.recordEvaluation(evaluation);
      evaluations.push(evaluation);
    }
    await this.act(model, evaluations);
    return evaluations;
  }

  async close(): Promise<void> {
    await this.coalescer.close();
  }

  private async act(model: RegisteredModelEntity, evaluations: ShadowEvaluation[]): Promise<void> {
    const promotable = evaluations.filter((evaluation) => evaluation.decision === 'PROMOTE');
    const best = promotable.sort((a, b) => a.comparison!.shadow.meanLoss - b.comparison!.shadow.meanLoss)[0];
    // Rejections first: they were judged against the ACTIVE version a promotion would replace.
    const ordered = [...evaluations].sort((a, b) => Number(b.decision === 'REJECT') - Number(a.decision === 'REJECT'));
    for (const evaluation of ordered) {
      if (evaluation.decision === 'CONTINUE' || (evaluation.decision === 'PROMOTE' && evaluation !== best && !evaluation.promotionHold))
        continue;
      try {
        await this.hooks.verdictWillApply?.(evaluation);
        if (evaluation.decision === 'REJECT') await this.reject(model, evaluation);
        else await this.recommendAndPromote(model, evaluation);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        this.log(
          `shadow tester: version ${evaluation.shadow.version} of "${model.name}": not ${evaluation.decision === 'REJECT' ? 'rejected' : 'promoted'}, the model changed meanwhile (${error.message}); it is judged again on the new state`,
        );
      }
    }
  }

  private async evaluate(
    model: RegisteredModelEntity,
    active: ModelVersionEntity,
    shadow: ModelVersionEntity,
    policy: Policy,
    test: ShadowTestEntity | null,
  ): Promise<ShadowEvaluation> {
    const thresholds = policy.auto_promote_threshold;
    const task = taskOf(shadow);
    const base = {
      shadow,
      active,
      thresholds,
      test,
      evaluatedAt: new Date(),
      promotionHold: await this.promotionHold(model, active, shadow, policy),
    };
    if (!task || task !== taskOf(active)) {
      const reason = `version ${shadow.version} (${shadow.signature?.task ?? 'no signature'}) cannot be compared with the ACTIVE version ${active.version} (${active.signature?.task ?? 'no signature'}) on outcomes`;
      return { ...base, decision: 'CONTINUE', reasons: [reason], comparison: null };
    }
    let comparison: ShadowComparison | null;
    if (task === 'forecast') {
      const mismatch = forecastShapeMismatch(shadow, active);
      if (mismatch) return { ...base, decision: 'CONTINUE', reasons: [mismatch], comparison: null };
      const pairs = await this.forecastPairs(model.id, shadow.id, active.id, thresholds.max_samples);
      comparison = pairs.length ? compareForecastShadow(pairs) : null;
    } else {
      const pairs = await this.pairs(model.id, shadow.id, active.id, thresholds.max_samples);
      comparison = pairs.length ? compareShadow(task, pairs) : null;
    }
    if (!comparison)
      return {
        ...base,
        decision: 'CONTINUE',
        reasons: [`0 of the ${thresholds.min_samples} paired outcomes needed for a verdict`],
        comparison: null,
      };
    return { ...base, ...shadowVerdict(comparison, thresholds), comparison };
  }

  /**
   * The shadow's and the ACTIVE version's predictions of the same requests, with their realised
   * values, oldest first: at most `limit` (the policy's max_samples), so a verdict rests on a fixed,
   * growing prefix of the test.
   */
  private async pairs(registeredModelId: string, shadowId: string, activeId: string, limit: number): Promise<ShadowPair[]> {
    const rows: { shadow: number; active: number; actual: number }[] = await this.dataSource.query(
      `SELECT s.value AS shadow, a.value AS active, o.actual
       FROM predictions s
       JOIN predictions a ON a.model_version_id = $3 AND a.request_id = s.request_id
       ${joinOutcomes({ prediction: 's', model: '$1' })}
       WHERE s.model_version_id = $2 AND s.value IS NOT NULL AND a.value IS NOT NULL
       ORDER BY s.created_at, s.request_id
       LIMIT $4`,
      [registeredModelId, shadowId, activeId, limit],
    );
    return rows;
  }

  /**
   * As `pairs`, for sequence versions: each one's loss over the horizon (mean squared and mean absolute
   * error over every step and target) on the requests with realised rows, where both losses exist.
   */
  private async forecastPairs(registeredModelId: string, shadowId: string, activeId: string, limit: number): Promise<ForecastPair[]> {
    const rows: { shadow_loss: number; active_loss: number; shadow_ae: number; active_ae: number }[] = await this.dataSource.query(
      `SELECT shadow_loss, active_loss, shadow_ae, active_ae FROM (
         SELECT ${forecastLossSql('s')} AS shadow_loss, ${forecastLossSql('a')} AS active_loss,
                ${forecastAbsoluteErrorSql('s')} AS shadow_ae, ${forecastAbsoluteErrorSql('a')} AS active_ae, s.created_at, s.request_id
         FROM predictions s
         JOIN predictions a ON a.model_version_id = $3 AND a.request_id = s.request_id
         ${joinOutcomes({ prediction: 's', model: '$1' })}
         WHERE s.model_version_id = $2 AND o.actuals IS NOT NULL
       ) AS losses
       -- a NaN output (a row the model could not score) gives a NaN loss: not a comparable pair
       WHERE shadow_loss <> 'NaN' AND active_loss <> 'NaN'
       ORDER BY created_at, request_id
       LIMIT $4`,
      [registeredModelId, shadowId, activeId, limit],
    );
    return rows.map((row) => ({
      shadowLoss: row.shadow_loss,
      activeLoss: row.active_loss,
      shadowAbsoluteError: row.shadow_ae,
      activeAbsoluteError: row.active_ae,
    }));
  }

  private async promotionHold(
    model: RegisteredModelEntity,
    active: ModelVersionEntity,
    shadow: ModelVersionEntity,
    policy: Policy,
  ): Promise<string | null> {
    if (!policy.auto_promote_threshold.enabled) return 'automatic promotion is off (policy auto_promote_threshold.enabled)';
    return this.gate.automaticPromotionHold(model, active, shadow);
  }

  /** Records the test against this ACTIVE version (shadow.testing.started) the first time; a new ACTIVE version restarts it. */
  private async startTest(
    model: RegisteredModelEntity,
    active: ModelVersionEntity,
    shadow: ModelVersionEntity,
    policy: Policy,
  ): Promise<ShadowTestEntity> {
    return this.dataSource.transaction(async (tx) => {
      const started: unknown[] = await tx.query(
        `INSERT INTO shadow_tests (model_version_id, registered_model_id, active_version_id) VALUES ($1, $2, $3)
         ON CONFLICT (model_version_id) DO UPDATE
           SET active_version_id = EXCLUDED.active_version_id, started_at = now(), evaluated_at = NULL, samples = 0,
               decision = NULL, reasons = '[]'::jsonb, comparison = NULL, recommended_at = NULL
           WHERE shadow_tests.active_version_id <> EXCLUDED.active_version_id AND shadow_tests.outcome IS NULL
         RETURNING model_version_id`,
        [shadow.id, model.id, active.id],
      );
      if (started.length > 0) {
        await this.events.append(tx, {
          type: 'shadow.testing.started',
          modelName: model.name,
          modelVersionId: shadow.id,
          payload: {
            model: model.name,
            version: shadow.version,
            againstVersion: active.version,
            thresholds: policy.auto_promote_threshold,
          },
        });
      }
      return tx.findOneByOrFail(ShadowTestEntity, { modelVersionId: shadow.id });
    });
  }

  private async recordEvaluation(evaluation: ShadowEvaluation): Promise<ShadowTestEntity> {
    const repository = this.dataSource.getRepository(ShadowTestEntity);
    await repository.update(
      { modelVersionId: evaluation.shadow.id, activeVersionId: evaluation.active.id },
      {
        evaluatedAt: evaluation.evaluatedAt,
        samples: evaluation.comparison?.samples ?? 0,
        decision: evaluation.decision,
        reasons: evaluation.reasons,
        comparison: evaluation.comparison,
      },
    );
    return repository.findOneByOrFail({ modelVersionId: evaluation.shadow.id });
  }

  private async recordedEvaluation(model: RegisteredModelEntity, version: ModelVersionEntity): Promise<ShadowEvaluation> {
    const test = await this.dataSource.getRepository(ShadowTestEntity).findOneBy({ modelVersionId: version.id });
    if (!test?.decision) {
      throw new ConflictError(
        `expects a SHADOW version or one the shadow tester judged, but version ${version.version} of "${model.name}" is ${version.status} and was never evaluated`,
        {
          field: 'modelVersionId',
        },
      );
    }
    const active = await this.registry.getModelVersion(test.activeVersionId);
    return {
      shadow: version,
      active,
      decision: test.decision,
      reasons: test.reasons,
      comparison: test.comparison,
      thresholds: (await this.policy.document()).auto_promote_threshold,
      promotionHold: null,
      test,
      evaluatedAt: test.evaluatedAt ?? test.startedAt,
    };
  }

  private figures(evaluation: ShadowEvaluation): ShadowFigures {
    const { comparison } = evaluation;
    return {
      againstVersion: evaluation.active.version,
      samples: comparison?.samples ?? 0,
      improvementPct: comparison?.improvementPct ?? null,
      pValue: comparison?.test?.pValue ?? null,
      shadow: comparison?.shadow ?? null,
      active: comparison?.active ?? null,
      reasons: evaluation.reasons,
    };
  }

  private async reject(model: RegisteredModelEntity, evaluation: ShadowEvaluation): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await this.requireActive(tx, model, evaluation.active);
      await this.lifecycle.rejectShadow(tx, model, evaluation.shadow, evaluation.reasons.join('; '), this.figures(evaluation));
      await tx.update(ShadowTestEntity, { modelVersionId: evaluation.shadow.id }, { outcome: 'REJECTED', concludedAt: () => 'now()' });
    });
  }

  private async recommendAndPromote(model: RegisteredModelEntity, evaluation: ShadowEvaluation): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const marked = await tx
        .createQueryBuilder()
        .update(ShadowTestEntity)
        .set({ recommendedAt: () => 'now()' })
        .where('model_version_id = :shadow AND active_version_id = :active AND recommended_at IS NULL', {
          shadow: evaluation.shadow.id,
          active: evaluation.active.id,
        })
        .execute();
      if (marked.affected !== 1) return;
      await this.events.append(tx, {
        type: 'shadow.promotion.recommended',
        modelName: model.name,
        modelVersionId: evaluation.shadow.id,
        payload: {
          model: model.name,
          version: evaluation.shadow.version,
          automatic: !evaluation.promotionHold,
          heldBy: evaluation.promotionHold,
          ...this.figures(evaluation),
        },
      });
    });
    if (evaluation.promotionHold) return;
    await this.lifecycle.promoteShadow(model, evaluation.shadow, `shadow test: ${evaluation.reasons.join('; ')}`, async (tx) => {
      await this.events.append(tx, {
        type: 'shadow.promoted',
        modelName: model.name,
        modelVersionId: evaluation.shadow.id,
        payload: {
          model: model.name,
          version: evaluation.shadow.version,
          previousVersion: evaluation.active.version,
          ...this.figures(evaluation),
        },
      });
      await tx.update(ShadowTestEntity, { modelVersionId: evaluation.shadow.id }, { outcome: 'PROMOTED', concludedAt: () => 'now()' });
    });
  }

  private async requireActive(tx: EntityManager, model: RegisteredModelEntity, active: ModelVersionEntity): Promise<void> {
    const current = await tx.findOneBy(ModelVersionEntity, { registeredModelId: model.id, status: 'ACTIVE' });
    if (current?.id !== active.id) throw new ConflictError(`the ACTIVE version of "${model.name}" is no longer version ${active.version}`);
  }

  private async modelsWithShadows(): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT registered_model_id AS id FROM model_versions WHERE status = 'SHADOW'`,
    );
    return rows.map((row) => row.id);
  }
}
