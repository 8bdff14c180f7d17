import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const JOB_KINDS = [
  'TRAIN',
  'FULL',
  'PARTIAL',
  'INCREMENTAL',
  'RL_MAINTENANCE',
  'TUNING',
  'DRIFT_CHECK',
  'ARCHIVE',
  'EVALUATE',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_TRIGGERS = ['MANUAL', 'SCHEDULE', 'TRADES', 'DRIFT', 'PERFORMANCE'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** Mirrors a queue job (pg-boss) in our own terms; the queue row carries only the id. */
@Entity('jobs')
@Index('jobs_status_created', ['status', 'createdAt'])
export class JobEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: JobKind;

  @Column({ type: 'text' })
  status!: JobStatus;

  @Column({ type: 'text' })
  trigger!: JobTrigger;

  /** Why it was queued, in words ("drift HIGH on ret_5", "10 trades since last update"). */
  @Column({ type: 'text', default: '' })
  reason!: string;

  /** At most one job per key, ever: a schedule firing seen by several replicas enqueues once. */
  @Column({ name: 'singleton_key', type: 'text', nullable: true, unique: true })
  singletonKey!: string | null;

  @Column({ name: 'registered_model_id', type: 'uuid', nullable: true })
  registeredModelId!: string | null;

  /** What the job's handler works on; its shape is the kind's schema (platform/jobs/job-payloads.ts). */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  payload!: Record<string, unknown>;

  /** Seconds an attempt may run before it is stopped; written when queued (platform/jobs/job-limits.ts). */
  @Column({ name: 'time_limit_seconds', type: 'integer' })
  timeLimitSeconds!: number;

  /** Further attempts after a failed or lost one; written when queued (platform/jobs/job-limits.ts). */
  @Column({ name: 'retry_limit', type: 'integer' })
  retryLimit!: number;

  @Column({ type: 'real', default: 0 })
  progress!: number;

  @Column({ name: 'progress_message', type: 'text', nullable: true })
  progressMessage!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  result!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'worker_id', type: 'text', nullable: true })
  workerId!: string | null;

  @Column({ name: 'model_version_id', type: 'uuid', nullable: true })
  modelVersionId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt!: Date | null;

  /** The job's current entry in the queue (job-queue.ts); null means the job's own id. */
  @Column({ name: 'queue_entry_id', type: 'uuid', nullable: true })
  queueEntryId!: string | null;

  /** Renewed by the worker while the job runs; a RUNNING job whose heartbeat stops has lost its worker. */
  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;
}
