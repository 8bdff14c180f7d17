import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One trial of a TUNING search, as it stands after the last rung it reached (learning/tuning.service.ts). */
@Entity('tuning_trials')
export class TuningTrialEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  /** 1 … trials; trial 1 is the ACTIVE version's own hyperparameters. */
  @PrimaryColumn({ type: 'integer' })
  trial!: number;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  /** The hyperparameters sampled from the search space (empty for trial 1). */
  @Column({ type: 'jsonb' })
  sampled!: Record<string, unknown>;

  /** The hyperparameters the trial stands for, at the full budget. */
  @Column({ type: 'jsonb' })
  hyperparameters!: Record<string, unknown>;

  /** The loss on each fold's test rows at the rung it reached, oldest fold first. */
  @Column({ name: 'fold_losses', type: 'double precision', array: true })
  foldLosses!: number[];

  /** The mean of foldLosses. */
  @Column({ type: 'double precision' })
  loss!: number;

  /** The last rung of the successive halving it was trained at (0 = the first). */
  @Column({ type: 'integer' })
  rung!: number;

  /** Boosting rounds or epochs at that rung (null for a family without a budget parameter). */
  @Column({ type: 'integer', nullable: true })
  budget!: number | null;

  /** Stopped before the last rung: not among the better half of its rung (or stopped by the time limit). */
  @Column({ type: 'boolean' })
  pruned!: boolean;

  /** Time its trainings and scorings took, over every rung. */
  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
