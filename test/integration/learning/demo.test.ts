/**
 * `kybernet demo` (what `npm run demo` runs) as a child process on a fresh database: the story of the
 * learning loop is told to the end — version 2 promoted automatically after the regime change — the
 * policy's defaults are restored as a new version, and the server then answers what the demo prints
 * and what README.md says as written: the printed tradePrediction curl (run by curl itself), README's
 * orchestrator block (read from README.md and sent operation by operation, as printed) and the printed
 * promotionAlerts subscriber (run through npm, as a person would paste it). A second start on the same
 * data serves at once: no story, no training, no new key.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { Client } from 'pg';
import { DEFAULT_POLICY } from '../../../src/config/policy';
import { CurrentPolicyDocument, PredictDocument, RollbackModelDocument } from '../../generated/graphql';
import { createTestDatabase, type TestDatabase } from '../../helpers/database';
import { dataOf, request } from '../../helpers/graphql';
import { spawnDemo, stopAll, type KybernetProcess } from '../../helpers/processes';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const run = promisify(execFile);

let db: TestDatabase;
let dataDir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'kybernet-demo-'));
  chmodSync(dataDir, 0o755);
});
afterAll(async () => {
  await stopAll();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function count(table: string): Promise<number> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  } finally {
    await client.end();
  }
}

/** The printed command that starts with `start` (with its backslash-continued lines), as a shell would read it. */
function printedCommand(output: string, start: string): string {
  const lines = output.split('\n');
  const first = lines.findIndex((line) => line.trim().startsWith(start));
  if (first < 0) throw new Error(`the demo printed no command starting with ${start}:\n${output}`);
  let last = first;
  while (lines[last].trimEnd().endsWith('\\')) last++;
  return lines
    .slice(first, last + 1)
    .join('\n')
    .trim();
}

/** README.md's block under "An orchestrator's loop", as printed there. */
function readmeOrchestratorBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf("An orchestrator's loop"));
  const block = /```graphql\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no graphql block after "An orchestrator\'s loop"');
  return block[1];
}

async function post(url: string, key: string, body: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { data?: Record<string, Record<string, unknown>>; errors?: unknown[] };
}

let first: KybernetProcess;
let operatorKey: string;

it('tells the loop to the promotion, restores the default policy, and leaves DEMO bars and ACTIVE horizon models', async () => {
  first = await spawnDemo({ databaseUrl: db.url, dataDir });
  const output = first.output();
  expect(output).toMatch(/^policy version 1 for the story: /m);
  expect(output).toMatch(/drift check: NONE/);
  expect(output).toMatch(/drift check: HIGH, answered by FULL_RETRAINING/);
  expect(output).toMatch(/trained by the FULL job on demo-calm-trades rebuilt with the trades stored now \(700 trades\)/);
  expect(output).toMatch(/version 2 was promoted automatically/);
  expect(output).toMatch(/^policy: the defaults are in force again, as policy version 2 \(the story ran under version 1\)$/m);
  expect(output).toMatch(
    /^5\. For README\.md's "An orchestrator's loop": 1,304 daily bars of DEMO, a synthetic trending symbol \(2015-01-01 to 2019-12-31\)/m,
  );
  for (const model of ['returns-1d ', 'returns-5d ', 'returns-10d'])
    expect(output).toMatch(new RegExp(`^ {5}${model} {2}v1 ACTIVE, held-out directional accuracy \\d+\\.\\d%$`, 'm'));
  expect(output).not.toMatch(/\.rebuilt-/);
  operatorKey = /operator key: (\S+)/.exec(output)![1];

  const policy = dataOf(await request(first.url, operatorKey, CurrentPolicyDocument)).policy;
  expect(policy.version).toBe(2);
  expect(policy.document).toEqual(JSON.parse(JSON.stringify(DEFAULT_POLICY)));
  const answer = dataOf(
    await request(first.url, operatorKey, PredictDocument, { input: { model: 'demo-factor-model', features: [0.5, -0.2, 3.1, 0] } }),
  ).predict;
  expect(answer.modelVersion).toMatchObject({ version: 2, status: 'ACTIVE' });
});

it('answers the tradePrediction curl it printed, run by curl', async () => {
  const curl = printedCommand(first.output(), 'curl ');
  expect(curl).toContain(operatorKey);
  const { stdout } = await run('sh', ['-c', curl], { cwd: ROOT });
  const body = JSON.parse(stdout) as {
    data?: { tradePrediction: { horizons: { horizon: number }[]; unavailable: unknown[] } };
    errors?: unknown;
  };
  expect(body.errors).toBeUndefined();
  expect(body.data!.tradePrediction.horizons.map((h) => h.horizon)).toEqual([1, 5, 10]);
  expect(body.data!.tradePrediction.unavailable).toEqual([]);
});

it("answers README.md's orchestrator loop as written, operation by operation", async () => {
  const block = readmeOrchestratorBlock();
  const operations = parse(block).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  expect(operations.map((operation) => operation.name?.value)).toEqual([
    'IngestBars',
    'CreateDataset',
    'TradePrediction',
    'PositionSize',
    'LogTradeExecution',
    'LogTradeOutcome',
  ]);
  const answers: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const name = operation.name!.value;
    // LogTradeExecution's variables are what the earlier answers gave, as README.md says.
    const variables =
      name === 'LogTradeExecution'
        ? {
            predictionIds: answers.TradePrediction.predictionIds,
            features: answers.TradePrediction.features,
            decision: answers.PositionSize.decision,
          }
        : undefined;
    const response = await post(first.url, operatorKey, { query: block, operationName: name, variables });
    expect({ name, errors: response.errors }).toEqual({ name, errors: undefined });
    answers[name] = Object.values(response.data!)[0];
  }
  expect(answers.IngestBars).toEqual({ inserted: 2, unchanged: 0 });
  expect(answers.CreateDataset.rowCount).toBeGreaterThan(900);
  expect(answers.TradePrediction.predictionIds).toHaveLength(3);
  expect(answers.PositionSize.source).toEqual({ kind: 'RULE', name: 'capped_kelly' });
  expect(answers.LogTradeExecution.status).toBe('OPEN');
  expect(answers.LogTradeOutcome.trade).toMatchObject({ pnl: expect.closeTo(25 * (102.05 - 101.2), 9) });

  await first.stop();
  expect(await first.exited).toMatchObject({ code: 0 });
});

it('serves at once on a second start on the same data, making no key, and its printed subscriber hears promotions', async () => {
  const keys = await count('api_keys');
  const jobs = await count('jobs');
  const again = await spawnDemo({ databaseUrl: db.url, dataDir });
  const output = again.output();
  expect(output).toMatch(/The demo's story ran on an earlier start in this data directory; demo-factor-model serves version 2\./);
  expect(output).toMatch(/^Ready for README\.md's "An orchestrator's loop": 1,306 daily bars of DEMO/m);
  expect(output).toMatch(
    /No new API keys \(a key is shown only when it is made\): the demo's operator key \(kyb_\S+…\) was printed by its first start on this data/,
  );
  expect(output).toContain('export KYBERNET_API_KEY=$(npm run --silent kybernet -- keys create --role operator)');
  expect(output).not.toMatch(/policy: the defaults|training|operator key:/);
  expect(await count('api_keys')).toBe(keys);
  expect(await count('jobs')).toBe(jobs);

  // The subscriber, as printed (it reads the key from KYBERNET_API_KEY), in its own process group so that Ctrl-C reaches npm and node.
  const command = printedCommand(output, 'npm run --silent kybernet -- subscribe');
  const subscriber = spawn('sh', ['-c', command], {
    cwd: ROOT,
    env: { ...process.env, KYBERNET_API_KEY: operatorKey },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let heard = '';
  subscriber.stdout!.on('data', (chunk: Buffer) => (heard += chunk.toString()));
  subscriber.stderr!.on('data', (chunk: Buffer) => (heard += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    subscriber.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  try {
    const deadline = Date.now() + 60_000;
    while (!heard.includes('subscribed on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(heard).toContain('subscribed on');
    // Named rollbacks go back and forth between the versions until the subscriber prints an event (the first may race its subscription).
    for (let attempt = 0; !heard.includes('"model.rolled_back"') && attempt < 20; attempt++) {
      dataOf(
        await request(again.url, operatorKey, RollbackModelDocument, {
          input: { model: 'demo-factor-model', version: attempt % 2 === 0 ? 1 : 2 },
        }),
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    const events = heard
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { data: { promotionAlerts: { type: string; payload: { model: string } } } });
    expect(events.map((event) => event.data.promotionAlerts.type)).toContain('model.rolled_back');
    expect(events.every((event) => event.data.promotionAlerts.payload.model === 'demo-factor-model')).toBe(true);
  } finally {
    process.kill(-subscriber.pid!, 'SIGINT');
  }
  // Ctrl-C ends it: npm, like a shell, dies of the signal, and its node child exits cleanly (a failure would be exit code 1).
  expect([
    { code: 0, signal: null },
    { code: null, signal: 'SIGINT' },
  ]).toContainEqual(await exited);

  // A refused subscriber says why and exits 1.
  const refused = await run('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, KYBERNET_API_KEY: 'kyb_unknown' } }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/the server closed the connection \(4401\): /);
  await again.stop();
});
