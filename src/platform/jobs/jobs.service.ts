/**
 * Jobs: the `jobs` table is the record (status, progress, result, error, timings); the queue
 * (job-queue.ts) only hands job ids to workers. Enqueueing writes the row, the `job.queued` event and
 * the queue entry in one transaction. The row carries the job's payload, parsed by its kind's schema
 * (job-payloads.ts), and its time and retry limits, from the policy in force (job-limits.ts).
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { JobEntity, type JobKind, type JobStatus, type JobTrigger } from '../../entities/job.entity';
import { KeysetPage, type Page } from '../../lib/cursor';
import { ConflictError, KybernetError, NotFoundError } from '../../lib/errors';
import type { EventsService } from '../events/events.service';
import type { PolicyService } from '../policy/policy.service';
import type { JobQueue } from './job-queue';
import { jobLimits, type JobLimits } from './job-limits';
import { INVALID_JOB_PAYLOAD, parseJobPayload, type JobPayloadInput } from './job-payloads';
import { isUuid } from '../../lib/ids';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/postgres-errors';

interface NewJobOf<K extends JobKind> {
  kind: K;
  trigger: JobTrigger;
  reason: string;
  registeredModelId?: string | null;
  modelName?: string | null;
  /** What the kind's handler works on: the kind's payload (job-payloads.ts) and nothing else. */
  payload: JobPayloadInput<K>;
  /** At most one job per key, ever; a second enqueue with the key returns the existing job. */
  singletonKey?: string;
  /** The job's limits instead of those the policy gives its kind (job-limits.ts); for tests and benchmarks. */
  limits?: JobLimits;
}

/** A job to queue: for each kind, that kind's payload. */
export type NewJob = { [K in JobKind]: NewJobOf<K> }[JobKind];

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
    private readonly policy: PolicyService,
  ) {}

  /**
   * Queues `job` (within `outer`'s transaction when given): its payload as its kind's schema parses it
   * — one that does not parse is a fault of the caller, refused with INVALID_JOB_PAYLOAD — and its
   * limits from the policy in force (or `job.limits`).
   */
  async enqueue(job: NewJob, outer?: EntityManager): Promise<JobEntity> {
    const parsed = parseJobPayload(job.kind, job.payload);
    if (!parsed.ok)
      throw new KybernetError(
        'INTERNAL_SERVER_ERROR',
        `cannot queue the job: ${parsed.problem}`,
        { field: parsed.field },
        INVALID_JOB_PAYLOAD,
      );
    const run = async (tx: EntityManager) => {
      if (job.singletonKey) {
        const existing = await tx.findOneBy(JobEntity, { singletonKey: job.singletonKey });
        if (existing) return existing;
      }
      const limits = job.limits ?? jobLimits(job.kind, await this.policy.document(tx));
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
          payload: parsed.payload,
          timeLimitSeconds: limits.timeLimitSeconds,
          retryLimit: limits.retryLimit,
        }),
      );
      await this.events.append(tx, {
        type: 'job.queued',
        jobId: row.id,
        modelName: job.modelName ?? null,
        payload: { kind: job.kind, trigger: job.trigger, reason: job.reason },
      });
      await this.queue.enqueue(
        { entryId: id, jobId: id, firstAttempt: 1 },
        { retryLimit: limits.retryLimit, expireInSeconds: expireInSeconds(limits.timeLimitSeconds), tx },
      );
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
    const page = new KeysetPage<JobEntity>(filter, {
      column: 'j.created_at',
      tieBreak: 'j.id',
      direction: 'DESC',
      time: (job) => job.createdAt,
    });
    const query = this.dataSource.getRepository(JobEntity).createQueryBuilder('j');
    if (filter.status?.length) query.andWhere('j.status IN (:...status)', { status: filter.status });
    if (filter.kind?.length) query.andWhere('j.kind IN (:...kind)', { kind: filter.kind });
    if (filter.modelId) query.andWhere('j.registered_model_id = :modelId', { modelId: filter.modelId });
    return page.fetch(query);
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
