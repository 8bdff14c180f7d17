import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type PredictionRole = 'ACTIVE' | 'SHADOW';

@Entity('predictions')
@Index('predictions_model_created', ['registeredModelId', 'createdAt'])
@Index('predictions_version_created', ['modelVersionId', 'createdAt'])
@Index('predictions_version_request', ['modelVersionId', 'requestId'], { unique: true })
@Index('predictions_model_request', ['registeredModelId', 'requestId'])
export class PredictionEntity {
  /** Assigned by the server before the row is written, so the answer and the row agree. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @Column({ name: 'model_version_id', type: 'uuid' })
  modelVersionId!: string;

  @Column({ type: 'text' })
  role!: PredictionRole;

  /** Shared by the ACTIVE row and its SHADOW rows of one request. */
  @Column({ name: 'request_id', type: 'text' })
  requestId!: string;

  /** NaN where the feature was missing. */
  @Column({ type: 'real', array: true })
  features!: number[];

  @Column({ type: 'real', array: true })
  outputs!: number[];

  @Column({ type: 'double precision', nullable: true })
  value!: number | null;

  @Column({ name: 'latency_ms', type: 'real' })
  latencyMs!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
