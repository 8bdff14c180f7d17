/** Every resolver of the API, room by room in the capability order (the schema is printed sorted, so order here is only for reading). */
import { ApiKeyResolver } from '../platform/access/api-key.resolver';
import { EventResolver } from '../platform/events/event.resolver';
import { JobResolver } from '../platform/jobs/job.resolver';
import { PolicyResolver } from '../platform/policy/policy.resolver';
import { ScheduleResolver } from '../platform/schedules/schedule.resolver';
import { DatasetResolver } from '../registry/dataset.resolver';
import { JobModelsResolver } from '../registry/job-models.resolver';
import { FamilyResolver, ModelVersionResolver, RegisteredModelResolver } from '../registry/model.resolver';
import { ComparisonResolver } from '../serving/comparison.resolver';
import { PredictionResolver } from '../serving/prediction.resolver';
import { ForecastResolver } from '../serving/forecast.resolver';
import { MarketDataResolver } from '../market/market-data.resolver';
import { RetrainingResolver } from '../learning/retraining.resolver';
import { LearningSwitchResolver } from '../learning/learning-switch.resolver';
import { TrainingResolver } from '../learning/training.resolver';
import { TuningResolver } from '../learning/tuning.resolver';
import { DecisionResolver } from '../trading/decision.resolver';
import { OutcomeResolver } from '../trading/outcome.resolver';
import { TradeResolver } from '../trading/trade.resolver';
import { DriftResolver } from '../monitoring/drift.resolver';
import { HealthResolver } from '../monitoring/health.resolver';
import { ShadowResolver } from '../monitoring/shadow.resolver';
import { EvaluationResolver } from '../monitoring/evaluation.resolver';
import { RlAgentResolver, RlSnapshotResolver } from '../rl/rl.resolver';

export const resolvers = [
  ApiKeyResolver,
  EventResolver,
  JobResolver,
  PolicyResolver,
  ScheduleResolver,
  FamilyResolver,
  RegisteredModelResolver,
  ModelVersionResolver,
  DatasetResolver,
  JobModelsResolver,
  PredictionResolver,
  ForecastResolver,
  ComparisonResolver,
  MarketDataResolver,
  RetrainingResolver,
  LearningSwitchResolver,
  TrainingResolver,
  TuningResolver,
  TradeResolver,
  OutcomeResolver,
  DecisionResolver,
  ShadowResolver,
  DriftResolver,
  HealthResolver,
  EvaluationResolver,
  RlAgentResolver,
  RlSnapshotResolver,
] as const;
