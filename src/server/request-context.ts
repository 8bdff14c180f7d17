/**
 * The GraphQL context of one operation: the authenticated caller, the services, and DataLoaders that
 * batch the by-id lookups of the operation's field resolvers (one query per entity and tick).
 */
import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { DatasetEntity } from '../entities/dataset.entity';
import { JobEntity } from '../entities/job.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import type { Principal } from '../platform/access/api-keys.service';
import type { Context, Loaders } from '../schema/context';
import type { Services } from './container';

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
function createLoaders(dataSource: DataSource): Loaders {
  return {
    registeredModel: byId(dataSource, RegisteredModelEntity),
    modelVersion: byId(dataSource, ModelVersionEntity),
    dataset: byId(dataSource, DatasetEntity),
    job: byId(dataSource, JobEntity),
  };
}
