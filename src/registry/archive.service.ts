/**
 * The archive: versions out of service for longer than the policy's `archive_after_days` (SHADOW,
 * SNAPSHOT, RETIRED, REJECTED, SUPERSEDED or FAILED, untouched since — by `status_changed_at`) become ARCHIVED and their
 * artifact files move under `archive/` (`archive/models/{name}/v{version}/{file}`; bytes and SHA-256
 * unchanged, so an archived version can still be audited and loaded). Each version is one transaction
 * that locks its row, moves its files, records the new keys with the status and appends
 * `model.archived`; if that transaction fails the files are moved back. A promotion or rollback racing
 * an archive waits for the row and then finds the version ARCHIVED.
 *
 * Scheduled monthly by default (policy.schedule_interval.archive): each firing queues an ARCHIVE job.
 */
import type { DataSource } from 'typeorm';
import { ModelVersionEntity, type ModelVersionStatus, type StoredArtifactFile } from '../entities/model-version.entity';
import type { ArtifactStore } from '../storage/artifact-store';
import type { EventsService } from '../platform/events/events.service';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { ScheduledTask } from '../platform/schedules/scheduler';

const ARCHIVE_PREFIX = 'archive';
const ARCHIVABLE: ModelVersionStatus[] = ['SHADOW', 'SNAPSHOT', 'RETIRED', 'REJECTED', 'SUPERSEDED', 'FAILED'];

export interface ArchivedVersion {
  model: string;
  version: number;
  previousStatus: ModelVersionStatus;
  files: number;
}

function archiveKey(key: string): string {
  return `${ARCHIVE_PREFIX}/${key}`;
}

export class ArchiveService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ArtifactStore,
    private readonly events: EventsService,
    private readonly jobs: JobsService,
  ) {}

  /** The scheduled archive (policy.schedule_interval.archive, in the policy's time zone). */
  archiveTask(): ScheduledTask {
    return {
      name: 'archive',
      description: 'Queues an ARCHIVE job for versions out of service longer than archive_after_days.',
      timing: (policy) => ({ cron: policy.schedule_interval.archive }),
      run: (slot) =>
        this.jobs.enqueue({
          kind: 'ARCHIVE',
          trigger: 'SCHEDULE',
          reason: `scheduled archive (${slot.time.toISOString()}) of versions out of service for over ${slot.policy.schedule_interval.archive_after_days} days`,
          payload: { olderThanDays: slot.policy.schedule_interval.archive_after_days },
          singletonKey: slot.singletonKey,
        }),
    };
  }

  /** The ARCHIVE job handler. */
  readonly runArchiveJob = async (ctx: JobContext<'ARCHIVE'>): Promise<Record<string, unknown>> => {
    const { olderThanDays } = ctx.payload;
    const archived = await this.archiveVersions(olderThanDays, ctx);
    return { olderThanDays, archived };
  };

  async archiveVersions(olderThanDays: number, ctx?: Pick<JobContext, 'signal' | 'progress'>): Promise<ArchivedVersion[]> {
    const candidates: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM model_versions WHERE status = ANY($1) AND status_changed_at < now() - make_interval(days => $2) ORDER BY status_changed_at`,
      [ARCHIVABLE, olderThanDays],
    );
    const archived: ArchivedVersion[] = [];
    for (const [index, { id }] of candidates.entries()) {
      ctx?.signal.throwIfAborted();
      const done = await this.archiveVersion(id, olderThanDays);
      if (done) archived.push(done);
      ctx?.progress((index + 1) / candidates.length, `${index + 1} of ${candidates.length} versions`);
    }
    return archived;
  }

  private async archiveVersion(id: string, olderThanDays: number): Promise<ArchivedVersion | undefined> {
    const moved: { from: string; to: string }[] = [];
    try {
      return await this.dataSource.transaction(async (tx) => {
        const [row] = await tx.query(
          `SELECT v.id, v.status, v.version, m.name AS model FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id
           WHERE v.id = $1 AND v.status = ANY($2) AND v.status_changed_at < now() - make_interval(days => $3) FOR UPDATE OF v`,
          [id, ARCHIVABLE, olderThanDays],
        );
        if (!row) return undefined;
        const version = await tx.findOneByOrFail(ModelVersionEntity, { id });
        const files: StoredArtifactFile[] = [];
        for (const file of version.artifactFiles) {
          const to = archiveKey(file.key);
          // Only under the archive key already: moved by an earlier attempt that did not commit.
          const movedEarlier = !(await this.store.exists(file.key)) && (await this.store.exists(to));
          if (!movedEarlier) await this.store.move(file.key, to);
          moved.push({ from: file.key, to });
          files.push({ ...file, key: to });
        }
        await tx.update(ModelVersionEntity, { id }, { status: 'ARCHIVED', artifactFiles: files, statusChangedAt: () => 'now()' });
        await this.events.append(tx, {
          type: 'model.archived',
          modelName: row.model,
          modelVersionId: id,
          payload: { model: row.model, version: row.version, previousStatus: row.status, files: files.map((file) => file.key) },
        });
        return {
          model: row.model as string,
          version: Number(row.version),
          previousStatus: row.status as ModelVersionStatus,
          files: files.length,
        };
      });
    } catch (error) {
      for (const { from, to } of moved.reverse()) await this.store.move(to, from).catch(() => undefined);
      throw error;
    }
  }
}
