/**
 * The automatic rollback: while the ACTIVE version of a model is CRITICAL (health, or a drift check), the loop goes back
 * by itself to the version it replaced — the one `rollbackModel` would choose — if, and only if:
 *   - policy safety.automatic_rollback is on and automatic learning of the model is not paused;
 *   - that version was HEALTHY over the end of its last period of service (HealthService.versionHealth on
 *     its own latest ACTIVE predictions and their outcomes);
 *   - it passes the gate before SHADOW (promotion-gate.ts, policy promotion_gate) against the CRITICAL
 *     version on the recent requests the CRITICAL version answered and that have outcomes: both score the
 *     logged features of those requests, oldest first.
 * It then appends `model.rolled_back` with automatic: true and the reason; the retraining the worsening
 * asks for runs as before. Otherwise it logs why not and leaves the model as it is.
 */
import type { DataSource } from 'typeorm';
import type { Policy } from '../config/policy';
import type { ModelVersionEntity, PromotionGateFigures } from '../entities/model-version.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ConflictError } from '../lib/errors';
import { isScoredTask } from '../lib/scored-task';
import type { FamilyRegistry } from '../plugins';
import type { PolicyService } from '../platform/policy/policy.service';
import type { LifecycleService } from '../registry/lifecycle.service';
import type { RegistryService } from '../registry/registry.service';
import { joinOutcomes } from '../serving/prediction-outcomes';
import type { LearningSwitchService } from '../learning/learning-switch.service';
import type { HealthService } from './health.service';
import { judgeCandidate } from './promotion-gate';

export type RollbackDecision = { rolledBackTo: ModelVersionEntity; gate: PromotionGateFigures } | { rolledBackTo: null; why: string };

export class AutomaticRollback {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly lifecycle: LifecycleService,
    private readonly families: FamilyRegistry,
    private readonly policy: PolicyService,
    private readonly health: Pick<HealthService, 'versionHealth'>,
    private readonly learning: Pick<LearningSwitchService, 'promotionHold'>,
    private readonly log: (message: string) => void,
  ) {}

  /** Why the last decision per CRITICAL version was not to roll back: each reason is logged once. */
  private readonly lastWhy = new Map<string, string>();

  /**
   * Rolls `model` back from `critical`, its CRITICAL ACTIVE version, when its predecessor earns it (the
   * rule above). Asked on every health refresh while CRITICAL, so a decision that lacked recent outcomes
   * is taken again as they arrive.
   */
  async afterCritical(model: RegisteredModelEntity, critical: ModelVersionEntity, cause: string): Promise<RollbackDecision> {
    const decision = await this.decide(model, critical, cause);
    if (decision.rolledBackTo) this.lastWhy.delete(critical.id);
    else if (this.lastWhy.get(critical.id) !== decision.why) {
      this.lastWhy.set(critical.id, decision.why);
      this.log(`automatic rollback of "${model.name}" v${critical.version}: not done, ${decision.why}`);
    }
    return decision;
  }

  private async decide(model: RegisteredModelEntity, critical: ModelVersionEntity, cause: string): Promise<RollbackDecision> {
    const policy = await this.policy.document();
    if (!policy.safety.automatic_rollback) return { rolledBackTo: null, why: 'policy safety.automatic_rollback is off' };
    const hold = await this.learning.promotionHold(model.id);
    if (hold) return { rolledBackTo: null, why: hold };
    const predecessor = await this.lifecycle.rollbackTarget(model);
    if (!predecessor) return { rolledBackTo: null, why: 'there is no earlier ACTIVE version to go back to' };
    const task = critical.signature?.task;
    if (
      !isScoredTask(task) ||
      predecessor.signature?.task !== task ||
      predecessor.featureNames.join('\u0000') !== critical.featureNames.join('\u0000')
    ) {
      return {
        rolledBackTo: null,
        why: `version ${predecessor.version} does not answer the same requests (another task or other features)`,
      };
    }
    const health = await this.health.versionHealth(model, predecessor);
    if (health.status !== 'HEALTHY') {
      return {
        rolledBackTo: null,
        why: `version ${predecessor.version} was ${health.status} at the end of its last period of service (${health.reasons.join('; ')})`,
      };
    }
    const gate = await this.gateOnRecentRequests(predecessor, critical, task, policy);
    if (!gate.passed) {
      return {
        rolledBackTo: null,
        why: `version ${predecessor.version} fails the gate on the recent requests: ${gate.reasons.join('; ')}`,
      };
    }
    const reason =
      `automatic: version ${critical.version} is CRITICAL (${cause}); version ${predecessor.version} was HEALTHY over its last period ` +
      `of service and ${gate.reasons[0]}`;
    try {
      const rolledBackTo = await this.lifecycle.rollbackModel({ model: model.name, version: predecessor.version, reason, automatic: true });
      this.log(`automatic rollback of "${model.name}": v${critical.version} → v${predecessor.version}`);
      return { rolledBackTo, gate };
    } catch (error) {
      // Another change to the model won the race (an operator, another replica): nothing to undo.
      if (error instanceof ConflictError) return { rolledBackTo: null, why: error.message };
      throw error;
    }
  }

  /** The predecessor (as the candidate) against the CRITICAL version on the latest requests it answered that have outcomes. */
  private async gateOnRecentRequests(
    predecessor: ModelVersionEntity,
    critical: ModelVersionEntity,
    task: 'regression' | 'binary',
    policy: Policy,
  ): Promise<PromotionGateFigures> {
    const rows: { features: number[]; value: number; actual: number }[] = await this.dataSource.query(
      `SELECT features, value, actual FROM (
         SELECT p.features, p.value, o.actual, p.created_at FROM predictions p
         ${joinOutcomes()}
         WHERE p.model_version_id = $1 AND p.role = 'ACTIVE' AND p.value IS NOT NULL AND o.actual IS NOT NULL
         ORDER BY p.created_at DESC LIMIT $2
       ) AS recent ORDER BY created_at`,
      [critical.id, policy.health.window_predictions],
    );
    const width = critical.featureNames.length;
    const batch = new Float32Array(rows.length * width);
    rows.forEach((row, r) =>
      batch.set(
        row.features.map((value) => (value === null ? Number.NaN : value)),
        r * width,
      ),
    );
    const predictor = await this.families.get(predecessor.family).load(await this.registry.loadArtifact(predecessor));
    let outputs: Float32Array;
    try {
      outputs = rows.length > 0 ? await predictor.predict(batch, rows.length) : new Float32Array(0);
    } finally {
      await predictor.dispose();
    }
    const stride = predictor.signature.outputs.length;
    return judgeCandidate(
      {
        task,
        againstVersion: critical.version,
        actuals: rows.map((row) => row.actual),
        candidate: Float32Array.from(rows, (_, r) => outputs[r * stride]),
        active: rows.map((row) => row.value),
      },
      policy.promotion_gate,
    );
  }
}
