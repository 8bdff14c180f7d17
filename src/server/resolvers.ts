import { ApiKeyResolver } from '../platform/access/api-key.resolver';
import { DatasetResolver } from '../registry/dataset.resolver';
import { DriftResolver } from '../monitoring/drift.resolver';
import { HealthResolver } from '../monitoring/health.resolver';
import { ShadowResolver } from '../monitoring/shadow.resolver';
import { DecisionResolver } from '../trading/decision.resolver';
import { EventResolver } from '../platform/events/event.resolver';
import { JobResolver } from '../platform/jobs/job.resolver';
import { MarketDataResolver } from '../market/market-data.resolver';
import { FamilyResolver, ModelVersionResolver, RegisteredModelResolver } from '../registry/model.resolver';
import { OutcomeResolver } from '../trading/outcome.resolver';
import { PolicyResolver } from '../platform/policy/policy.resolver';
import { PredictionResolver } from '../serving/prediction.resolver';
import { RetrainingResolver } from '../learning/retraining.resolver';
import { RlAgentResolver, RlSnapshotResolver } from '../rl/rl.resolver';
import { TradeResolver } from '../trading/trade.resolver';

export const resolvers = [
  FamilyResolver,
  RegisteredModelResolver,
  ModelVersionResolver,
  DatasetResolver,
  PredictionResolver,
  JobResolver,
  EventResolver,
  ApiKeyResolver,
  PolicyResolver,
  RetrainingResolver,
  MarketDataResolver,
  TradeResolver,
  OutcomeResolver,
  DecisionResolver,
  RlAgentResolver,
  RlSnapshotResolver,
  ShadowResolver,
  DriftResolver,
  HealthResolver,
] as const;
