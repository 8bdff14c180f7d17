/**
 * The gate before SHADOW: before a trained, retrained or tuned candidate is registered, it and the
 * model's ACTIVE version score the candidate's held-out rows (learning/validation-tail: a tabular
 * candidate's validation tail, a sequence candidate's validation windows by their horizon loss), and
 * promotion-gate.ts decides by the policy's `promotion_gate` whether the candidate may score live
 * traffic (SHADOW) or is REJECTED. Wired into TrainingService as its `candidateWillRegister` hook (`admit`),
 * with the policy's limit of shadows per model.
 */
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import { isScoredTask } from '../lib/scored-task';
import type { FamilyRegistry } from '../plugins';
import type { Predictor, SequenceTrainingSet, TabularTrainingSet, TrainedModel } from '../plugins/contract';
import type { ModelVersionEntity, PromotionGateFigures } from '../entities/model-version.entity';
import type { PolicyService } from '../platform/policy/policy.service';
import type { DatasetsService } from '../registry/datasets.service';
import type { CandidateAdmission, ImportJudge, RegistryService } from '../registry/registry.service';
import { toTrainingSet } from '../lib/dataset-table';
import { InvalidInputError, NotFoundError } from '../lib/errors';
import type { Policy } from '../config/policy';
import { forecastLossesHeldOut, heldOutRows, heldOutTargets, heldOutWindows, predictHeldOut } from '../learning/validation-tail';
import { judgeCandidate, judgeForecastCandidate, tooFewRowsGate, uncomparedGate, type GateSettings } from './promotion-gate';
import { lossName } from './outcome-scoring';

export interface GateCandidate {
  model: RegisteredModelEntity;
  trained: TrainedModel;
  /** The rows the candidate was trained and validated on. */
  set: TabularTrainingSet | SequenceTrainingSet;
  /** Rows at the end of a tabular `set` held out (default: the training's validation tail). */
  heldOutRows?: number;
}

const notComparable = (active: ModelVersionEntity) =>
  uncomparedGate(
    true,
    `not comparable with version ${active.version} (another task, other features or another window shape): the shadow tester judges it live`,
    active.version,
  );

export class GateService {
  constructor(
    private readonly registry: RegistryService,
    private readonly datasets: DatasetsService,
    private readonly families: FamilyRegistry,
    private readonly policy: PolicyService,
  ) {}

  /**
   * The gate's verdict on an import (LifecycleService's `importWillRegister` hook): the imported model and
   * the ACTIVE version score every row of the `validation` dataset, which the import did not train on.
   * A dataset without the import's features, target or order column is refused, naming what it lacks.
   */
  async judgeImport({ modelName, trained, validation }: Parameters<ImportJudge>[0]): Promise<PromotionGateFigures> {
    const settings = (await this.policy.document()).promotion_gate;
    const dataset = await this.datasets.getDataset(validation.dataset);
    const known = new Set(dataset.columns.map((column) => column.name));
    const needed = [...trained.artifact.featureNames, validation.targetColumn, validation.orderColumn];
    const missing = needed.filter((name) => !known.has(name));
    if (missing.length > 0) {
      throw new InvalidInputError(
        `expects validation.dataset "${dataset.name}" to hold the import's features, target and order column, but it lacks ${missing.join(', ')}`,
        { field: 'validation.dataset', missing },
      );
    }
    if (!settings.enabled) return uncomparedGate(true, 'not judged: promotion_gate.enabled is off');
    if (trained.artifact.signature.task === 'forecast') {
      return uncomparedGate(true, 'not judged before SHADOW: an imported sequence model is judged by the shadow tester only');
    }
    const model = await this.registry.getRegisteredModel(modelName).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!model) return uncomparedGate(true, 'no ACTIVE version to compare against: the first version goes to SHADOW');
    const { set } = toTrainingSet(await this.datasets.loadTable(dataset), {
      target: validation.targetColumn,
      features: trained.artifact.featureNames,
      orderBy: validation.orderColumn,
    });
    // Every labelled row is held out: the import names rows it did not train on.
    return this.judge({ model, trained, set, heldOutRows: set.rows }, settings);
  }

  /** How `candidate` is admitted: the gate's verdict and the policy's limit of shadows (the training hook). */
  async admit(candidate: GateCandidate): Promise<Omit<CandidateAdmission, 'kind'>> {
    const policy = await this.policy.document();
    return { gate: await this.judge(candidate, policy.promotion_gate), maxShadows: policy.shadow_testing.max_shadows };
  }

  /** The gate's verdict on `candidate` against its model's ACTIVE version now. */
  async judge(candidate: GateCandidate, settings: Policy['promotion_gate']): Promise<PromotionGateFigures> {
    const { model, trained, set } = candidate;
    if (!settings.enabled) return uncomparedGate(true, 'not judged: promotion_gate.enabled is off');
    const active = await this.registry.activeVersion(model.id);
    if (!active) return uncomparedGate(true, 'no ACTIVE version to compare against: the first version goes to SHADOW');
    const signature = trained.artifact.signature;
    if (set.kind === 'sequence' && signature.task === 'forecast') return this.judgeForecaster(model, trained, set, active, settings);
    const task = signature.task;
    // A policy (RL) candidate is judged by its own agent's replay evaluation, not here.
    if (set.kind !== 'tabular' || !isScoredTask(task)) {
      return uncomparedGate(true, `not judged before SHADOW: a ${task} candidate is not compared on held-out rows`, active.version);
    }
    if (active.signature?.task !== task || active.featureNames.join('\u0000') !== set.featureNames.join('\u0000')) {
      return notComparable(active);
    }
    if (candidate.heldOutRows === undefined && trained.learnedHeldOutRows) {
      return uncomparedGate(
        true,
        `not judged before SHADOW: refit on all rows (refit_on_all_rows), it has learned its held-out rows; the shadow tester judges it live`,
        active.version,
      );
    }
    const rows = candidate.heldOutRows ?? heldOutRows(trained);
    if (rows < settings.min_rows) return tooFewRowsGate(lossName(task), rows, active.version, settings);
    return this.withPredictors(model, trained, active, async (candidate, current) =>
      judgeCandidate(
        {
          task,
          againstVersion: active.version,
          actuals: heldOutTargets(set, rows),
          candidate: await predictHeldOut(candidate, set, rows),
          active: await predictHeldOut(current, set, rows),
        },
        settings,
      ),
    );
  }

  /** A sequence candidate and the ACTIVE version forecast the candidate's validation windows; the horizon losses decide. */
  private async judgeForecaster(
    model: RegisteredModelEntity,
    trained: TrainedModel,
    set: SequenceTrainingSet,
    active: ModelVersionEntity,
    settings: GateSettings,
  ): Promise<PromotionGateFigures> {
    const shape = trained.artifact.signature.sequence;
    const current = active.signature?.sequence;
    const sameShape =
      shape &&
      current &&
      shape.inputLength === current.inputLength &&
      shape.horizon === current.horizon &&
      shape.inputChannels.join('\u0000') === current.inputChannels.join('\u0000') &&
      shape.targets.join('\u0000') === current.targets.join('\u0000');
    if (active.signature?.task !== 'forecast' || !sameShape) return notComparable(active);
    const held = heldOutWindows(set);
    if (held.windows < settings.min_rows) return tooFewRowsGate('squared_error', held.windows, active.version, settings);
    return this.withPredictors(model, trained, active, async (candidate, currentPredictor) =>
      judgeForecastCandidate(
        {
          againstVersion: active.version,
          candidateLosses: await forecastLossesHeldOut(candidate, held),
          activeLosses: await forecastLossesHeldOut(currentPredictor, held),
        },
        settings,
      ),
    );
  }

  /** Runs `work` with the candidate's and the ACTIVE version's predictors loaded, disposing both after. */
  private async withPredictors<T>(
    model: RegisteredModelEntity,
    trained: TrainedModel,
    active: ModelVersionEntity,
    work: (candidate: Predictor, active: Predictor) => Promise<T>,
  ): Promise<T> {
    const family = this.families.get(model.family);
    const candidatePredictor = await family.load(trained.artifact);
    try {
      const activePredictor = await family.load(await this.registry.loadArtifact(active));
      try {
        return await work(candidatePredictor, activePredictor);
      } finally {
        await activePredictor.dispose();
      }
    } finally {
      await candidatePredictor.dispose();
    }
  }
}
