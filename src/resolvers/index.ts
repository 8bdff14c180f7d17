import { ApiKeyResolver } from './api-key.resolver';
import { DatasetResolver } from './dataset.resolver';
import { DriftResolver } from './drift.resolver';
import { HealthResolver } from './health.resolver';
import { ShadowResolver } from './shadow.resolver';
import { DecisionResolver } from './decision.resolver';
import { EventResolver } from './event.resolver';
import { JobResolver } from './job.resolver';
import { MarketDataResolver } from './market-data.resolver';
import { FamilyResolver, ModelVersionResolver, RegisteredModelResolver } from './model.resolver';
import { OutcomeResolver } from './outcome.resolver';
import { PolicyResolver } from './policy.resolver';
import { PredictionResolver } from './prediction.resolver';
import { RetrainingResolver } from './retraining.resolver';
import { RlAgentResolver, RlSnapshotResolver } from './rl.resolver';
import { TradeResolver } from './trade.resolver';

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
