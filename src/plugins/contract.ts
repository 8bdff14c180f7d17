/**
 * The one contract every model family implements. A family may import only this file, plugins/onnx/
 * and lib/ — never the database or services — so that it can live in its own npm package and be
 * loaded by name from KYBERNET_PLUGINS (see plugins/index.ts).
 *
 * Families are written in three layers: this contract; a base per kind (plugins/base/) that owns
 * splitting, ordering, scaling, validation and the reference summary; and a leaf family that only
 * calls its library.
 */
import type { ZodType } from 'zod';

export type FamilyKind = 'tabular' | 'sequence' | 'policy';

/** Artifact files by relative path, e.g. `model.json`, `model.onnx`. */
export type ArtifactFiles = Record<string, Uint8Array>;

export type ModelTask = 'regression' | 'binary' | 'policy';

export interface ModelSignature {
  task: ModelTask;
  /** Features per row; a request with another width is refused before it reaches the predictor. */
  inputWidth: number;
  /** Output names, in order. `outputs[0]` is the value a prediction answers with (for a policy: one per action). */
  outputs: string[];
  /** Whether NaN ("missing") is a legal feature value for this model. ±Inf never is. */
  allowsMissing: boolean;
}

export interface ModelArtifact {
  /** How `files` are to be read: 'xgboost-json', 'lightgbm-text', 'onnx', 'q-table-json', … */
  format: string;
  files: ArtifactFiles;
  signature: ModelSignature;
  featureNames: string[];
}

/** Rows of a tabular training set, ordered by time (earliest first). */
export interface TabularTrainingSet {
  kind: 'tabular';
  featureNames: string[];
  /** rows × featureNames.length, row-major; NaN marks a missing value. */
  features: Float32Array;
  target: Float32Array;
  rows: number;
}

/** One decision of a policy agent and what it earned. */
export interface PolicyTransition {
  state: Record<string, string>;
  action: string;
  reward: number;
  /** The state the agent saw next; absent when the episode ended with this decision. */
  nextState?: Record<string, string>;
}

export interface PolicyTrainingSet {
  kind: 'policy';
  transitions: PolicyTransition[];
}

export type TrainingSet = TabularTrainingSet | PolicyTrainingSet;

export interface TrainContext {
  /** Aborted when the job is cancelled or exceeds its time limit; a family stops at the next round and throws. */
  signal: AbortSignal;
  /** fraction in [0, 1]; called at most once per round/epoch. */
  progress(fraction: number, message?: string): void;
  log(message: string): void;
  seed: number;
  threads: number;
}

/** The summary of one distribution (a feature, the predictions or the outcomes) kept for drift checks. */
export interface DistributionSummary {
  name: string;
  count: number;
  missingFraction: number;
  mean: number;
  std: number;
  /** The 9 inner decile edges of the non-missing values: PSI bins are (-∞,e1), [e1,e2), …, [e9,∞). */
  edges: number[];
  /** The 10 bin proportions of the reference itself under those edges. */
  proportions: number[];
  /** Quantiles at 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99. */
  quantiles: number[];
  /** A bounded, seeded random sample of the non-missing values (for KS). */
  sample: number[];
}

/** What a version was trained on, stored with it so that no drift check recomputes it. */
export interface ReferenceSummary {
  rows: number;
  features: DistributionSummary[];
  /** The model's own outputs on its validation rows. */
  predictions?: DistributionSummary;
  /** The targets of its validation rows. */
  outcomes?: DistributionSummary;
}

export interface TrainedModel {
  artifact: ModelArtifact;
  /** Validation metrics (rmse, mae, r2, directional_accuracy; logloss, auc, accuracy; …). */
  metrics: Record<string, number>;
  /** Gain importance by feature name, where the family has it. */
  featureImportance?: Record<string, number>;
  reference?: ReferenceSummary;
}

export interface ImportMeta {
  featureNames: string[];
}

export interface Predictor {
  readonly signature: ModelSignature;
  /**
   * Scores `rows` rows of `batch` (rows × signature.inputWidth, row-major) and returns
   * rows × signature.outputs.length values. A row the model could not score is NaN in every output,
   * rather than a guess.
   */
  predict(batch: Float32Array, rows: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export type SearchSpace<P> = {
  [K in keyof P]?:
    | { type: 'int'; min: number; max: number; log?: boolean }
    | { type: 'float'; min: number; max: number; log?: boolean }
    | { type: 'choice'; values: P[K][] };
};

export interface ModelFamily<P = unknown> {
  /** 'xgboost', 'lightgbm', 'nhits', 'patchtst', 'rl_meta_strategy', 'rl_position_sizing' */
  id: string;
  kind: FamilyKind;
  description: string;
  /** Validates and defaults hyperparameters; an invalid field is refused with its name. */
  hyperparameters: ZodType<P>;
  searchSpace?: SearchSpace<P>;
  /** Formats `importArtifact` reads, e.g. ['xgboost-json']. */
  importFormats?: string[];
  train(data: TrainingSet, params: P, ctx: TrainContext): Promise<TrainedModel>;
  /** Continues from `previous` on new data (incremental learning). */
  update?(previous: ModelArtifact, data: TrainingSet, params: P, ctx: TrainContext): Promise<TrainedModel>;
  importArtifact?(files: ArtifactFiles, format: string, meta: ImportMeta): Promise<TrainedModel>;
  load(artifact: ModelArtifact): Promise<Predictor>;
}
