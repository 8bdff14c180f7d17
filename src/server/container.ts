/** Every service of one process, built once by the composition root (server/app.ts). */
import type { DataSource } from 'typeorm';
import type { FamilyRegistry } from '../plugins';
import type { ArtifactStore } from '../storage/artifact-store';
import type { ApiKeysService } from '../platform/access/api-keys.service';
import type { AuditService } from '../platform/access/audit.service';
import type { DatasetsService } from '../registry/datasets.service';
import type { ComparisonService } from '../serving/comparison.service';
import type { EventStream } from '../platform/events/event-stream';
import type { EventsService } from '../platform/events/events.service';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { LifecycleService } from '../registry/lifecycle.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { RegistryService } from '../registry/registry.service';
import type { ServingService } from '../serving/serving.service';
import type { TrainingService } from '../learning/training.service';
import type { ArchiveService } from '../registry/archive.service';
import type { RetrainingService } from '../learning/retraining.service';
import type { LearningSwitchService } from '../learning/learning-switch.service';
import type { Scheduler } from '../platform/schedules/scheduler';
import type { DriftService } from '../monitoring/drift.service';
import type { HealthService } from '../monitoring/health.service';
import type { ShadowService } from '../monitoring/shadow.service';
import type { EvaluationService } from '../monitoring/evaluation.service';
import type { RlAgentsService } from '../rl/agents.service';
import type { BarsService } from '../market/bars.service';
import type { DecisionService } from '../trading/decision.service';
import type { FeaturesService } from '../market/features.service';
import type { LearningTriggerService } from '../trading/learning-trigger.service';
import type { OutcomesService } from '../trading/outcomes.service';
import type { TradesService } from '../trading/trades.service';
import type { TuningService } from '../learning/tuning.service';

export interface Services {
  dataSource: DataSource;
  store: ArtifactStore;
  families: FamilyRegistry;
  events: EventsService;
  eventStream: EventStream;
  apiKeys: ApiKeysService;
  audit: AuditService;
  registry: RegistryService;
  lifecycle: LifecycleService;
  serving: ServingService;
  datasets: DatasetsService;
  jobs: JobsService;
  training: TrainingService;
  comparison: ComparisonService;
  policy: PolicyService;
  retraining: RetrainingService;
  /** The kill switch and circuit breaker of automatic learning: pauseLearning, resumeLearning, learningStatus. */
  learningSwitch: LearningSwitchService;
  tuning: TuningService;
  archive: ArchiveService;
  /** Register scheduled tasks here (see platform/schedules/scheduler.ts). */
  scheduler: Scheduler;
  bars: BarsService;
  features: FeaturesService;
  outcomes: OutcomesService;
  learningTrigger: LearningTriggerService;
  trades: TradesService;
  /** tradePrediction, positionSizeMultiplier, strategyWeights; the RL agents plug in with `setAgents`. */
  decision: DecisionService;
  /** The RL agents in the live loop (decisions, learning from trades, snapshots, resets). */
  rlAgents: RlAgentsService;
  /** Drift checks, drift events and their response policy. */
  drift: DriftService;
  /** The shadow tester: SHADOW versions against the ACTIVE one, promotion and rejection. */
  shadow: ShadowService;
  /** Model health: win rate, calibration, long/short balance, latency. */
  health: HealthService;
  /** evaluateModel: backtests of a version on a labelled dataset (EVALUATE jobs). */
  evaluation: EvaluationService;
}
