import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { DatasetEntity } from '../entities/dataset.entity';
import { JobEntity } from '../entities/job.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
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

function byId<T extends { id: string }>(dataSource: DataSource, entity: new () => T): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await dataSource.getRepository(entity).findBy({ id: In([...ids]) } as never);
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** The context of one operation by `principal` (authenticated by the transport before anything runs). */
export function createContext(services: Services, principal: Principal): Context {
  return { principal, services, loaders: createLoaders(services.dataSource) };
}

/** Per request, so that batching never serves one request another's rows. */
export function createLoaders(dataSource: DataSource): Loaders {
  return {
    registeredModel: byId(dataSource, RegisteredModelEntity),
    modelVersion: byId(dataSource, ModelVersionEntity),
    dataset: byId(dataSource, DatasetEntity),
    job: byId(dataSource, JobEntity),
  };
}
