/**
 * What every resolver receives: the caller, the services (the composition root's container) and the
 * request's DataLoaders (built per request by server/request-context.ts).
 */
import type DataLoader from 'dataloader';
import type { DatasetEntity } from '../entities/dataset.entity';
import type { JobEntity } from '../entities/job.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import type { Principal } from '../platform/access/api-keys.service';
import type { Services } from '../server/container';

export interface Loaders {
  registeredModel: DataLoader<string, RegisteredModelEntity | null>;
  modelVersion: DataLoader<string, ModelVersionEntity | null>;
  dataset: DataLoader<string, DatasetEntity | null>;
  job: DataLoader<string, JobEntity | null>;
}

export interface Context {
  principal: Principal;
  services: Services;
  loaders: Loaders;
}
