import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ModelSignature, ReferenceSummary } from '../plugins/contract';

/**
 * SUPERSEDED: a SHADOW version replaced by a newer candidate before it was judged (policy shadow_testing).
 * SNAPSHOT: a copy of an RL agent's live Q-table (rl/snapshots.ts): kept and promotable by hand (to go
 * back to it), never scoring requests as a shadow.
 */
export const MODEL_VERSION_STATUSES = [
  'TRAINING',
  'SHADOW',
  'SNAPSHOT',
  'ACTIVE',
  'RETIRED',
  'REJECTED',
  'SUPERSEDED',
  'FAILED',
  'ARCHIVED',
] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

export const MODEL_VERSION_SOURCES = ['TRAINED', 'UPDATED', 'IMPORTED'] as const;
export type ModelVersionSource = (typeof MODEL_VERSION_SOURCES)[number];

/** One arm (the candidate or the ACTIVE version) of the gate before SHADOW, on the candidate's held-out rows. */
export interface GateArmFigures {
  /** Mean per-row loss: squared error (regression) or log loss (binary). */
  meanLoss: number;
  /** Sign-trading figures on the held-out labels (null where the labels are not simple returns). */
  maxDrawdownPct: number | null;
  /** 95 % historical expected shortfall of the sign-trading returns, a loss as a positive fraction. */
  expectedShortfall95: number | null;
  sharpe: number | null;
}

/** One contiguous period of the held-out rows, oldest first. */
export interface GateFoldFigures {
  rows: number;
  candidateLoss: number;
  activeLoss: number;
}

/**
 * What the gate before SHADOW found (monitoring/promotion-gate.ts). `compared` is false when there was
 * nothing to compare against (no ACTIVE version, another task or other features) or the gate is off;
 * `passed` says whether the candidate went on to SHADOW.
 */
export type PromotionGateFigures = {
  passed: boolean;
  compared: boolean;
  againstVersion: number | null;
  lossName: 'squared_error' | 'log_loss' | null;
  /** Held-out rows both versions were scored on. */
  rows: number;
  /** (ACTIVE loss − candidate loss) / ACTIVE loss · 100 over all the rows. */
  improvementPct: number | null;
  foldsImproved: number | null;
  folds: GateFoldFigures[];
  candidate: GateArmFigures | null;
  active: GateArmFigures | null;
  /** Why it passed or, every one of them, why it failed. */
  reasons: string[];
};

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

  /** What the gate before SHADOW found when this version was registered (null: not gated). */
  @Column({ type: 'jsonb', nullable: true })
  gate!: PromotionGateFigures | null;

  @Column({ type: 'text', default: '' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'status_changed_at', type: 'timestamptz', default: () => 'now()' })
  statusChangedAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;
}
