/**
 * The shared job queue, on pg-boss (Postgres-backed, so workers on many machines share it). A queue
 * job carries only our job id (it is the same id); everything else lives in the `jobs` table.
 */
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';

export const QUEUE_NAME = 'kybernet-jobs';

export interface EnqueueOptions {
  retryLimit: number;
  /** pg-boss gives up on (and retries) an active job after this long: the job's time limit plus a margin. */
  expireInSeconds: number;
  /** Enqueue inside this transaction, so the queue entry exists exactly when the job row does. */
  tx?: EntityManager;
}

export interface JobQueue {
  enqueue(jobId: string, options: EnqueueOptions): Promise<void>;
  /** Runs `handler` for each job this process takes, up to `concurrency` at a time. */
  work(concurrency: number, handler: (jobId: string, attempt: number) => Promise<void>): Promise<void>;
  cancel(jobId: string, tx?: EntityManager): Promise<void>;
  stop(): Promise<void>;
}

function asBossDb(tx: EntityManager): PgBoss.Db {
  return { executeSql: async (text, values) => ({ rows: await tx.query(text, values) }) };
}

export async function createJobQueue(connectionString: string, onError: (error: Error) => void): Promise<JobQueue> {
  const boss = new PgBoss({ connectionString, schema: 'pgboss', application_name: 'kybernet-queue', max: 4 });
  boss.on('error', onError);
  await boss.start();
  if (!(await boss.getQueue(QUEUE_NAME))) await boss.createQueue(QUEUE_NAME, { name: QUEUE_NAME, policy: 'standard' });
  return {
    async enqueue(jobId, options) {
      await boss.send(QUEUE_NAME, { jobId }, {
        id: jobId,
        retryLimit: options.retryLimit,
        retryDelay: 1,
        expireInSeconds: options.expireInSeconds,
        ...(options.tx ? { db: asBossDb(options.tx) } : {}),
      });
    },
    async work(concurrency, handler) {
      for (let i = 0; i < concurrency; i++) {
        await boss.work<{ jobId: string }>(QUEUE_NAME, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
          await handler(job.data.jobId, job.retryCount + 1);
        });
      }
    },
    async cancel(jobId, tx) {
      await boss.cancel(QUEUE_NAME, jobId, tx ? { db: asBossDb(tx) } : undefined);
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
