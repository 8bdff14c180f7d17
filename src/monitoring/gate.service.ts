/**
 * The gate before SHADOW: before a trained, retrained or tuned candidate is registered, it and the
 * model's ACTIVE version score the candidate's held-out rows (learning/validation-tail), and
 * promotion-gate.ts decides by the policy's `promotion_gate` whether the candidate may score live
 * traffic (SHADOW) or is REJECTED. Wired into TrainingService as its `candidateWillRegister` hook (`admit`),
 * with the policy's limit of shadows per model.
 */
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import { isScoredTask } from '../lib/scored-task';
import type { FamilyRegistry } from '../plugins';
import type { SequenceTrainingSet, TabularTrainingSet, TrainedModel } from '../plugins/contract';
import type { PromotionGateFigures } from '../entities/model-version.entity';
import type { PolicyService } from '../platform/policy/policy.service';
import type { CandidateAdmission, RegistryService } from '../registry/registry.service';
import type { Policy } from '../config/policy';
import { heldOutRows, heldOutTargets, predictHeldOut } from '../learning/validation-tail';
import { judgeCandidate, tooFewRowsGate, uncomparedGate } from './promotion-gate';

export interface GateCandidate {
  model: RegisteredModelEntity;
  trained: TrainedModel;
  /** The rows the candidate was trained and validated on. */
  set: TabularTrainingSet | SequenceTrainingSet;
}

export class GateService {
  constructor(
    private readonly registry: RegistryService,
    private readonly families: FamilyRegistry,
    private readonly policy: PolicyService,
  ) {}

  /** How `candidate` is admitted: the gate's verdict and the policy's limit of shadows (the training hook). */
  async admit(candidate: GateCandidate): Promise<Omit<CandidateAdmission, 'kind'>> {
    const policy = await this.policy.document();
    return { gate: await this.judge(candidate, policy.promotion_gate), maxShadows: policy.shadow_testing.max_shadows };
  }

  /** The gate's verdict on `candidate` against its model's ACTIVE version now. */
  async judge({ model, trained, set }: GateCandidate, settings: Policy['promotion_gate']): Promise<PromotionGateFigures> {
    if (!settings.enabled) return uncomparedGate(true, 'not judged: promotion_gate.enabled is off');
    const active = await this.registry.activeVersion(model.id);
    if (!active) return uncomparedGate(true, 'no ACTIVE version to compare against: the first version goes to SHADOW');
    const task = trained.artifact.signature.task;
    // Sequence candidates are judged on their horizon loss by the shadow tester; policies by their agents.
    if (set.kind !== 'tabular' || !isScoredTask(task)) {
      return uncomparedGate(true, `not judged before SHADOW: a ${task} candidate is judged by the shadow tester only`, active.version);
    }
    if (active.signature?.task !== task || active.featureNames.join('\u0000') !== set.featureNames.join('\u0000')) {
      return uncomparedGate(
        true,
        `not comparable with version ${active.version} (another task or other features): the shadow tester judges it live`,
        active.version,
      );
    }
    const rows = heldOutRows(trained);
    if (rows < settings.min_rows) return tooFewRowsGate(task, rows, active.version, settings);
    const family = this.families.get(model.family);
    const candidatePredictor = await family.load(trained.artifact);
    try {
      const activePredictor = await family.load(await this.registry.loadArtifact(active));
      try {
        return judgeCandidate(
          {
            task,
            againstVersion: active.version,
            actuals: heldOutTargets(set, rows),
            candidate: await predictHeldOut(candidatePredictor, set, rows),
            active: await predictHeldOut(activePredictor, set, rows),
          },
          settings,
        );
      } finally {
        await activePredictor.dispose();
      }
    } finally {
      await candidatePredictor.dispose();
    }
  }
}
