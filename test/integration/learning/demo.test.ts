/**
 * `kybernet demo` (what `npm run demo` runs) as a child process on a fresh database: the story of the
 * learning loop is told to the end — version 2 promoted automatically after the regime change — and
 * the API it then serves answers with that version; a second start on the same data serves at once.
 */
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PredictDocument } from '../../generated/graphql';
import { createTestDatabase, type TestDatabase } from '../../helpers/database';
import { dataOf, request } from '../../helpers/graphql';
import { spawnDemo, stopAll } from '../../helpers/processes';

jest.setTimeout(240_000);

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

it('tells the loop to the promotion, then serves the promoted version; a second start serves at once', async () => {
  const demo = await spawnDemo({ databaseUrl: db.url, dataDir });
  const output = demo.output();
  expect(output).toMatch(/drift check: NONE/);
  expect(output).toMatch(/drift check: HIGH, answered by FULL_RETRAINING/);
  expect(output).toMatch(/version 2 was promoted automatically/);
  const traderKey = /trader key: (\S+)/.exec(output)![1];
  const answer = dataOf(await request(demo.url, traderKey, PredictDocument, { input: { model: 'demo-factor-model', features: [0.5, -0.2, 3.1, 0] } })).predict;
  expect(answer.modelVersion).toMatchObject({ version: 2, status: 'ACTIVE' });
  await demo.stop();
  expect(await demo.exited).toMatchObject({ code: 0 });

  const again = await spawnDemo({ databaseUrl: db.url, dataDir });
  expect(again.output()).toMatch(/The demo's story ran on an earlier start in this data directory; demo-factor-model serves version 2/);
  await again.stop();
});
