/**
 * The event stream survives its database. Two API replicas share one database; graphql-ws
 * subscribers listen on both and the second replica serves a model. Then the database goes away —
 * every backend of the test database terminated (the pools' and the LISTEN connections') while new
 * connections are refused, or the whole Postgres server (one this test started) stopped and started
 * again (src/db/embedded.ts in a child process, test/helpers/postgres-server.ts) — and events are
 * appended meanwhile, a promotion among them. Every event reaches every
 * subscriber exactly once and in order, a subscriber opened afterwards hears new ones, both
 * replicas report listening again, and the second replica serves the newly promoted version.
 * Outcomes recorded while a process could not listen are signalled once it listens again.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { Client as PgClient } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { PgListener } from '../../../src/db/listener';
import { entities } from '../../../src/entities';
import { EventsService } from '../../../src/platform/events/events.service';
import { LifecycleService } from '../../../src/registry/lifecycle.service';
import { OutcomeNotifications } from '../../../src/trading/outcome-notifications';
import { RegistryService } from '../../../src/registry/registry.service';
import {
  CreateRegisteredModelDocument,
  EventsFeedDocument,
  ImportModelDocument,
  PredictDocument,
  type EventsFeedSubscription,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { createTestDatabase, type TestDatabase } from '../../helpers/database';
import { dataOf, type GraphQLResponse } from '../../helpers/graphql';
import { startPostgresServer, type PostgresServer } from '../../helpers/postgres-server';
import { until } from '../../helpers/learning';
import { describeWithShared, readSharedJson, readSharedText } from '../../helpers/shared';

type FeedEvent = EventsFeedSubscription['events'];

const MODEL = 'recovering-model';

/** A live `events` subscription (no `after`) and everything it has received. */
function subscribe(t: TestApp) {
  const client = t.ws('viewer');
  const received: FeedEvent[] = [];
  let failure: unknown;
  const unsubscribe = client.subscribe<EventsFeedSubscription>(
    { query: print(EventsFeedDocument), variables: {} },
    {
      next: (result) => (result.errors ? (failure = result.errors) : received.push(result.data!.events)),
      error: (error) => (failure = error),
      complete: () => undefined,
    },
  );
  return {
    received,
    /** Waits until the event with marker `marker` (its message) has arrived (rethrowing a subscription failure). */
    async heard(marker: string): Promise<FeedEvent> {
      return until(
        `marker ${marker}`,
        async () => {
          if (failure) throw new Error(`subscription failed: ${JSON.stringify(failure)}`);
          return received.find((event) => (event.payload as { message?: string }).message === marker);
        },
        60_000,
      );
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** One connection to the test database that a termination spares: appends events and promotes while the replicas cannot connect. */
async function controlConnection(url: string, t: TestApp) {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities,
    poolSize: 1,
    extra: { idleTimeoutMillis: 0 },
    applicationName: 'recovery-control',
  });
  await dataSource.initialize();
  const [{ pid }] = await dataSource.query('SELECT pg_backend_pid() AS pid');
  const events = new EventsService(dataSource);
  const lifecycle = new LifecycleService(
    dataSource,
    new RegistryService(dataSource, t.app.services.store, t.app.services.families, events),
    events,
  );
  return { dataSource, pid: pid as number, events, lifecycle };
}

/** A job.progress event without a job, its message the marker. */
const marker = (events: EventsService, name: string) =>
  events.publish({ type: 'job.progress', payload: { kind: 'TRAIN', progress: 0, message: name } });

async function importVersions(t: TestApp, features: (number | null)[]): Promise<void> {
  const files = [{ path: 'model.json', contentBase64: Buffer.from(readSharedText('fixtures/xgboost/regression.json')).toString('base64') }];
  const featureNames = readSharedJson<{ feature_names: string[] }>('fixtures/xgboost/regression.expected.json').feature_names;
  for (const activate of [true, false]) {
    dataOf(
      await t.as('operator')(ImportModelDocument, {
        input: { name: MODEL, family: 'xgboost', format: 'xgboost-json', files, featureNames, activate },
      }),
    );
  }
  expect(dataOf(await t.as('trader')(PredictDocument, { input: { model: MODEL, features } })).predict.modelVersion.version).toBe(1);
}

/**
 * Sets up two replicas on `database` with subscribers on both, runs `outage` (which must leave both
 * replicas not listening and may append events through the control connection it is given), then
 * checks that nothing was lost.
 */
async function survives(
  database: TestDatabase,
  outage: (ctx: { a: TestApp; b: TestApp; control: () => ReturnType<typeof controlConnection> }) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kybernet-recovery-'));
  const a = await startTestApp({ database, worker: false, env: { KYBERNET_DATA_DIR: dataDir } });
  const b = await startTestApp({ database, worker: false, env: { KYBERNET_DATA_DIR: dataDir } });
  const subscribers = [subscribe(a), subscribe(b)];
  try {
    const { rows } = readSharedJson<{ rows: (number | null)[][] }>('fixtures/xgboost/regression.expected.json');
    await importVersions(b, rows[0]);
    const start = await marker(a.app.services.events, 'start');
    for (const subscriber of subscribers) await subscriber.heard('start');
    expect([a, b].map((t) => t.app.services.eventStream.isListening())).toEqual([true, true]);

    await outage({ a, b, control: () => controlConnection(database.url, a) });

    await until(
      'both replicas listening again',
      async () => a.app.services.eventStream.isListening() && b.app.services.eventStream.isListening(),
      60_000,
    );
    // Before anything new is appended (no NOTIFY to wake them): the replicas replay what they missed,
    // and replica B, its pool back, answers with the version promoted during the outage.
    for (const subscriber of subscribers) await subscriber.heard('outage-3');
    const predicted = await until(
      'replica B serving version 2',
      async () => {
        const response: GraphQLResponse<{ predict: { modelVersion: { version: number } } }> = await b.as('trader')(PredictDocument, {
          input: { model: MODEL, features: rows[0] },
        });
        return response.data?.predict.modelVersion.version === 2 && response.data.predict;
      },
      60_000,
    );
    expect(predicted.modelVersion.version).toBe(2);
    const late = subscribe(b);
    subscribers.push(late);
    // Replica A's pool appends again; a subscriber opened after the outage hears it live.
    await until('a subscriber opened after the outage', async () => {
      await marker(a.app.services.events, `probe-${late.received.length}`);
      return late.received.length > 0;
    });
    const end = await marker(a.app.services.events, 'end');
    for (const subscriber of subscribers) await subscriber.heard('end');

    const stored: { id: string; type: string }[] = await a.dataSource.query(
      'SELECT e.id::text AS id, e.type FROM events e WHERE e.id > $1 AND e.id <= $2 ORDER BY e.id',
      [start.id, end.id],
    );
    expect(stored.map((event) => event.type)).toEqual(expect.arrayContaining(['model.promoted', 'model.retired']));
    for (const subscriber of subscribers.slice(0, 2)) {
      const heard = subscriber.received.filter((event) => BigInt(event.id) > BigInt(start.id) && BigInt(event.id) <= BigInt(end.id));
      expect(heard.map((event) => event.id)).toEqual(stored.map((event) => event.id));
    }
    const lateIds = late.received.map((event) => event.id).filter((id) => BigInt(id) <= BigInt(end.id));
    expect(lateIds).toEqual(stored.map((event) => event.id).filter((id) => BigInt(id) >= BigInt(lateIds[0])));
  } finally {
    for (const subscriber of subscribers) await subscriber.close();
    await b.close();
    await a.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Appends the outage's events: three markers around a promotion of version 2. */
async function appendDuringOutage(control: Awaited<ReturnType<typeof controlConnection>>): Promise<void> {
  await marker(control.events, 'outage-1');
  await control.lifecycle.promoteModel({ model: MODEL, version: 2, reason: 'promoted while the replicas could not listen' });
  await marker(control.events, 'outage-2');
  await marker(control.events, 'outage-3');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describeWithShared('the event stream after its database connections are lost', () => {
  it('replays what was appended while every backend was terminated and connections refused', async () => {
    const serverUrl = process.env.KYBERNET_TEST_SERVER_URL!;
    const database = await createTestDatabase();
    const admin = new PgClient({ connectionString: serverUrl });
    await admin.connect();
    try {
      await survives(database, async ({ a, b, control }) => {
        const spared = await control();
        try {
          await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`);
          const terminated = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2', [
            database.name,
            spared.pid,
          ]);
          expect(terminated.rowCount).toBeGreaterThan(2);
          await until(
            'both replicas to notice',
            async () => !a.app.services.eventStream.isListening() && !b.app.services.eventStream.isListening(),
          );
          // Nothing can reconnect yet: what follows is appended while no replica listens.
          await appendDuringOutage(spared);
          expect([a, b].map((t) => t.app.services.eventStream.isListening())).toEqual([false, false]);
        } finally {
          await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`);
          await spared.dataSource.destroy();
        }
      });
    } finally {
      await admin.end();
      await database.drop();
    }
  });

  it('replays what was appended around a restart of the Postgres server', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kybernet-pg-restart-'));
    // The server runs as the system user postgres, which must enter the data directory.
    chmodSync(root, 0o755);
    const port = await freePort();
    let server: PostgresServer | undefined = await startPostgresServer(root, port);
    try {
      const setup = await createDataSource(server.url, { poolSize: 1 }).initialize();
      await setup.runMigrations();
      await setup.destroy();
      const database: TestDatabase = { url: server.url, name: 'postgres', drop: async () => undefined };
      await survives(database, async ({ a, b, control }) => {
        await server!.stop();
        server = undefined;
        await until(
          'both replicas to notice',
          async () => !a.app.services.eventStream.isListening() && !b.app.services.eventStream.isListening(),
        );
        server = await startPostgresServer(root, port);
        const fresh = await control();
        try {
          await appendDuringOutage(fresh);
        } finally {
          await fresh.dataSource.destroy();
        }
      });
    } finally {
      await server?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('the outcome signal after its connection is lost', () => {
  it('signals a model whose outcomes were recorded while it could not listen, once it listens again', async () => {
    const t = await startTestApp({ worker: false });
    const admin = new PgClient({ connectionString: process.env.KYBERNET_TEST_SERVER_URL });
    await admin.connect();
    const listener = new PgListener(t.db.url, { applicationName: 'outcome-notifications-under-test', onError: () => undefined });
    const signal = new OutcomeNotifications(t.dataSource, listener, (error) => t.logs.push(String(error)));
    const heard: string[] = [];
    signal.onOutcomes((id) => heard.push(id));
    signal.start();
    try {
      await listener.start();
      const { id: modelId } = dataOf(
        await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'outcomes-model', family: 'xgboost' } }),
      ).createRegisteredModel;
      const record = (requestId: string) =>
        t.dataSource.query(
          `INSERT INTO request_outcomes (registered_model_id, request_id, actual, source) VALUES ($1, $2, 0.5, 'RECORDED')`,
          [modelId, requestId],
        );
      await record('live');
      await until('the live signal', async () => heard.includes(modelId));

      await admin.query(`ALTER DATABASE ${t.db.name} WITH ALLOW_CONNECTIONS false`);
      try {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'outcome-notifications-under-test'`,
        );
        await until('the listener to notice', async () => !listener.isListening());
        heard.length = 0;
        await record('while-not-listening');
      } finally {
        await admin.query(`ALTER DATABASE ${t.db.name} WITH ALLOW_CONNECTIONS true`);
      }
      await until('the listener back', async () => listener.isListening(), 30_000);
      expect(await until('the catch-up signal', async () => heard.includes(modelId) && heard)).toContain(modelId);
    } finally {
      signal.stop();
      await listener.stop();
      await admin.end();
      await t.close();
    }
  });
});
