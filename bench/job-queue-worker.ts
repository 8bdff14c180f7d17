/**
 * A worker process for bench/job-queue.ts: the real queue (pg-boss) and JobWorker — begin, heartbeat,
 * progress, finish, events — with a no-op handler registered, in this process only, under the TUNING
 * kind, so that the benchmark measures the queue and the job bookkeeping and nothing else.
 *
 *   DATABASE_URL=… node -r @swc-node/register bench/job-queue-worker.ts [concurrency=1]
 */
import 'reflect-metadata';
import { openDatabase } from '../src/db/data-source';
import { EventsService } from '../src/platform/events/events.service';
import { createJobQueue } from '../src/platform/jobs/job-queue';
import { JobWorker } from '../src/platform/jobs/job-worker';
import { runBench } from './lib/entry';

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('bench/job-queue-worker.ts needs DATABASE_URL');
  const concurrency = Number(process.argv[2] ?? 1);
  const dataSource = await openDatabase(databaseUrl, { applicationName: 'kybernet-bench-worker', poolSize: concurrency + 2 });
  const queue = await createJobQueue(databaseUrl, (error) => console.error(`queue: ${error.message}`));
  const worker = new JobWorker(dataSource, new EventsService(dataSource), queue, {}, { heartbeatSeconds: 5, log: () => undefined });
  worker.register('TUNING', async () => ({}));
  await worker.start(concurrency);
  console.log('ready');
  process.once('SIGTERM', () => {
    void worker
      .stop()
      .then(() => dataSource.destroy())
      .finally(() => process.exit(0));
  });
}

runBench(main);
