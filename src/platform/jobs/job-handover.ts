/**
 * Hands a RUNNING job whose attempt ended without a recorded end back to the queue, inside the
 * caller's transaction: the attempt's queue entry withdrawn, the job QUEUED under a fresh entry that
 * starts at `firstAttempt`, and `job.queued` appended. The reaper does this for an attempt whose
 * worker stopped responding (the next attempt, counted against the retry limit); a worker shutting
 * down does it for the attempts it interrupts (the same attempt again: a shutdown is no failure).
 * The attempt's leftovers are the caller's to clean up first (the `jobAttemptWasLost` hook).
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { JobEntity } from '../../entities/job.entity';
import type { EventsService } from '../events/events.service';
import type { JobQueue } from './job-queue';
import { jobModelName } from './job-payloads';
import { expireInSeconds } from './jobs.service';

export async function handJobBack(
  tx: EntityManager,
  deps: { queue: JobQueue; events: EventsService },
  job: JobEntity,
  handover: { firstAttempt: number; reason: string },
): Promise<void> {
  const { firstAttempt, reason } = handover;
  await deps.queue.cancel(job.queueEntryId ?? job.id, tx);
  const entryId = randomUUID();
  await tx.update(JobEntity, { id: job.id }, { status: 'QUEUED', queueEntryId: entryId, heartbeatAt: null, error: reason });
  await deps.queue.enqueue(
    { entryId, jobId: job.id, firstAttempt },
    { retryLimit: Math.max(0, job.retryLimit - (firstAttempt - 1)), expireInSeconds: expireInSeconds(job.timeLimitSeconds), tx },
  );
  await deps.events.append(tx, {
    jobId: job.id,
    modelName: jobModelName(job),
    type: 'job.queued',
    payload: { kind: job.kind, trigger: job.trigger, reason, attempt: firstAttempt },
  });
}
