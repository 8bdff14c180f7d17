import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { CellValue } from '../lib/dataset-table';

export const LEARNING_KINDS = ['FULL', 'PARTIAL', 'INCREMENTAL'] as const;
export type LearningKind = (typeof LEARNING_KINDS)[number];

/** One thing a model learned: which version it started from, on which rows, and what changed. */
@Entity('learning_events')
@Index('learning_events_model_id', ['registeredModelId', 'id'])
export class LearningEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @Column({ type: 'text' })
  kind!: LearningKind;

  /** What queued the job: MANUAL, SCHEDULE, TRADES, DRIFT, PERFORMANCE. */
  @Column({ type: 'text' })
  trigger!: string;

  @Column({ type: 'text', default: '' })
  reason!: string;

  @Column({ name: 'dataset_id', type: 'uuid', nullable: true })
  datasetId!: string | null;

  @Column({ name: 'rows_used', type: 'integer' })
  rowsUsed!: number;

  /** First and last order-column value of the rows used (a timestamp in epoch ms, a number or text). */
  @Column({ name: 'data_start', type: 'jsonb', nullable: true })
  dataStart!: CellValue;

  @Column({ name: 'data_end', type: 'jsonb', nullable: true })
  dataEnd!: CellValue;

  @Column({ name: 'version_before_id', type: 'uuid', nullable: true })
  versionBeforeId!: string | null;

  @Column({ name: 'version_after_id', type: 'uuid' })
  versionAfterId!: string;

  /** The version before, scored on the same rows the version after was validated on (its held-out, latest rows). */
  @Column({ name: 'metrics_before', type: 'jsonb', default: () => "'{}'::jsonb" })
  metricsBefore!: Record<string, number>;

  @Column({ name: 'metrics_after', type: 'jsonb', default: () => "'{}'::jsonb" })
  metricsAfter!: Record<string, number>;

  /** after − before, for every metric both have. */
  @Column({ name: 'metric_change', type: 'jsonb', default: () => "'{}'::jsonb" })
  metricChange!: Record<string, number>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
