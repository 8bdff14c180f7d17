import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { DistributionDrift, DriftSeverity, PerformanceDrift } from '../monitoring/drift-assessment';

export type RecordedDriftSeverity = Exclude<DriftSeverity, 'NONE'>;

export const DRIFT_RESPONSES = ['LOGGED', 'PARTIAL_RETRAINING', 'FULL_RETRAINING', 'PROMOTION_STOPPED_FULL_RETRAINING'] as const;
export type DriftResponse = (typeof DRIFT_RESPONSES)[number];

export type DriftCheckTrigger = 'MANUAL' | 'SCHEDULE';

/** Drift found by one check of a model's ACTIVE version (checks that find none are not recorded). */
@Entity('drift_events')
@Index('drift_events_model_created', ['registeredModelId', 'createdAt', 'id'])
@Index('drift_events_created', ['createdAt', 'id'])
@Index('drift_events_version_severity', ['modelVersionId', 'severity'])
export class DriftEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  /** The ACTIVE version whose reference the recent data was compared with. */
  @Column({ name: 'model_version_id', type: 'uuid' })
  modelVersionId!: string;

  @Column({ type: 'text' })
  severity!: RecordedDriftSeverity;

  @Column({ type: 'text' })
  trigger!: DriftCheckTrigger;

  /** The DRIFT_CHECK job of a scheduled check. */
  @Column({ name: 'check_job_id', type: 'uuid', nullable: true })
  checkJobId!: string | null;

  @Column({ type: 'jsonb' })
  reasons!: string[];

  /** Recent predictions compared. */
  @Column({ name: 'window_rows', type: 'integer' })
  windowRows!: number;

  @Column({ name: 'feature_count', type: 'integer' })
  featureCount!: number;

  @Column({ name: 'drifted_features', type: 'integer' })
  driftedFeatures!: number;

  @Column({ name: 'major_features', type: 'integer' })
  majorFeatures!: number;

  @Column({ type: 'jsonb' })
  distributions!: DistributionDrift[];

  @Column({ type: 'jsonb' })
  performance!: PerformanceDrift[];

  @Column({ type: 'text' })
  response!: DriftResponse;

  @Column({ name: 'retraining_job_ids', type: 'uuid', array: true, default: () => "'{}'" })
  retrainingJobIds!: string[];

  /** Why the response could not be carried out in full (a model that cannot be retrained, …). */
  @Column({ name: 'response_note', type: 'text', nullable: true })
  responseNote!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
