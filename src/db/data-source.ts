import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { entities } from '../entities';

export function createDataSource(url: string, options: { poolSize?: number; applicationName?: string } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    // Each migration in its own transaction, so a failed one leaves the previous ones applied and itself undone.
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Failed statements are expected on some paths (a lost race, a duplicate name) and become domain errors.
    logging: false,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'kybernet',
  });
}

/** Connects and brings the schema up to date. */
export async function openDatabase(url: string, options?: Parameters<typeof createDataSource>[1]): Promise<DataSource> {
  const dataSource = createDataSource(url, options);
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
}
