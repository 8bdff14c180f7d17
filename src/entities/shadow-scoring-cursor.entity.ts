import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How far the workers' shadow scorer has scored a SHADOW version through its model's predictions log
 * (monitoring/shadow-scoring.service.ts).
 */
@Entity('shadow_scoring_cursors')
export class ShadowScoringCursorEntity {
  @PrimaryColumn({ name: 'model_version_id', type: 'uuid' })
  modelVersionId!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  /** The created_at and id of the last ACTIVE prediction scored: the log is read in (created_at, id) order. */
  @Column({ name: 'scored_through_at', type: 'timestamptz' })
  scoredThroughAt!: Date;

  @Column({ name: 'scored_through_id', type: 'uuid' })
  scoredThroughId!: string;

  /** ACTIVE predictions read so far (bigint: read as a string). */
  @Column({ name: 'scored_rows', type: 'bigint' })
  scoredRows!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
