/**
 * Once per test run: a Postgres server (DATABASE_URL's, else an embedded one under .tmp/) and a
 * template database with every migration applied. Each integration test file clones the template
 * into a fresh database (test/helpers/database.ts) and drops it when done; teardown drops the
 * template and stops the embedded server.
 */
import { Client } from 'pg';
import { openDatabase } from '../src/db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/db/embedded';
import { resolve } from 'node:path';

declare global {
  // eslint-disable-next-line no-var
  var kybernetEmbeddedPostgres: EmbeddedPostgresHandle | undefined;
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres(
      resolve(__dirname, '../.tmp/test-data'),
      Number(process.env.KYBERNET_TEST_PG_PORT ?? 54331),
    );
    globalThis.kybernetEmbeddedPostgres = embedded;
    serverUrl = embedded.url;
  }
  const template = `kybernet_tpl_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const dataSource = await openDatabase(databaseUrl(serverUrl, template), { poolSize: 2 });
  await dataSource.destroy();
  process.env.KYBERNET_TEST_SERVER_URL = serverUrl;
  process.env.KYBERNET_TEST_TEMPLATE = template;
}
