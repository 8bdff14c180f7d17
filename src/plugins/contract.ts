/**
 * The one contract every model family implements. A family may import only this file, plugins/onnx/
 * and lib/ — never the database or services — so that it can live in its own npm package and be
 * loaded by name from KYBERNET_PLUGINS (see plugins/index.ts).
 *
 * Families are written in three layers: this contract; a base per kind (plugins/base/) that owns
 * splitting, ordering, scaling, validation and the reference summary; and a leaf family that only
 * calls its library.
 *
 * Where a family runs. Its module is loaded in the main thread of every process (where requests are
 * validated, imports read, versions served and compared, and — where jobs are worked — shadows scored
 * and retrainings judged) and once more in every training thread (learning/training-thread.ts), each
 * with module state of its own: nothing a family keeps in its module is shared between them. Training threads
 * are kept between jobs (learning/training-runner.ts: at most two idle); a thread runs one `train`
 * or `update` at a time, several threads may train at once in one process (one per running job), and
 * they share the process's native libraries.
 *
 * The life of a model, in order:
 *   1. `hyperparameters` parses a request's parameters (main thread) — stored as parsed, then handed on;
 *   2. `train` (or `update`, or `importArtifact`) makes a TrainedModel — stored as a version's artifact;
 *   3. `load` makes a Predictor from a stored artifact, in any process, any number of times;
 *   4. `predict` on it, any number of times, concurrently;
 *   5. `dispose`, once, after which the Predictor is never called again.
 *
 * What throwing means. A KybernetError (lib/errors) keeps its code, message, details and reason on its
 * way to whoever asked — the GraphQL caller, or the job (BAD_USER_INPUT fails a job without a retry).
 * Any other error reaches a GraphQL caller as INTERNAL_SERVER_ERROR (logged with its stack) and fails
 * a job's attempt with its message, retried while the job's retry limit allows. Each method below says
 * which of the two it reaches.
 */
import type { ZodType } from 'zod';

export type FamilyKind = 'tabular' | 'sequence' | 'policy';

/** Artifact files by relative path, e.g. `model.json`, `model.onnx`. */
export type ArtifactFiles = Record<string, Uint8Array>;

/** 'forecast': a sequence model's answer is H steps × targets of a multivariate series. */
export type ModelTask = 'regression' | 'binary' | 'policy' | 'forecast';

/**
 * The shape of a sequence model. A request row is one window of `inputLength` time steps × the
 * `inputChannels`, time-major and oldest first (the value of channel c at step t is at t·C + c), so
 * that `inputWidth` = inputLength · C; the answer is `horizon` steps × `targets`, step-major (the
 * value of target k at step h, 1-based, is at (h − 1)·K + k, named `${target}@${h}`). The ONNX graph
 * behind it takes one float32 input [N, inputLength, C] and gives `output` as [N, horizon, K], both
 * on the original scale of the series (any scaling is inside the graph).
 */
export interface SequenceShape {
  inputLength: number;
  horizon: number;
  inputChannels: string[];
  targets: string[];
  /** The graph output holding the forecast. */
  output: string;
}

export interface ModelSignature {
  task: ModelTask;
  /** Features per row; a request with another width is refused before it reaches the predictor. */
  inputWidth: number;
  /** Output names, in order. `outputs[0]` is the value a prediction answers with (for a policy: one per action). */
  outputs: string[];
  /** Whether NaN ("missing") is a legal feature value for this model. ±Inf never is. */
  allowsMissing: boolean;
  /** Present for a sequence model (task 'forecast'): how its rows and outputs are laid out. */
  sequence?: SequenceShape;
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

/**
 * A multivariate time series for a sequence family: T time steps × the channels, time-ordered (earliest
 * first), with where training, validation and test rows end. Windows (inputLength rows in, horizon rows
 * out) are cut by the sequence base at training time, never stored expanded. A window belongs to the
 * split its forecast rows fall in; its input rows may reach back into the split before (as in the
 * standard ETT protocol), so a validation window never forecasts a training row.
 */
export interface SequenceTrainingSet {
  kind: 'sequence';
  /** Every channel of `values`, in column order. */
  channels: string[];
  /** steps × channels.length, row-major (time-major); finite values only. */
  values: Float32Array;
  /** Epoch milliseconds of each step, ascending. */
  timestamps: Float64Array;
  steps: number;
  /** The channels a window shows the model (a subset of `channels`, in this order). */
  inputChannels: string[];
  /** The channels it forecasts (a subset of `channels`, in this order). */
  targets: string[];
  inputLength: number;
  horizon: number;
  /** Rows [0, trainEnd) train, [trainEnd, validationEnd) validate, [validationEnd, steps) test (may be empty). */
  trainEnd: number;
  validationEnd: number;
}

export type TrainingSet = TabularTrainingSet | PolicyTrainingSet | SequenceTrainingSet;

/** What `train` and `update` get besides their data, in the training thread. */
export interface TrainContext {
  /**
   * Aborted when the job is cancelled or exceeds its time limit (its reason says which). A family
   * stops at the next round and throws — whatever it throws then is taken as the abort. A family that
   * does not answer within 5 s (stuck in a native call) has its thread terminated; one that returns a
   * model instead has it registered as if no abort had come.
   */
  signal: AbortSignal;
  /**
   * fraction in [0, 1] (clamped); call it at most once per round/epoch. It reaches the job's progress
   * and `job.progress` events, which are throttled (a row write every 0.5 s, an event every 1 s).
   */
  progress(fraction: number, message?: string): void;
  /** A line of the job's log (the worker process's log, prefixed with the job id). */
  log(message: string): void;
  /** The hyperparameters' `seed` when they have one, else 0. */
  seed: number;
  /** Threads the family may use (KYBERNET_TRAIN_THREADS), within this one training thread. */
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
  /**
   * The artifact was refit on every row, the held-out ones too (refit_on_all_rows): no row is left that
   * it did not learn, so the gate before SHADOW cannot judge it and the shadow tester judges it live.
   */
  learnedHeldOutRows?: boolean;
}

export interface ImportMeta {
  featureNames: string[];
  /** Declared by the importer of a sequence model; checked against the graph's input and output shapes. */
  sequence?: Omit<SequenceShape, 'output'>;
}

/** Whether a family can train on this machine; serving its stored versions needs only ONNX Runtime. */
export interface FamilyAvailability {
  available: boolean;
  /** Why not, and the command that fixes it. */
  reason?: string;
}

/**
 * A loaded model. It lives in the main thread of the process that loaded it, for as long as that
 * process serves its version (see ModelFamily.load for when it is disposed).
 */
export interface Predictor {
  /** Read on every request (the width and missing values a request must have, the outputs' names). */
  readonly signature: ModelSignature;
  /**
   * Scores `rows` rows of `batch` (rows × signature.inputWidth, row-major) and returns
   * rows × signature.outputs.length values. A row the model could not score is NaN in every output,
   * rather than a guess.
   *
   * When: for the requests of its version (predict calls queued together share one call; a
   * predictBatch call makes one per 2,000 rows), for shadow scoring (the rows of many requests at
   * once) and for compareVersions — on the process's main thread, so a call that computes
   * synchronously holds up every request of the process meanwhile.
   *
   * Concurrency: calls may overlap on one Predictor — a predictBatch call scores while queued predict
   * calls score, and compareVersions or other predictBatch calls may join — so `predict` keeps no
   * per-call state on the Predictor, or serialises its calls itself (ONNX Runtime sessions take
   * overlapping runs).
   *
   * `batch` may be a view into a larger buffer (mind byteOffset), is read-only (the same rows are
   * logged and scored by the shadows), and is not to be kept after the call. Returns a new array each
   * call: callers keep views of it (the rows they log) after it resolves.
   *
   * Throws: a KybernetError reaches the request as it is (InvalidInputError for a value the model
   * cannot take, say); any other error reaches it as INFERENCE_FAILED (INTERNAL_SERVER_ERROR) naming
   * the version. A call that throws for rows of several queued requests is repeated for each request
   * alone, so that only the requests whose rows cause the error get it: `predict` must be safe to
   * repeat. A shadow's throw is logged: in the API that shadow leaves those rows unscored; on the
   * workers its batch is tried again later.
   */
  predict(batch: Float32Array, rows: number): Promise<Float32Array>;
  /**
   * Releases what `load` took (sessions, native memory). Called once, when its holder is done with it
   * (see ModelFamily.load): an idle model is unloaded only with no request in flight, and a replaced
   * state's predictors are disposed DISPOSE_DELAY_MS (30 s) later, for the requests that began on it.
   * A throw is ignored where serving or shadow scoring release a predictor; where a one-off use
   * disposes (an import, a retraining's scoring, the tabular base) it fails what was being done.
   */
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
  /**
   * Validates and defaults hyperparameters; an invalid field is refused with its name.
   *
   * When: on the main thread, when a request names hyperparameters (trainModel, before anything is
   * queued: a refusal is the caller's BAD_USER_INPUT naming `hyperparameters.<field>`), when a job
   * retrains from a version's stored hyperparameters (parsed again: parsing what it parsed must give
   * the same), and for each tuning trial; `families` shows its JSON Schema. The parsed value is stored
   * as JSON (the job's payload, the version's hyperparameters) and handed to `train` / `update` in the
   * training thread: it must survive JSON (no Dates, Maps, functions).
   */
  hyperparameters: ZodType<P>;
  /** What tuneModel samples (main thread); each sample, merged over the ACTIVE version's parameters, is parsed by `hyperparameters`. */
  searchSpace?: SearchSpace<P>;
  /**
   * Whether `train` and `update` can run here (a family that needs an outside engine, such as PyTorch,
   * says what is missing); absent means always. Asked on the main thread (`families`, and before a
   * training is queued); cheap after its first call.
   */
  availability?(): FamilyAvailability;
  /** Formats `importArtifact` reads, e.g. ['xgboost-json']. */
  importFormats?: string[];
  /**
   * Trains a model on `data` (time-ordered, earliest first) with `params` as `hyperparameters` parsed them.
   *
   * When: in a job (TRAIN, FULL, PARTIAL; each TUNING trial and its final training), in a training
   * thread, never two at once in one thread. A tabular set's buffers were moved to the thread: they are
   * the family's. The returned artifact is stored (every file checked by its SHA-256 from then on) and
   * registered as a SHADOW version (tuning trials are scored and dropped); the artifact's file buffers
   * are moved to the main thread, so each file has a buffer of its own that the family keeps no
   * reference to.
   *
   * Returns the model with validation metrics on a held-out, time-ordered tail (the shadow tester and
   * the learning events compare versions by them) and, for drift checks, the reference summary.
   *
   * Throws: the job's attempt fails and its TRAINING version with it. A KybernetError keeps its code
   * across the thread (BAD_USER_INPUT: the job fails without a retry — use it for data or parameters
   * that will never train); any other error keeps only its message and the attempt is retried while
   * the job's retry limit allows. After `ctx.signal` aborted, any throw is the abort.
   */
  train(data: TrainingSet, params: P, ctx: TrainContext): Promise<TrainedModel>;
  /**
   * Continues from `previous` on new data (incremental learning): an INCREMENTAL job, with `previous`
   * the ACTIVE version's artifact as stored (read and checked), `data` the new rows (by default those
   * after the ones it was trained on), and `params` the ACTIVE version's hyperparameters. Where,
   * returns and throws as `train`. Without it, INCREMENTAL refuses the family's models.
   */
  update?(previous: ModelArtifact, data: TrainingSet, params: P, ctx: TrainContext): Promise<TrainedModel>;
  /**
   * Reads a model trained elsewhere (`format` one of `importFormats`). When: importModel, on the main
   * thread of the process that answers the request, in the request; the result is then `load`ed and
   * disposed once (what serving could not load is refused now) and registered as a SHADOW version.
   * Throws: the import is refused with the error (a KybernetError as it is: BAD_USER_INPUT for files
   * that are no model of the format).
   */
  importArtifact?(files: ArtifactFiles, format: string, meta: ImportMeta): Promise<TrainedModel>;
  /**
   * Makes a Predictor from a stored artifact (its files already checked against their SHA-256).
   *
   * When, and how long it lives: serving loads a version's predictor on its model's first request
   * (or when it is about to be promoted: a failed load stops the promotion) and keeps it, one per
   * version and process (serving/serving.service.ts cachedPredictor); a failed load is not kept, the
   * next request tries again. It is disposed when no served state holds it any more: DISPOSE_DELAY_MS
   * (30 s) after its version left service or was replaced (the requests begun on the old state end on
   * it), at once when its model had no request for policy.serving.session_idle_seconds, and when the
   * process stops. The workers' shadow scoring keeps its own (disposed once its version is no longer
   * SHADOW); some uses load, predict and dispose at once (an import; a retraining scoring the ACTIVE
   * version on the new version's validation rows; the tabular base scoring its validation tail inside
   * `train`, in the training thread). So one artifact may be loaded several times in one process, and
   * a Predictor may live for days: `load` takes no more than the Predictor needs.
   *
   * Throws: serving answers the request with the error when it is a KybernetError of a request's kind
   * (BAD_USER_INPUT, NOT_FOUND, CONFLICT, …), otherwise with MODEL_NOT_READY (CONFLICT) saying the
   * ACTIVE version cannot be loaded; a shadow that cannot be loaded is logged and left out.
   */
  load(artifact: ModelArtifact): Promise<Predictor>;
}
