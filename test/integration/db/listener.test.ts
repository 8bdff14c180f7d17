/**
 * PgListener on a real Postgres: sync() answers only after every NOTIFY committed before it was
 * called reached the handlers (what makes a revocation take effect at once); after its backend is
 * terminated it reconnects, LISTENs again and says when; a first connection that fails rejects
 * start() with the server's reason; a stopped listener stays stopped.
 */
import { Client } from 'pg';
import { PgListener } from '../../../src/db/listener';
import { createTestDatabase, type TestDatabase } from '../../helpers/database';
import { until } from '../../helpers/learning';

let db: TestDatabase;
let sender: Client;
beforeAll(async () => {
  db = await createTestDatabase();
  sender = new Client({ connectionString: db.url });
  await sender.connect();
});
afterAll(async () => {
  await sender?.end();
  await db?.drop();
});

it('delivers every NOTIFY committed before sync() was called by the time it answers true', async () => {
  const listener = new PgListener(db.url, { applicationName: 'listener-sync-test' });
  const heard = new Set<string>();
  listener.channel('listener_test', (payload) => heard.add(payload));
  await listener.start();
  try {
    for (let i = 0; i < 200; i++) {
      await sender.query(`SELECT pg_notify('listener_test', $1)`, [String(i)]);
      // Concurrent callers share round trips; each must still see its own NOTIFY.
      const answers = await Promise.all([listener.sync(), listener.sync(), i % 2 ? listener.sync() : Promise.resolve(true)]);
      expect(answers).toEqual([true, true, true]);
      expect(heard.has(String(i))).toBe(true);
    }
  } finally {
    await listener.stop();
  }
});

// A first reconnect delay of 0.5-1 s keeps the gap observable.
it('reconnects after its backend is terminated, LISTENs again and reports the gap it may have missed', async () => {
  const errors: unknown[] = [];
  const listener = new PgListener(db.url, {
    applicationName: 'listener-reconnect-test',
    minDelayMs: 1_000,
    onError: (error) => errors.push(error),
  });
  const heard: string[] = [];
  const opened: (Date | undefined)[] = [];
  let lost = 0;
  listener.channel('listener_test', (payload) => heard.push(payload));
  listener.watch({
    connectionDidOpen: ({ previousConfirmedAt }) => void opened.push(previousConfirmedAt),
    connectionWasLost: () => lost++,
  });
  await listener.start();
  try {
    expect(opened).toEqual([undefined]);
    await sender.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'listener-reconnect-test'`);
    await until('the loss', async () => lost === 1);
    expect(listener.isListening()).toBe(false);
    expect(await listener.sync()).toBe(false);
    await until('the reconnect', async () => listener.isListening());
    expect(opened).toHaveLength(2);
    expect(opened[1]).toBeInstanceOf(Date);
    await sender.query(`SELECT pg_notify('listener_test', 'after')`);
    expect(await listener.sync()).toBe(true);
    expect(heard).toEqual(['after']);
    expect(String(errors[0])).toMatch(/terminat/);
  } finally {
    await listener.stop();
  }
  // Stopped: a NOTIFY reaches nobody and nothing reconnects.
  await sender.query(`SELECT pg_notify('listener_test', 'stopped')`);
  expect(listener.isListening()).toBe(false);
  expect(heard).toEqual(['after']);
});

it('rejects start() with the server’s reason when the first connection fails', async () => {
  const url = new URL(db.url);
  url.pathname = '/kybernet_no_such_database';
  const listener = new PgListener(url.toString());
  await expect(listener.start()).rejects.toThrow('database "kybernet_no_such_database" does not exist');
  expect(listener.isListening()).toBe(false);
  await listener.stop();
});
