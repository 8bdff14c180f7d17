/**
 * Notices jobs whose worker died. A worker renews the heartbeat of each job it runs every few
 * seconds (job-worker.ts); a RUNNING job whose heartbeat is older than `staleSeconds` has lost its
 * worker. Every process runs a reaper; each stale job is taken by exactly one of them (row lock, skip
 * locked), which — after the `jobAttemptWasLost` hook has cleaned up (training fails the attempt's
 * TRAINING versions, so nothing from it is ever registered) — withdraws the attempt's queue entry and
 * then, in one transaction:
 *   - cancel requested → CANCELLED (`job.cancelled`);
 *   - retries left (the lost attempt's number ≤ the job's retry limit) → QUEUED under a fresh queue
 *     entry for the next attempt (`job.queued`), which any live worker takes;
 *   - otherwise → FAILED (`job.failed`) with the reason.
 */
import type { DataSource } from 'typeorm';
import { JobEntity } from '../../entities/job.entity';
import type { EventsService } from '../events/events.service';
import type { JobQueue } from './job-queue';
import type { JobWorkerHooks } from './job-worker';
import { handJobBack } from './job-handover';
import { jobModelName } from './job-payloads';

export interface JobReaperOptions {
  /** A RUNNING job whose heartbeat is older than this has lost its worker. */
  staleSeconds: number;
  /** How often to look. */
  intervalSeconds: number;
  log: (message: string) => void;
}

export type ReapOutcome = 'QUEUED' | 'FAILED' | 'CANCELLED';

export class JobReaper {
  private timer?: NodeJS.Timeout;
  private reaping?: Promise<unknown>;

  constructor(
    private readonly dataSource: DataSource,
    readonly events: EventsService,
    readonly queue: JobQueue,
    private readonly hooks: JobWorkerHooks,
    private readonly options: JobReaperOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.reaping ??= this.reapOnce()
        .catch((error) => this.options.log(`job reaper: ${(error as Error).message}`))
        .finally(() => (this.reaping = undefined));
    }, this.options.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reaping;
  }

  /** Deals with every job whose worker stopped responding; returns what became of each. */
  async reapOnce(): Promise<Map<string, ReapOutcome>> {
    const stale: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM jobs WHERE status = 'RUNNING' AND heartbeat_at < now() - make_interval(secs => $1) ORDER BY heartbeat_at`,
      [this.options.staleSeconds],
    );
    const outcomes = new Map<string, ReapOutcome>();
    for (const { id } of stale) {
      const outcome = await this.reap(id);
      if (outcome) outcomes.set(id, outcome);
    }
    return outcomes;
  }

  private async reap(jobId: string): Promise<ReapOutcome | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const [locked] = await tx.query(
        `SELECT id FROM jobs WHERE id = $1 AND status = 'RUNNING' AND heartbeat_at < now() - make_interval(secs => $2) FOR UPDATE SKIP LOCKED`,
        [jobId, this.options.staleSeconds],
      );
      if (!locked) return undefined;
      const job = await tx.findOneByOrFail(JobEntity, { id: jobId });
      await this.hooks.jobAttemptWasLost?.(job);
      const reason = `worker ${job.workerId ?? '?'} stopped responding during attempt ${job.attempts} (no heartbeat for over ${this.options.staleSeconds} s)`;
      const eventBase = { jobId, modelName: jobModelName(job) };
      let outcome: ReapOutcome;
      if (job.cancelRequestedAt) {
        outcome = 'CANCELLED';
        await this.queue.cancel(job.queueEntryId ?? job.id, tx);
        await tx.update(JobEntity, { id: jobId }, { status: 'CANCELLED', finishedAt: () => 'now()', heartbeatAt: null, error: reason });
        await this.events.append(tx, {
          ...eventBase,
          type: 'job.cancelled',
          payload: { kind: job.kind, while: 'RUNNING', attempt: job.attempts, reason },
        });
        await this.hooks.jobDidEnd?.(tx, job, { status: 'CANCELLED', error: reason });
      } else if (job.attempts <= job.retryLimit) {
        outcome = 'QUEUED';
        await handJobBack(tx, this, job, { firstAttempt: job.attempts + 1, reason: `retry after a lost attempt: ${reason}` });
      } else {
        outcome = 'FAILED';
        await this.queue.cancel(job.queueEntryId ?? job.id, tx);
        await tx.update(JobEntity, { id: jobId }, { status: 'FAILED', finishedAt: () => 'now()', heartbeatAt: null, error: reason });
        await this.events.append(tx, {
          ...eventBase,
          type: 'job.failed',
          payload: { kind: job.kind, status: 'FAILED', attempt: job.attempts, error: reason },
        });
        await this.hooks.jobDidEnd?.(tx, job, { status: 'FAILED', error: reason });
      }
      this.options.log(`job reaper: job ${jobId} (${job.kind}) ${reason} → ${outcome}`);
      return outcome;
    });
  }
}
