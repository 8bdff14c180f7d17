/**
 * `kybernet ingest-bars FILE.csv` as a real child process: a SIGKILL in the middle of a bulk ingest
 * loses no acknowledged batch and leaves no partial one; a CSV with a missing column is refused
 * naming the column and line; ingesting a file twice changes nothing the second time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../../src/db/data-source';
import { createTestDatabase, type TestDatabase } from '../../helpers/database';

const ROOT = resolve(__dirname, '../../..');
const DAY = 86_400_000;
const START = Date.UTC(1990, 0, 1);
const BATCH = 1000;

let db: TestDatabase;
let dataSource: DataSource;
let folder: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = await openDatabase(db.url, { poolSize: 2, applicationName: 'kybernet-test' });
  folder = mkdtempSync(join(tmpdir(), 'kybernet-ingest-cli-'));
});
afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
  rmSync(folder, { recursive: true, force: true });
});

/** A valid daily series of `count` bars from START, one line per bar. */
function writeCsv(name: string, count: number, header = 'date,open,high,low,close,volume'): string {
  const lines = [header];
  let close = 100;
  for (let i = 0; i < count; i++) {
    const open = close;
    close = open * (1 + 0.01 * Math.sin(i / 7));
    lines.push(
      `${new Date(START + i * DAY).toISOString().slice(0, 10)},${open},${Math.max(open, close) * 1.01},` +
        `${Math.min(open, close) * 0.99},${close},${1000 + (i % 97)}`,
    );
  }
  const path = join(folder, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function ingest(
  file: string,
  symbol: string,
  extra: string[] = [],
): { child: ChildProcess; stdout: string[]; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      'src/server/cli.ts',
      'ingest-bars',
      file,
      '--symbol',
      symbol,
      '--timeframe',
      '1d',
      '--batch-size',
      String(BATCH),
      ...extra,
    ],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout: string[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    stdout.push(...lines);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, stdout, stderr: () => stderr, exit };
}

async function seriesState(symbol: string): Promise<{ count: number; first: number | null; last: number | null }> {
  const [row] = await dataSource.query(
    `SELECT count(*)::int AS count, (extract(epoch FROM min(b.ts)) * 1000)::float8 AS first,
            (extract(epoch FROM max(b.ts)) * 1000)::float8 AS last
     FROM bars b JOIN bar_series s ON s.id = b.series_id WHERE s.symbol = $1`,
    [symbol],
  );
  return row;
}

const acknowledged = (stdout: string[]) => stdout.filter((line) => line.startsWith('acknowledged batch ')).length;

it('keeps exactly the acknowledged batches (and at most the one in flight) when killed with SIGKILL mid-ingest', async () => {
  const file = writeCsv('large.csv', 400_000);
  const run = ingest(file, 'KILLED');
  const deadline = Date.now() + 120_000;
  while (acknowledged(run.stdout) < 5) {
    if (Date.now() > deadline) throw new Error(`no 5 acknowledged batches in time; stderr: ${run.stderr()}`);
    if (run.child.exitCode !== null) throw new Error(`ingest ended early (${run.child.exitCode}): ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  run.child.kill('SIGKILL');
  expect(await run.exit).toBeNull(); // killed by the signal, not finished
  const acked = acknowledged(run.stdout);
  expect(run.stdout.slice(0, acked)).toEqual(
    Array.from({ length: acked }, (_, i) => `acknowledged batch ${i + 1}: ${BATCH} bars committed, ${(i + 1) * BATCH} in total`),
  );

  const state = await seriesState('KILLED');
  // Whole batches only: every acknowledged one, plus at most the batch whose commit raced the kill.
  expect(state.count % BATCH).toBe(0);
  const batches = state.count / BATCH;
  expect(batches).toBeGreaterThanOrEqual(acked);
  expect(batches).toBeLessThanOrEqual(acked + 1);
  expect(batches).toBeLessThan(400);
  // …and they are the file's first lines, contiguous.
  expect(state.first).toBe(START);
  expect(state.last).toBe(START + (state.count - 1) * DAY);
});

it('refuses a CSV without a column, naming the column and the line, and writes nothing', async () => {
  const file = writeCsv('no-low.csv', 10, 'date,open,high,close,volume');
  const run = ingest(file, 'NO_LOW');
  expect(await run.exit).toBe(1);
  expect(run.stderr()).toContain("line 1: expects a 'low' column, but the header has 'date', 'open', 'high', 'close', 'volume'");
  expect(run.stdout.filter((line) => line.startsWith('acknowledged'))).toEqual([]);
  expect((await seriesState('NO_LOW')).count).toBe(0);
});

it('ingests a file idempotently: the second run reports every bar unchanged', async () => {
  const file = writeCsv('small.csv', 2500);
  const first = ingest(file, 'TWICE', ['--no-acks']);
  expect(await first.exit).toBe(0);
  expect(first.stdout.at(-1)).toMatch(
    /^ingested 2500 bars of TWICE from 1990-01-01T00:00:00.000Z to 1996-11-04T00:00:00.000Z in [\d.]+ s: 2500 new, 0 changed, 0 unchanged$/,
  );
  const second = ingest(file, 'TWICE', ['--no-acks']);
  expect(await second.exit).toBe(0);
  expect(second.stdout.at(-1)).toMatch(/: 0 new, 0 changed, 2500 unchanged$/);
  expect(second.stdout.filter((line) => line.startsWith('acknowledged'))).toEqual([]);
  expect((await seriesState('TWICE')).count).toBe(2500);
});
