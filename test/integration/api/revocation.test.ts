/**
 * Revocation takes effect at once on every replica. Two API replicas share one database; a key is
 * revoked the way `kybernet keys revoke` does it (ApiKeysService on a DataSource of its own, writing
 * to the database directly) or by the `revokeApiKey` mutation on one replica. Right after the
 * revocation returns — no sleep — both replicas refuse the key (their caches held it), its open
 * graphql-ws connections are closed with 4403, and a key racing to mint admin keys during the
 * revocation mints none after it. A replica whose revocation listener is down bypasses its cache,
 * and closes the connections of keys revoked meanwhile once it listens again. A malformed or unknown
 * key id is a coded refusal.
 */
import { print } from 'graphql';
import { performance } from 'node:perf_hooks';
import { Client as PgClient } from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../../src/db/data-source';
import { PgListener } from '../../../src/db/listener';
import { ApiKeysService, KEY_REVOKED_CLOSE } from '../../../src/platform/access/api-keys.service';
import { ApiKeysDocument, CreateApiKeyDocument, EventsFeedDocument, RevokeApiKeyDocument } from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf, request, wsClient } from '../../helpers/graphql';
import { until } from '../../helpers/learning';

let a: TestApp;
let b: TestApp;
/** The DataSource of the "CLI": a process of its own that writes to the database and listens to nothing. */
let cli: DataSource;

beforeAll(async () => {
  a = await startTestApp({ worker: false });
  b = await startTestApp({ database: a.db, worker: false, env: { KYBERNET_DATA_DIR: a.dataDir } });
  cli = await openDatabase(a.db.url, { poolSize: 2, applicationName: 'kybernet-keys' });
});
afterAll(async () => {
  await cli?.destroy();
  await b?.close();
  await a?.close();
});

const replicas = () => [a, b];

async function newAdminKey(name: string): Promise<{ key: string; id: string }> {
  const { key, record } = await a.app.services.apiKeys.createKey('admin', name);
  return { key, id: record.id };
}

/** An `events` subscription of `key` on `t`, open once it resolves; `closed` says how the server closed it. */
async function openSubscription(t: TestApp, key: string) {
  const client = wsClient(t.http.wsUrl, key);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    client.on('closed', (event) => resolve(event as { code: number; reason: string })),
  );
  const connected = new Promise((resolve) => client.on('connected', resolve));
  client.subscribe(
    { query: print(EventsFeedDocument), variables: {} },
    { next: () => undefined, error: () => undefined, complete: () => undefined },
  );
  await connected;
  return { closed, dispose: () => client.dispose() };
}

const keyCount = async () => Number((await a.dataSource.query('SELECT count(*) AS n FROM api_keys'))[0].n);

describe.each([
  ['kybernet keys revoke (its own DataSource)', (id: string) => new ApiKeysService(cli).revokeKey(id).then(() => undefined)],
  ['the revokeApiKey mutation on replica A', async (id: string) => void dataOf(await a.as('admin')(RevokeApiKeyDocument, { id }))],
])('a key revoked by %s', (_path, revoke) => {
  it('is refused at once by both replicas, mints nothing, and its subscriptions are closed with 4403', async () => {
    const victim = await newAdminKey('to be revoked');
    // Both replicas hold the key in their caches and a subscription of it.
    for (const t of replicas()) for (let i = 0; i < 2; i++) dataOf(await request(t.http.url, victim.key, ApiKeysDocument));
    const subscriptions = await Promise.all(replicas().map((t) => openSubscription(t, victim.key)));
    const before = await keyCount();

    await revoke(victim.id);

    for (const t of replicas()) {
      const refused = await request(t.http.url, victim.key, ApiKeysDocument);
      expect(refused.status).toBe(401);
      expect(errorOf(refused)).toMatchObject({ code: 'UNAUTHENTICATED', message: 'the API key is unknown or revoked' });
      expect(errorOf(await request(t.http.url, victim.key, CreateApiKeyDocument, { role: 'ADMIN', name: 'escalation' })).code).toBe(
        'UNAUTHENTICATED',
      );
    }
    expect(await keyCount()).toBe(before);
    for (const { closed } of subscriptions) await expect(closed).resolves.toMatchObject({ code: 4403, reason: KEY_REVOKED_CLOSE.reason });
    // A new connection of the key is refused as unauthenticated (4401, graphql-ws clients do not retry it).
    const again = wsClient(b.http.wsUrl, victim.key);
    await expect(
      new Promise((resolve, reject) =>
        again.subscribe(
          { query: print(EventsFeedDocument), variables: {} },
          { next: resolve, error: resolve, complete: () => reject(new Error('completed')) },
        ),
      ),
    ).resolves.toMatchObject({ code: 4401, reason: 'the API key is unknown or revoked' });
    await again.dispose();
    for (const { dispose } of subscriptions) await dispose();
  });
});

it('a key minting admin keys on both replicas while it is revoked mints none after the revocation', async () => {
  const victim = await newAdminKey('racing to mint');
  const before = await keyCount();
  let revokedAt: number | undefined;
  const outcomes: { sentAt: number; minted: boolean }[] = [];
  const mintUntilRefusedAfterRevocation = async (t: TestApp) => {
    for (let afterRevocation = 0; afterRevocation < 5;) {
      const sentAt = performance.now();
      const response = await request(t.http.url, victim.key, CreateApiKeyDocument, { role: 'ADMIN', name: 'minted in the race' });
      outcomes.push({ sentAt, minted: Boolean(response.data?.createApiKey) });
      if (!response.data?.createApiKey) expect(errorOf(response).code).toBe('UNAUTHENTICATED');
      if (revokedAt !== undefined && sentAt > revokedAt) afterRevocation++;
    }
  };
  const minters = replicas().flatMap((t) => [mintUntilRefusedAfterRevocation(t), mintUntilRefusedAfterRevocation(t)]);
  await until('some keys minted before the revocation', async () => outcomes.filter((outcome) => outcome.minted).length >= 4);
  await new ApiKeysService(cli).revokeKey(victim.id);
  revokedAt = performance.now();
  await Promise.all(minters);

  expect(outcomes.filter((outcome) => outcome.sentAt > revokedAt! && outcome.minted)).toEqual([]);
  const minted = outcomes.filter((outcome) => outcome.minted).length;
  expect(await keyCount()).toBe(before + minted);
  // Every key it minted was committed before the revocation took effect.
  const [{ late }] = await a.dataSource.query(
    `SELECT count(*)::int AS late FROM api_keys k, api_keys v WHERE v.id = $1 AND k.name = 'minted in the race' AND k.created_at >= v.revoked_at`,
    [victim.id],
  );
  expect(late).toBe(0);
});

it('while the revocation listener is down the cache is bypassed, and connections of keys revoked meanwhile close once it is back', async () => {
  // A replica's key service on a listener that waits ~1-2 s before reconnecting.
  const listener = new PgListener(a.db.url, { applicationName: 'revocation-under-test', minDelayMs: 2_000, onError: () => undefined });
  const service = new ApiKeysService(a.dataSource, listener);
  await listener.start();
  const admin = new PgClient({ connectionString: process.env.KYBERNET_TEST_SERVER_URL });
  await admin.connect();
  try {
    const victim = await newAdminKey('revoked while not listening');
    const principal = await service.authenticate(`Bearer ${victim.key}`);
    await service.authenticate(`Bearer ${victim.key}`);
    let closedBy: string | undefined;
    service.trackConnection(principal.keyId, () => (closedBy = 'revocation'));

    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'revocation-under-test'`);
    await until('the listener to notice', async () => !listener.isListening());
    await new ApiKeysService(cli).revokeKey(victim.id);
    await expect(service.authenticate(`Bearer ${victim.key}`)).rejects.toThrow('the API key is unknown or revoked');
    expect(listener.isListening()).toBe(false);
    expect(closedBy).toBeUndefined();

    await until('the listener back', async () => listener.isListening(), 30_000);
    await until('the connection closed', async () => closedBy === 'revocation');
  } finally {
    await admin.end();
    await listener.stop();
  }
});

it('refuses revoking a malformed or unknown key id with a coded error, changing nothing', async () => {
  const before = await a.dataSource.query('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NOT NULL');
  const malformed = errorOf(await a.as('admin')(RevokeApiKeyDocument, { id: `not-a-uuid${'x'.repeat(500)}` }));
  expect(malformed).toMatchObject({ code: 'BAD_USER_INPUT', extensions: expect.objectContaining({ field: 'id' }) });
  expect(malformed.message).toMatch(/^expects an API key id \(a UUID\), but got "not-a-uuidx+"… \(510 characters\)$/);
  expect(errorOf(await a.as('admin')(RevokeApiKeyDocument, { id: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({
    code: 'NOT_FOUND',
  });
  expect(await a.dataSource.query('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NOT NULL')).toEqual(before);
});
