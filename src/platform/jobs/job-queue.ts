/**
 * The shared job queue, on pg-boss (Postgres-backed, so workers on many machines share it). A queue
 * entry carries only our job id and the attempt it starts at; everything else lives in the `jobs`
 * table. A job's first entry has the job's own id; when a lost attempt is handed to another worker
 * (JobReaper) the job gets a fresh entry, so the lost worker, should it wake up, can only complete
 * its own stale entry.
 */
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';

const QUEUE_NAME = 'kybernet-jobs';

export interface QueueEntry {
  /** The queue entry's own id (the job id for a job's first entry). */
  entryId: string;
  jobId: string;
  /** The attempt number this entry starts at; the queue's own retries count on from it. */
  firstAttempt: number;
}

export interface EnqueueOptions {
  /** Further attempts the queue makes after a failed one. */
  retryLimit: number;
  /** pg-boss gives up on (and retries) an active entry after this long: the job's time limit plus a margin. */
  expireInSeconds: number;
  /** Enqueue inside this transaction, so the queue entry exists exactly when the job row does. */
  tx?: EntityManager;
}

/** One queue entry handed to this process. */
export interface Delivery {
  jobId: string;
  attempt: number;
  /**
   * Marks the entry done inside `tx`, so that the queue and the job row record the end in one commit.
   * (When the handler returns without calling it, the queue marks the entry done afterwards; when it
   * throws, the queue retries the entry within its retry limit.)
   */
  complete(tx: EntityManager): Promise<void>;
}

export interface JobQueue {
  enqueue(entry: QueueEntry, options: EnqueueOptions): Promise<void>;
  /** Runs `handler` for each job this process takes, up to `concurrency` at a time. */
  work(concurrency: number, handler: (delivery: Delivery) => Promise<void>): Promise<void>;
  /** Withdraws an entry that has not finished (a no-op for one that has). */
  cancel(entryId: string, tx?: EntityManager): Promise<void>;
  /** Takes no more entries (those being worked go on); `stop` then waits for them. */
  stopTaking(): Promise<void>;
  stop(): Promise<void>;
}

interface EntryData {
  jobId: string;
  firstAttempt?: number;
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
    async enqueue(entry, options) {
      const data: EntryData = { jobId: entry.jobId, firstAttempt: entry.firstAttempt };
      await boss.send(QUEUE_NAME, data, {
        id: entry.entryId,
        retryLimit: options.retryLimit,
        retryDelay: 1,
        expireInSeconds: options.expireInSeconds,
        ...(options.tx ? { db: asBossDb(options.tx) } : {}),
      });
    },
    async work(concurrency, handler) {
      for (let i = 0; i < concurrency; i++) {
        let workerId: string | undefined;
        workerId = await boss.work<EntryData>(
          QUEUE_NAME,
          { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true },
          async ([job]) => {
            try {
              await handler({
                jobId: job.data.jobId,
                attempt: (job.data.firstAttempt ?? 1) + job.retryCount,
                complete: async (tx) => void (await boss.complete(QUEUE_NAME, job.id, {}, { db: asBossDb(tx) })),
              });
            } finally {
              // A loop that just finished a job looks for the next one at once instead of after the polling interval.
              if (workerId) boss.notifyWorker(workerId);
            }
          },
        );
      }
    },
    async cancel(entryId, tx) {
      await boss.cancel(QUEUE_NAME, entryId, tx ? { db: asBossDb(tx) } : undefined);
    },
    async stopTaking() {
      await boss.offWork(QUEUE_NAME);
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
