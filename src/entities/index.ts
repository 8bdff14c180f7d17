import { ApiKeyEntity } from './api-key.entity';
import { AuditLogEntity } from './audit-log.entity';
import { BarEntity } from './bar.entity';
import { BarSeriesEntity } from './bar-series.entity';
import { DatasetEntity } from './dataset.entity';
import { DriftEventEntity } from './drift-event.entity';
import { ModelHealthStateEntity } from './model-health-state.entity';
import { ShadowScoringCursorEntity } from './shadow-scoring-cursor.entity';
import { ShadowTestEntity } from './shadow-test.entity';
import { EventEntity } from './event.entity';
import { ForecastRequestEntity } from './forecast-request.entity';
import { JobEntity } from './job.entity';
import { LearningCounterEntity } from './learning-counter.entity';
import { LearningEventEntity } from './learning-event.entity';
import { LearningSwitchEntity } from './learning-switch.entity';
import { ModelLearningStateEntity } from './model-learning-state.entity';
import { TuningTrialEntity } from './tuning-trial.entity';
import { ModelVersionEntity } from './model-version.entity';
import { PolicyEntity } from './policy.entity';
import { PredictionEntity } from './prediction.entity';
import { RegisteredModelEntity } from './registered-model.entity';
import { RequestOutcomeEntity } from './request-outcome.entity';
import { RlAgentEntity } from './rl-agent.entity';
import { RlSnapshotEntity } from './rl-snapshot.entity';
import { RlTransitionEntity } from './rl-transition.entity';
import { TradeEntity } from './trade.entity';

export const entities = [
  RegisteredModelEntity,
  ModelVersionEntity,
  DatasetEntity,
  PredictionEntity,
  EventEntity,
  ApiKeyEntity,
  AuditLogEntity,
  JobEntity,
  PolicyEntity,
  LearningEventEntity,
  BarSeriesEntity,
  BarEntity,
  TradeEntity,
  RequestOutcomeEntity,
  LearningCounterEntity,
  RlAgentEntity,
  RlTransitionEntity,
  RlSnapshotEntity,
  ShadowTestEntity,
  DriftEventEntity,
  ModelHealthStateEntity,
  ShadowScoringCursorEntity,
  ForecastRequestEntity,
  LearningSwitchEntity,
  ModelLearningStateEntity,
  TuningTrialEntity,
];
