import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ModelSignature, ReferenceSummary } from '../plugins/contract';

export const MODEL_VERSION_STATUSES = ['TRAINING', 'SHADOW', 'ACTIVE', 'RETIRED', 'REJECTED', 'FAILED', 'ARCHIVED'] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

export const MODEL_VERSION_SOURCES = ['TRAINED', 'UPDATED', 'IMPORTED'] as const;
export type ModelVersionSource = (typeof MODEL_VERSION_SOURCES)[number];

export interface StoredArtifactFile {
  path: string;
  key: string;
  sha256: string;
  size: number;
}

@Entity('model_versions')
@Index('model_versions_model_version_key', ['registeredModelId', 'version'], { unique: true })
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  status!: ModelVersionStatus;

  @Column({ type: 'text' })
  source!: ModelVersionSource;

  @Column({ type: 'text' })
  family!: string;

  @Column({ type: 'text', nullable: true })
  format!: string | null;

  @Column({ name: 'feature_names', type: 'jsonb', default: () => "'[]'::jsonb" })
  featureNames!: string[];

  @Column({ type: 'jsonb', nullable: true })
  signature!: ModelSignature | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  hyperparameters!: Record<string, unknown>;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metrics!: Record<string, number>;

  @Column({ name: 'feature_importance', type: 'jsonb', nullable: true })
  featureImportance!: Record<string, number> | null;

  /** Large; loaded only by drift checks. */
  @Column({ type: 'jsonb', nullable: true, select: false })
  reference?: ReferenceSummary | null;

  @Column({ name: 'artifact_files', type: 'jsonb', default: () => "'[]'::jsonb" })
  artifactFiles!: StoredArtifactFile[];

  @Column({ name: 'dataset_id', type: 'uuid', nullable: true })
  datasetId!: string | null;

  /** The version this one continued from (incremental update), or was retrained from. */
  @Column({ name: 'parent_version_id', type: 'uuid', nullable: true })
  parentVersionId!: string | null;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  /** What the training saw: target, features, order column, row counts. */
  @Column({ name: 'training_spec', type: 'jsonb', nullable: true })
  trainingSpec!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'text', default: '' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'status_changed_at', type: 'timestamptz', default: () => 'now()' })
  statusChangedAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;
}
