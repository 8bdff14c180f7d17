import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A model's circuit breaker: its FAILED retraining jobs in a row and its own pause (learning/learning-switch.service.ts). */
@Entity('model_learning_states')
export class ModelLearningStateEntity {
  @PrimaryColumn({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  /** FAILED FULL, PARTIAL or INCREMENTAL jobs since the last COMPLETED one (or the last resume). */
  @Column({ name: 'consecutive_failures', type: 'integer' })
  consecutiveFailures!: number;

  /** Those jobs, oldest first (the latest 100). */
  @Column({ name: 'failed_job_ids', type: 'uuid', array: true })
  failedJobIds!: string[];

  /** Null while the model learns automatically. */
  @Column({ name: 'paused_at', type: 'timestamptz', nullable: true })
  pausedAt!: Date | null;

  /** 'circuit breaker', or the API key's name that paused it. */
  @Column({ name: 'paused_by', type: 'text', nullable: true })
  pausedBy!: string | null;

  @Column({ name: 'paused_reason', type: 'text', nullable: true })
  pausedReason!: string | null;

  /** The failed jobs that tripped the breaker (empty for an operator's pause). */
  @Column({ name: 'paused_job_ids', type: 'uuid', array: true })
  pausedJobIds!: string[];

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
