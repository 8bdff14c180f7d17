/** Every service of one process, built once by the composition root (server/app.ts). */
import type { DataSource } from 'typeorm';
import type { FamilyRegistry } from '../plugins';
import type { ArtifactStore } from '../storage/artifact-store';
import type { ApiKeysService } from './api-keys.service';
import type { AuditService } from './audit.service';
import type { DatasetsService } from './datasets.service';
import type { EvaluationService } from './evaluation.service';
import type { EventStream } from './event-stream';
import type { EventsService } from './events.service';
import type { JobsService } from './jobs.service';
import type { LifecycleService } from './lifecycle.service';
import type { PolicyService } from './policy.service';
import type { RegistryService } from './registry.service';
import type { ServingService } from './serving.service';
import type { TrainingService } from './training.service';
import type { ArchiveService } from './archive.service';
import type { RetrainingService } from './retraining.service';
import type { Scheduler } from './scheduler';
import type { DriftService } from './drift.service';
import type { HealthService } from './health.service';
import type { ShadowService } from './shadow.service';
import type { RlAgentsService } from './rl-agents.service';
import type { BarsService } from './bars.service';
import type { DecisionService } from './decision.service';
import type { FeaturesService } from './features.service';
import type { LearningTriggerService } from './learning-trigger.service';
import type { OutcomesService } from './outcomes.service';
import type { TradesService } from './trades.service';
import type { TuningService } from './tuning.service';

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
  evaluation: EvaluationService;
  policy: PolicyService;
  retraining: RetrainingService;
  tuning: TuningService;
  archive: ArchiveService;
  /** Register scheduled tasks here (see services/scheduler.ts). */
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
}
