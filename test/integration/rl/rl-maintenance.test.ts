/**
 * The RL_MAINTENANCE sweep: a snapshot copied in a trade's transaction whose process died before
 * registering it (its claim lapsed) is registered by the scheduled RL_MAINTENANCE job on a worker —
 * one job however many replicas fire the schedule — with its version and rl.snapshot event.
 */
import { CreateRlAgentDocument, EventsDocument, RlAgentsDocument, SelectStrategyDocument } from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { waitForJob } from '../../helpers/fixtures';
import { dataOf } from '../../helpers/graphql';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  dataOf(await t.as('operator')(CreateRlAgentDocument, { input: { name: 'sweeper', family: 'rl_meta_strategy' } }));
  // The first decision makes the agent's table live.
  dataOf(
    await t.as('trader')(SelectStrategyDocument, {
      state: { regime: 'TRENDING', volatility: 'LOW', liquidity: 'HIGH', performance: 'NEUTRAL' },
    }),
  );
});
afterAll(async () => {
  await t?.close();
});

async function snapshotsOf() {
  const agents = dataOf(await t.as('viewer')(RlAgentsDocument)).rlAgents;
  const agent = agents.find((candidate) => candidate.model === 'sweeper');
  if (!agent) throw new Error(`no agent sweeper among ${JSON.stringify(agents)}`);
  return agent.snapshots;
}

it('registers a snapshot its process left pending, once, when the schedule fires on two replicas', async () => {
  // What a process leaves when it dies after committing a trade's snapshot copy and claiming it, before registering it.
  await t.dataSource.query(
    `INSERT INTO rl_snapshots (registered_model_id, reason, epoch, trades_seen, pending_q_table, claimed_at)
     SELECT a.registered_model_id, 'INTERVAL', a.epoch, 0, a.q_table, now() - interval '10 minutes'
     FROM rl_agents a JOIN registered_models m ON m.id = a.registered_model_id WHERE m.name = 'sweeper'`,
  );
  expect(await snapshotsOf()).toEqual([expect.objectContaining({ modelVersion: null })]);

  const replica = await startTestApp({ database: t.db, worker: false, env: { KYBERNET_DATA_DIR: t.dataDir } });
  try {
    const slot = new Date('2031-04-01T02:00:00.000Z');
    const [jobA, jobB] = (await Promise.all([
      t.app.services.scheduler.fire('rl_maintenance', slot),
      replica.app.services.scheduler.fire('rl_maintenance', slot),
    ])) as { id: string }[];
    expect(jobB.id).toBe(jobA.id);
    const done = await waitForJob(t, jobA.id);
    expect(done).toMatchObject({ status: 'COMPLETED', kind: 'RL_MAINTENANCE', trigger: 'SCHEDULE', result: { registeredSnapshots: 1 } });
  } finally {
    await replica.close();
  }

  const [snapshot] = await snapshotsOf();
  expect(snapshot).toMatchObject({
    reason: 'INTERVAL',
    registeredAt: expect.any(String),
    modelVersion: { version: 2, status: 'SNAPSHOT', source: 'UPDATED', parent: { version: 1 } },
  });
  const events = dataOf(await t.as('viewer')(EventsDocument, { types: ['rl.snapshot'], model: 'sweeper' })).events;
  expect(events).toHaveLength(1);

  // Nothing is pending any more: the next sweep registers nothing.
  const again = await t.app.services.scheduler.fire('rl_maintenance', new Date('2031-04-01T03:00:00.000Z'));
  expect(await waitForJob(t, (again as { id: string }).id)).toMatchObject({ status: 'COMPLETED', result: { registeredSnapshots: 0 } });
});
