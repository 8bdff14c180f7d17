import { ApiKeyResolver } from './api-key.resolver';
import { DatasetResolver } from './dataset.resolver';
import { EventResolver } from './event.resolver';
import { JobResolver } from './job.resolver';
import { FamilyResolver, ModelVersionResolver, RegisteredModelResolver } from './model.resolver';
import { PolicyResolver } from './policy.resolver';
import { PredictionResolver } from './prediction.resolver';
import { RetrainingResolver } from './retraining.resolver';

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
] as const;
