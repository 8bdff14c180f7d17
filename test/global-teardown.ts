import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.KYBERNET_TEST_SERVER_URL;
  const template = process.env.KYBERNET_TEST_TEMPLATE;
  if (serverUrl && template) {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  }
  await globalThis.kybernetEmbeddedPostgres?.stop();
}
