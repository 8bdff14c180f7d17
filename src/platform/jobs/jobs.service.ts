/**
 * Jobs: the `jobs` table is the record (status, progress, result, error, timings); the queue
 * (job-queue.ts) only hands job ids to workers. Enqueueing writes the row, the `job.queued` event and
 * the queue entry in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { JobEntity, type JobKind, type JobStatus, type JobTrigger } from '../../entities/job.entity';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from '../../lib/cursor';
import { ConflictError, NotFoundError } from '../../lib/errors';
import type { EventsService } from '../events/events.service';
import type { JobQueue } from './job-queue';
import { isUuid } from '../../lib/ids';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/postgres-errors';

export interface NewJob {
  kind: JobKind;
  trigger: JobTrigger;
  reason: string;
  registeredModelId?: string | null;
  modelName?: string | null;
  payload: Record<string, unknown>;
  /** At most one job per key, ever; a second enqueue with the key returns the existing job. */
  singletonKey?: string;
  timeLimitSeconds: number;
  retryLimit: number;
}

export interface JobFilter {
  status?: JobStatus[];
  kind?: JobKind[];
  modelId?: string;
  first?: number;
  after?: string;
}

export const FINISHED_STATUSES: JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** pg-boss expires an entry a little after the job's own time limit would have stopped it. */
export function expireInSeconds(timeLimitSeconds: number): number {
  return timeLimitSeconds + 60;
}

export class JobsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly queue: JobQueue,
  ) {}

  async enqueue(job: NewJob, outer?: EntityManager): Promise<JobEntity> {
    const run = async (tx: EntityManager) => {
      if (job.singletonKey) {
        const existing = await tx.findOneBy(JobEntity, { singletonKey: job.singletonKey });
        if (existing) return existing;
      }
      const id = randomUUID();
      const row = await tx.save(
        tx.create(JobEntity, {
          id,
          queueEntryId: id,
          kind: job.kind,
          status: 'QUEUED',
          trigger: job.trigger,
          reason: job.reason,
          registeredModelId: job.registeredModelId ?? null,
          singletonKey: job.singletonKey ?? null,
          payload: { ...job.payload, timeLimitSeconds: job.timeLimitSeconds, retryLimit: job.retryLimit },
        }),
      );
      await this.events.append(tx, {
        type: 'job.queued',
        jobId: row.id,
        modelName: job.modelName ?? null,
        payload: { kind: job.kind, trigger: job.trigger, reason: job.reason },
      });
      await this.queue.enqueue({ entryId: id, jobId: id, firstAttempt: 1 }, { retryLimit: job.retryLimit, expireInSeconds: expireInSeconds(job.timeLimitSeconds), tx });
      return row;
    };
    try {
      return outer ? await run(outer) : await this.dataSource.transaction(run);
    } catch (error) {
      if (job.singletonKey && pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
        return this.dataSource.getRepository(JobEntity).findOneByOrFail({ singletonKey: job.singletonKey });
      }
      throw error;
    }
  }

  async getJob(id: string): Promise<JobEntity> {
    const job = isUuid(id) ? await this.dataSource.getRepository(JobEntity).findOneBy({ id }) : null;
    if (!job) throw new NotFoundError(`no job with id ${id}`, { field: 'id' });
    return job;
  }

  async searchJobs(filter: JobFilter): Promise<Page<JobEntity>> {
    const size = pageSize(filter.first);
    const query = this.dataSource
      .getRepository(JobEntity)
      .createQueryBuilder('j')
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(size + 1);
    if (filter.status?.length) query.andWhere('j.status IN (:...status)', { status: filter.status });
    if (filter.kind?.length) query.andWhere('j.kind IN (:...kind)', { kind: filter.kind });
    if (filter.modelId) query.andWhere('j.registered_model_id = :modelId', { modelId: filter.modelId });
    if (filter.after) {
      const { sortKey, id } = decodeCursor(filter.after);
      query.andWhere('(j.created_at, j.id) < (:createdAt, :id)', { createdAt: new Date(sortKey), id });
    }
    return toPage(await query.getMany(), size, (job) => encodeCursor(job.createdAt.toISOString(), job.id));
  }

  /**
   * A QUEUED job is cancelled at once; a RUNNING one is asked to stop, and its worker aborts the
   * training within about a second and records CANCELLED.
   */
  async cancelJob(id: string): Promise<JobEntity> {
    await this.getJob(id);
    return this.dataSource.transaction(async (tx) => {
      const job = await tx.findOneOrFail(JobEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (FINISHED_STATUSES.includes(job.status)) throw new ConflictError(`job ${id} already finished (${job.status}); nothing to cancel`);
      if (job.status === 'QUEUED') {
        await tx.update(JobEntity, { id }, { status: 'CANCELLED', cancelRequestedAt: () => 'now()', finishedAt: () => 'now()' });
        await this.queue.cancel(job.queueEntryId ?? id, tx);
        await this.events.append(tx, { type: 'job.cancelled', jobId: id, payload: { kind: job.kind, while: 'QUEUED' } });
      } else {
        await tx.update(JobEntity, { id }, { cancelRequestedAt: () => 'now()' });
      }
      return tx.findOneByOrFail(JobEntity, { id });
    });
  }
}
