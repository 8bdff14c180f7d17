/**
 * Works jobs from the shared queue. For each job: mark it RUNNING (`job.started`), parse its payload
 * by its kind's schema (job-payloads.ts: one that does not parse fails the job, INVALID_JOB_PAYLOAD),
 * run the handler of its kind with an AbortSignal that fires on `cancelJob` or at the job's time limit
 * (its row's `timeLimitSeconds`; retries up to its `retryLimit`, see job-limits.ts), renew its
 * heartbeat, report progress (throttled into the row and `job.progress`), and record the end:
 * COMPLETED, CANCELLED, or FAILED — or back to QUEUED while the queue still has retries for it.
 *
 * Every write about a running job is fenced by its attempt number: once an attempt has been declared
 * lost (its heartbeat stopped, see job-reaper.ts) and handed to another worker, the worker that lost
 * it — should it only have been paused — aborts its handler and changes nothing.
 */
import { hostname } from 'node:os';
import type { DataSource, EntityManager } from 'typeorm';
import { JobEntity, type JobKind } from '../../entities/job.entity';
import { KybernetError } from '../../lib/errors';
import type { EventsService } from '../events/events.service';
import type { Delivery, JobQueue } from './job-queue';
import { handJobBack } from './job-handover';
import { INVALID_JOB_PAYLOAD, jobModelName, parseJobPayload, type JobPayload } from './job-payloads';
import { FINISHED_STATUSES } from './jobs.service';

export interface JobContext<K extends JobKind = JobKind> {
  job: JobEntity & { kind: K };
  /** The job's payload as its kind's schema parsed it (job-payloads.ts); handlers read this, not `job.payload`. */
  payload: JobPayload<K>;
  attempt: number;
  signal: AbortSignal;
  /** fraction in [0, 1]. */
  progress(fraction: number, message?: string): void;
  log(message: string): void;
}

/**
 * Does the work of jobs of kind(s) `K` and returns the result document. Throwing fails the attempt:
 * a KybernetError BAD_USER_INPUT fails the job at once; any other error is retried while the job's
 * retry limit allows, unless the signal had aborted (cancelled: CANCELLED; time limit: FAILED).
 */
export type JobHandler<K extends JobKind = JobKind> = (ctx: JobContext<K>) => Promise<Record<string, unknown>>;

/**
 * Extension point: `jobAttemptWasLost` runs when an attempt of `job` ended without its worker
 * recording the end (the worker died or stopped responding), before the job is retried, failed or
 * cancelled — in the reaper that notices the stopped heartbeat, or in the worker that takes up an
 * expired queue entry. The handler's owner cleans up what the attempt left behind there (training
 * fails the attempt's TRAINING versions). It may run more than once for one attempt; a throw leaves
 * the job as it was, to be tried again.
 */
export interface JobWorkerHooks {
  jobAttemptWasLost?(job: JobEntity): Promise<void>;
  /**
   * Runs inside the transaction that records the end of `job` — COMPLETED, FAILED or CANCELLED by its
   * worker, FAILED or CANCELLED by the reaper — after its event is appended, so that what it writes
   * commits with the end, exactly once (learning's circuit breaker counts failures here). A throw
   * leaves the end unrecorded (the reaper finds the attempt later).
   */
  jobDidEnd?(tx: EntityManager, job: JobEntity, end: JobEnd): Promise<void>;
}

/** How a job ended, as `jobDidEnd` hears it. */
export interface JobEnd {
  status: 'COMPLETED' | 'FAILED' | 'CANCELLED';
  error?: string;
}

export interface JobWorkerOptions {
  /** How often the heartbeat of each running job is renewed. */
  heartbeatSeconds: number;
  log?: (message: string) => void;
}

const PROGRESS_ROW_INTERVAL_MS = 500;
const PROGRESS_EVENT_INTERVAL_MS = 1_000;
const CANCEL_POLL_MS = 1_000;

class CancelledError extends Error {}

/** The worker is shutting down and its grace for running jobs has passed: the attempt goes back to the queue. */
class ShutdownError extends Error {}

/** The attempt was declared lost and handed on; this worker must change nothing more about the job. */
class LostAttemptError extends Error {}

/** Rows of `jobs` that still belong to this attempt of the job. */
function ownAttempt(tx: EntityManager | DataSource, jobId: string, attempt: number) {
  return tx
    .createQueryBuilder()
    .update(JobEntity)
    .where('id = :jobId AND status = :running AND attempts = :attempt', { jobId, running: 'RUNNING', attempt });
}

export class JobWorker {
  readonly workerId = `${hostname()}:${process.pid}`;
  private readonly handlers = new Map<JobKind, JobHandler>();
  private readonly running = new Set<Promise<void>>();
  /** The abort controllers of the running attempts, for a shutdown that cannot wait for them. */
  private readonly controllers = new Set<AbortController>();
  private readonly log: (message: string) => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly queue: JobQueue,
    private readonly hooks: JobWorkerHooks,
    private readonly options: JobWorkerOptions,
  ) {
    this.log = options.log ?? ((message) => console.log(message));
  }

  register<K extends JobKind>(kind: K, handler: JobHandler<K>): void {
    // Called only for jobs of kind K, with their payload parsed by K's schema.
    this.handlers.set(kind, handler as JobHandler);
  }

  async start(concurrency: number): Promise<void> {
    await this.queue.work(concurrency, (delivery) => {
      const run = this.runJob(delivery);
      this.running.add(run);
      return run.finally(() => this.running.delete(run));
    });
  }

  private async runJob(delivery: Delivery): Promise<void> {
    const { jobId, attempt } = delivery;
    const job = await this.begin(jobId, attempt).catch((error: unknown) => {
      // The queue retries the entry (within its retry limit); the job stays QUEUED meanwhile.
      this.log(`job ${jobId}: attempt ${attempt} could not start: ${(error as Error).message}`);
      throw error;
    });
    if (!job) return;
    const handler = this.handlers.get(job.kind);
    const { timeLimitSeconds, retryLimit } = job;
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeLimit = setTimeout(
      () => controller.abort(new Error(`exceeded its time limit of ${timeLimitSeconds} s`)),
      timeLimitSeconds * 1000,
    );
    const cancelPoll = setInterval(() => void this.checkCancel(jobId, controller), CANCEL_POLL_MS);
    const heartbeat = setInterval(() => void this.beat(jobId, attempt, controller), this.options.heartbeatSeconds * 1000);
    const reporter = this.progressReporter(job, attempt);
    try {
      if (!handler) throw new KybernetError('INTERNAL_SERVER_ERROR', `no handler for jobs of kind ${job.kind} in this worker`);
      const parsed = parseJobPayload(job.kind, job.payload);
      if (!parsed.ok)
        throw new KybernetError(
          'BAD_USER_INPUT',
          `${INVALID_JOB_PAYLOAD}: ${parsed.problem}`,
          { field: parsed.field },
          INVALID_JOB_PAYLOAD,
        );
      const result = await handler({
        job,
        payload: parsed.payload,
        attempt,
        signal: controller.signal,
        progress: reporter.report,
        log: (message) => this.log(`job ${jobId}: ${message}`),
      });
      await reporter.flush();
      await this.finish(delivery, job, 'COMPLETED', { result, progress: 1 });
    } catch (error) {
      await reporter.flush();
      const reason = controller.signal.aborted ? controller.signal.reason : error;
      if (reason instanceof LostAttemptError) {
        this.log(`job ${jobId}: ${reason.message}`);
        return;
      }
      if (reason instanceof CancelledError) {
        await this.finish(delivery, job, 'CANCELLED', {});
        return;
      }
      if (reason instanceof ShutdownError) {
        await this.handBack(job, attempt, reason.message);
        return;
      }
      const message = reason instanceof Error ? reason.message : String(reason);
      const retryable = !(error instanceof KybernetError && error.code === 'BAD_USER_INPUT') && !controller.signal.aborted;
      if (retryable && attempt <= retryLimit) {
        const requeued = await ownAttempt(this.dataSource, jobId, attempt)
          .set({ status: 'QUEUED', error: message, heartbeatAt: null })
          .execute();
        // The queue makes the next attempt when the handler throws.
        if (requeued.affected) throw error;
        return;
      }
      await this.finish(delivery, job, 'FAILED', { error: message });
    } finally {
      this.controllers.delete(controller);
      clearTimeout(timeLimit);
      clearInterval(cancelPoll);
      clearInterval(heartbeat);
    }
  }

  /** Marks the job RUNNING; returns undefined when it must not run (cancelled or finished meanwhile). */
  private async begin(jobId: string, attempt: number): Promise<JobEntity | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const job = await tx.findOne(JobEntity, { where: { id: jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job || FINISHED_STATUSES.includes(job.status)) return undefined;
      // Still RUNNING: the queue expired the entry of an attempt whose worker never recorded its end.
      if (job.status === 'RUNNING') await this.hooks.jobAttemptWasLost?.(job);
      const running = { status: 'RUNNING' as const, attempts: attempt, workerId: this.workerId, error: null };
      const updated = await tx
        .createQueryBuilder()
        .update(JobEntity)
        .set({ ...running, startedAt: () => 'now()', heartbeatAt: () => 'now()' })
        .where('id = :jobId', { jobId })
        .returning('started_at, heartbeat_at')
        .execute();
      const [{ started_at: startedAt, heartbeat_at: heartbeatAt }] = updated.raw as { started_at: Date; heartbeat_at: Date }[];
      // Last: the event append holds the log's lock until commit.
      await this.events.append(tx, {
        type: 'job.started',
        jobId,
        modelName: jobModelName(job),
        payload: { kind: job.kind, attempt, worker: this.workerId },
      });
      return Object.assign(job, running, { startedAt, heartbeatAt });
    });
  }

  /** Records the end of the attempt and of its queue entry in one transaction. */
  private async finish(
    delivery: Delivery,
    job: JobEntity,
    status: 'COMPLETED' | 'FAILED' | 'CANCELLED',
    fields: { result?: Record<string, unknown>; error?: string; progress?: number },
  ): Promise<void> {
    const { attempt } = delivery;
    const eventType = status === 'COMPLETED' ? 'job.completed' : status === 'FAILED' ? 'job.failed' : 'job.cancelled';
    await this.dataSource.transaction(async (tx) => {
      const updated = await ownAttempt(tx, job.id, attempt)
        .set({
          status,
          finishedAt: () => 'now()',
          heartbeatAt: null,
          ...(fields.result ? { result: fields.result } : {}),
          ...(fields.error ? { error: fields.error } : {}),
          ...(fields.progress !== undefined ? { progress: fields.progress } : {}),
        })
        .returning('model_version_id, started_at, finished_at')
        .execute();
      if (!updated.affected) {
        this.log(`job ${job.id}: attempt ${attempt} was handed to another worker; its end (${status}) is not recorded`);
        return;
      }
      const [finished] = updated.raw as { model_version_id: string | null; started_at: Date | null; finished_at: Date }[];
      await delivery.complete(tx);
      await this.events.append(tx, {
        type: eventType,
        jobId: job.id,
        modelVersionId: finished.model_version_id,
        modelName: jobModelName(job),
        payload: {
          kind: job.kind,
          status,
          attempt,
          durationMs: finished.started_at ? finished.finished_at.getTime() - finished.started_at.getTime() : null,
          ...(fields.result ? { result: fields.result } : {}),
          ...(fields.error ? { error: fields.error } : {}),
        },
      });
      await this.hooks.jobDidEnd?.(tx, job, { status, error: fields.error });
    });
  }

  private async checkCancel(jobId: string, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return;
    const [row] = await this.dataSource.query('SELECT cancel_requested_at FROM jobs WHERE id = $1', [jobId]).catch(() => []);
    if (row?.cancel_requested_at) controller.abort(new CancelledError('cancelled by request'));
  }

  /** Renews the heartbeat; finding the attempt no longer this worker's aborts the handler. */
  private async beat(jobId: string, attempt: number, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return;
    try {
      const renewed = await ownAttempt(this.dataSource, jobId, attempt)
        .set({ heartbeatAt: () => 'now()' })
        .execute();
      if (!renewed.affected) controller.abort(new LostAttemptError(`attempt ${attempt} was declared lost and handed on; stopping it`));
    } catch (error) {
      this.log(`job ${jobId}: heartbeat not recorded: ${(error as Error).message}`);
    }
  }

  private progressReporter(job: JobEntity, attempt: number) {
    let latest: { fraction: number; message?: string } | undefined;
    let lastRowAt = 0;
    let lastEventAt = 0;
    let writing = Promise.resolve();
    const write = (force: boolean) => {
      if (!latest) return;
      const { fraction, message } = latest;
      const now = Date.now();
      const writeRow = force || now - lastRowAt >= PROGRESS_ROW_INTERVAL_MS;
      const writeEvent = force || now - lastEventAt >= PROGRESS_EVENT_INTERVAL_MS;
      if (!writeRow && !writeEvent) return;
      if (writeRow) lastRowAt = now;
      if (writeEvent) lastEventAt = now;
      latest = undefined;
      writing = writing
        .then(async () => {
          if (writeRow)
            await ownAttempt(this.dataSource, job.id, attempt)
              .set({ progress: fraction, progressMessage: message ?? null })
              .execute();
          if (writeEvent) {
            await this.events.publish({
              type: 'job.progress',
              jobId: job.id,
              modelName: jobModelName(job),
              payload: { kind: job.kind, progress: fraction, message: message ?? null },
            });
          }
        })
        .catch((error) => this.log(`job ${job.id}: progress not recorded: ${(error as Error).message}`));
    };
    return {
      report: (fraction: number, message?: string) => {
        latest = { fraction: Math.min(1, Math.max(0, fraction)), message };
        write(false);
      },
      flush: async () => {
        write(true);
        await writing;
      },
    };
  }

  /** Puts an attempt interrupted by shutdown back on the queue as the same attempt (unless it was handed on meanwhile). */
  private async handBack(job: JobEntity, attempt: number, reason: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const current = await tx.findOne(JobEntity, {
        where: { id: job.id, status: 'RUNNING', attempts: attempt },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) return;
      await this.hooks.jobAttemptWasLost?.(current);
      await handJobBack(tx, { queue: this.queue, events: this.events }, current, { firstAttempt: attempt, reason });
    });
    this.log(`job ${job.id}: ${reason}`);
  }

  /**
   * Takes no more jobs and waits up to `graceMs` for the running ones; those still running then are
   * interrupted and put back on the queue as the same attempt, for another worker (or this one, restarted).
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    await this.queue.stopTaking();
    const settled = Promise.allSettled([...this.running]);
    let grace: NodeJS.Timeout | undefined;
    const finishedInTime = await Promise.race([
      settled.then(() => true),
      new Promise<boolean>((resolve) => {
        if (Number.isFinite(graceMs)) grace = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(grace);
    if (!finishedInTime) {
      const reason = new ShutdownError(`interrupted by the shutdown of worker ${this.workerId}; queued again as the same attempt`);
      for (const controller of this.controllers) controller.abort(reason);
      await settled;
    }
    await this.queue.stop();
  }
}
