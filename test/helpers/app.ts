/**
 * A whole Kybernet API process for a test file: a fresh database, a temporary artifact directory (or
 * a given store config), the services, the HTTP + graphql-ws server on a free port, and one API key
 * per role.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/env';
import { openDatabase } from '../../src/db/data-source';
import type { Role } from '../../src/entities/api-key.entity';
import { createApp, type App } from '../../src/server/app';
import { startHttpServer, type HttpServer } from '../../src/server/http';
import { createTestDatabase, type TestDatabase } from './database';
import { request, wsClient, type GraphQLResponse } from './graphql';

export interface TestApp {
  db: TestDatabase;
  dataSource: DataSource;
  app: App;
  http: HttpServer;
  dataDir: string;
  keys: Record<Role, string>;
  /** A typed request as `role` over real HTTP. */
  as(
    role: Role | null,
  ): <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) => Promise<GraphQLResponse<TData>>;
  ws(role: Role | null): ReturnType<typeof wsClient>;
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  worker?: boolean;
  env?: Record<string, string>;
  /** Reuse another test app's database instead of a fresh one (a second replica). */
  database?: TestDatabase;
  /** A policy patch (updatePolicy) applied before the test begins. */
  policy?: Record<string, unknown>;
}

/**
 * For tests of the loop's mechanics (retraining, lifecycle, scheduling) whose candidates are trained on
 * data no better than the ACTIVE version's: without it the gate before SHADOW would REJECT them. The gate
 * has tests of its own (test/unit/lib/promotion-gate.test.ts, test/integration/learning/promotion-gate.test.ts).
 */
export const GATE_OFF = { promotion_gate: { enabled: false } };

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.database ?? (await createTestDatabase());
  const dataDir = options.env?.KYBERNET_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'kybernet-test-'));
  // Schedules fire only where a test asks for them (env KYBERNET_SCHEDULER: 'true'), never by the clock mid-test.
  const config = loadConfig({
    ...process.env,
    KYBERNET_SCHEDULER: 'false',
    ...options.env,
    DATABASE_URL: db.url,
    KYBERNET_DATA_DIR: dataDir,
  });
  const dataSource = await openDatabase(db.url, { poolSize: 6, applicationName: 'kybernet-test' });
  const logs: string[] = [];
  const app = await createApp(config, dataSource, db.url, { worker: options.worker ?? true, log: (message) => logs.push(message) });
  const http = await startHttpServer(app.services, { port: 0, host: '127.0.0.1', log: (message) => logs.push(message), env: config.env });
  if (options.policy) await app.services.policy.updatePolicy(options.policy, null);
  const keys = {} as Record<Role, string>;
  for (const role of ['viewer', 'trader', 'operator', 'admin'] as const)
    keys[role] = (await app.services.apiKeys.createKey(role, `test ${role}`)).key;
  return {
    db,
    dataSource,
    app,
    http,
    dataDir,
    keys,
    logs,
    as: (role) => (document, variables) => request(http.url, role ? keys[role] : undefined, document, variables),
    ws: (role) => wsClient(http.wsUrl, role ? keys[role] : undefined),
    async close() {
      await http.close();
      await app.close();
      await dataSource.destroy();
      if (!options.database) {
        await db.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
