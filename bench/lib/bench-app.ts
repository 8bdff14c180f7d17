/**
 * A Kybernet API for benchmarks: a fresh database on DATABASE_URL's server (default: the local
 * Postgres at 127.0.0.1:5432), a temporary data directory, the services and the HTTP server on a free
 * port, and a key per role. `close()` drops the database.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/env';
import { openDatabase } from '../../src/db/data-source';
import type { Role } from '../../src/entities/api-key.entity';
import { createApp, type App } from '../../src/server/app';
import { startHttpServer, type HttpServer } from '../../src/server/http';

export interface BenchApp {
  app: App;
  http: HttpServer;
  keys: Record<Role, string>;
  databaseUrl: string;
  /** KYBERNET_DATA_DIR: the fs artifact store, for another process on the same database. */
  dataDir: string;
  close(): Promise<void>;
}

const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `log` receives the services' log lines (job failures, shadow tester, listener); by default they are dropped. */
export async function startBenchApp(
  options: { worker?: boolean; env?: Record<string, string>; log?: (message: string) => void } = {},
): Promise<BenchApp> {
  const name = `kybernet_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'kybernet-bench-'));
  // The per-key rate limiter runs but never refuses: benchmarks drive one key past any rate a client would.
  const config = loadConfig({
    ...process.env,
    KYBERNET_RATE_LIMIT_PER_SECOND: '1000000000',
    ...options.env,
    DATABASE_URL: databaseUrl,
    KYBERNET_DATA_DIR: dataDir,
  });
  const dataSource = await openDatabase(databaseUrl, { poolSize: config.env.KYBERNET_DB_POOL_SIZE, applicationName: 'kybernet-bench' });
  const app = await createApp(config, dataSource, databaseUrl, { worker: options.worker ?? false, log: options.log ?? (() => undefined) });
  const http = await startHttpServer(app.services, {
    port: 0,
    host: '127.0.0.1',
    log: (message) => console.error(message),
    env: config.env,
  });
  const keys = {} as Record<Role, string>;
  for (const role of ['viewer', 'trader', 'operator', 'admin'] as const)
    keys[role] = (await app.services.apiKeys.createKey(role, `bench ${role}`)).key;
  return {
    app,
    http,
    keys,
    databaseUrl,
    dataDir,
    async close() {
      await http.close();
      await app.close();
      await dataSource.destroy();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
