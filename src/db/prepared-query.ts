/**
 * A statement run as a named prepared statement on the pool's connection: Postgres parses and plans
 * it once per connection instead of on every call. For hot statements with a fixed text (the
 * predictions insert): planning an unnest insert costs more than executing it, and its time varies —
 * on the serving path a plain query's p99 was about three times a prepared one's (bench/predict-http.ts).
 */
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

export async function queryPrepared<Row>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<Row[]> {
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    const result = await client.query({ name, text, values });
    return result.rows as Row[];
  } finally {
    await runner.release();
  }
}
