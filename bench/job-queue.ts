/**
 * Jobs per second through the shared queue: N no-op jobs are queued first (JobsService.enqueue: the
 * row, `job.queued` and the pg-boss entry in one transaction), then worker processes
 * (bench/job-queue-worker.ts: the real queue and JobWorker, a no-op handler) drain them. Throughput is
 * N over the span from the first job's start to the last job's end, read from the jobs table; the
 * baseline is one worker process working one job at a time. Each configuration gets a fresh database
 * on DATABASE_URL's server (default the local Postgres).
 *
 * Every job commits three times (start, end with its queue entry, the queue's fetch), each waiting for
 * the WAL flush. As a diagnostic, each configuration runs again with the workers' sessions at
 * synchronous_commit = off (commits no longer wait for the disk): the difference shows how much of the
 * figure is the disk's flush latency rather than the queue. Kybernet itself never turns it off.
 *
 *   node -r @swc-node/register bench/job-queue.ts [jobs=400]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { startBenchApp } from './lib/bench-app';
import { printTable, writeResults, type Row } from './lib/report';
import { runBench } from './lib/entry';

const JOBS = Number(process.argv[2] ?? 400);
const CONFIGURATIONS = [
  { processes: 1, concurrency: 1 },
  { processes: 2, concurrency: 1 },
  { processes: 2, concurrency: 2 },
];
const COMMIT_MODES = ['on', 'off'] as const;

function spawnWorker(databaseUrl: string, concurrency: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/job-queue-worker.ts', String(concurrency)], {
    cwd: resolve(__dirname, '..'),
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveReady, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolveReady(child);
    });
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code} before it was ready`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGTERM');
  await exited;
}

async function run(processes: number, concurrency: number, synchronousCommit: (typeof COMMIT_MODES)[number]): Promise<Row> {
  const bench = await startBenchApp({ worker: false, env: { KYBERNET_SCHEDULER: 'false' } });
  const workers: ChildProcess[] = [];
  try {
    const { jobs, dataSource } = bench.app.services;
    // Applies to sessions opened from now on: the worker processes'.
    await dataSource.query(
      `ALTER DATABASE "${new URL(bench.databaseUrl).pathname.slice(1)}" SET synchronous_commit = ${synchronousCommit}`,
    );
    const enqueueStart = performance.now();
    for (let i = 0; i < JOBS; i++) {
      await jobs.enqueue({
        kind: 'TUNING',
        trigger: 'MANUAL',
        reason: `bench job ${i}`,
        payload: { model: 'bench', trials: 2, seed: i },
        limits: { timeLimitSeconds: 60, retryLimit: 0 },
      });
    }
    const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
    for (let p = 0; p < processes; p++) workers.push(await spawnWorker(bench.databaseUrl, concurrency));
    for (;;) {
      const [{ open }] = await dataSource.query(
        `SELECT count(*)::int AS open FROM jobs WHERE status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')`,
      );
      if (open === 0) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    const [stats] = await dataSource.query(`
      SELECT count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed,
             extract(epoch FROM max(finished_at) - min(started_at))::float AS span,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS p95,
             count(DISTINCT worker_id)::int AS workers
      FROM jobs`);
    if (stats.completed !== JOBS) throw new Error(`expected ${JOBS} completed jobs, got ${stats.completed}`);
    return {
      'synchronous commit': synchronousCommit,
      'worker processes': processes,
      'jobs at a time each': concurrency,
      'workers seen': stats.workers,
      jobs: JOBS,
      'drain s': stats.span,
      'jobs/s': JOBS / stats.span,
      'job p50 ms': stats.p50,
      'job p95 ms': stats.p95,
      'enqueue jobs/s': JOBS / enqueueSeconds,
    };
  } finally {
    for (const worker of workers) await stop(worker);
    await bench.close();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const mode of COMMIT_MODES) {
    const modeRows: Row[] = [];
    for (const { processes, concurrency } of CONFIGURATIONS) modeRows.push(await run(processes, concurrency, mode));
    const baseline = Number(modeRows[0]['jobs/s']);
    for (const row of modeRows) row['vs 1 worker'] = `${(Number(row['jobs/s']) / baseline).toFixed(2)}×`;
    rows.push(...modeRows);
  }
  printTable(`No-op jobs through the queue (${JOBS} per run; job = started → finished as recorded in the jobs table)`, rows);
  const path = writeResults('job-queue', { jobs: JOBS, cpus: cpus().length, loadAverage: loadavg(), rows });
  console.log(`\nwrote ${path}`);
}

runBench(main);
