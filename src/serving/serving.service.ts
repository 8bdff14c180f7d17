/**
 * Prediction serving. For each registered model it serves, it holds the ACTIVE version's predictor
 * and — where policy.shadow_scoring.where is 'api' — every SHADOW version's, loaded once per version
 * on the model's first request (artifacts checked against their SHA-256 on load). Concurrent
 * `predict` calls on one model share a session run (MicroBatcher); their answers then join the
 * prediction log's group commit (PredictionLog: the rows that arrive together are written in one
 * transaction, each call answered after that commit), so the next session run need not wait for the
 * last one's write. `predictBatch` scores its rows in one session run and writes them in one
 * statement.
 *
 * Shadows, where = 'api': they score the same rows off the answer's path: once the ACTIVE rows are
 * written, the request's rows join the model's shadow queue, which every SHADOW_WINDOW_MS scores all
 * queued rows with each shadow in turn and writes their predictions in one statement — so shadows cost
 * the answer neither a concurrent session run nor a database round trip of its own
 * (bench/predict-shadows.ts). While requests queue for the ACTIVE version (it answers them in shared
 * batches), the shadows score only a sample of them (policy.shadow_scoring.sample_rate_under_load), so
 * that a busy server spends on them a fraction of their work. Where = 'workers', this service loads no
 * shadow and queues nothing: the workers score every ACTIVE row from the predictions log
 * (shadow-scoring.service.ts). One `predictions` row is written per version per scored request.
 *
 * Sessions. After a promotion commits (or the policy changes), the served state is rebuilt and
 * swapped in one step, so a request sees either the old ACTIVE or the new one, never a mix; sessions
 * no state holds any more are disposed DISPOSE_DELAY_MS later (requests that began on the old state
 * finish on it). A model without a request for policy.serving.session_idle_seconds is unloaded and its
 * sessions disposed; its next request loads it again. A session is never disposed while a served
 * state or a load still running (not yet swapped in) holds it.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ModelVersionEntity } from '../entities/model-version.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ConflictError, InferenceError, InvalidInputError, KybernetError, ModelNotReadyError, quote } from '../lib/errors';
import { MicroBatcher } from '../lib/micro-batcher';
import { decodePackedRows } from './packed-rows';
import { encodeHistory, forecastRows } from './forecast-history';
import { randomUuids } from './random-uuids';
import type { Policy } from '../config/policy';
import type { ModelSignature, Predictor, SequenceShape } from '../plugins/contract';
import type { FamilyRegistry } from '../plugins';
import { SERVING_EVENT_TYPES, type KybernetEvent } from '../platform/events/event-types';
import {
  copyPredictions,
  insertShadowPredictions,
  PredictionLog,
  type ActivePredictionRecord,
  type PredictionBlock,
  type ShadowPredictionRecord,
} from './prediction-log';
import type { RegistryService } from '../registry/registry.service';

export interface PredictInput {
  model: string;
  /** null = missing. */
  features: (number | null)[];
  requestId?: string | null;
}

export interface PredictBatchInput {
  model: string;
  /** Either rows (null = missing) … */
  rows?: (number | null)[][] | null;
  /** … or the same packed: base64 of little-endian float32, row after row (serving/packed-rows.ts). */
  packedRows?: string | null;
  requestId?: string | null;
}

export interface ForecastInput {
  model: string;
  /** inputLength rows × input channels, oldest first. */
  history: (number | null)[][];
  /** The time of the history's last row (trading/forecast-outcomes fills the outcome from bars after it). */
  asOf?: Date | null;
  requestId?: string | null;
}

export interface ForecastBatchInput {
  model: string;
  histories: (number | null)[][][];
  /** One per history, as ForecastInput's. */
  asOf?: Date[] | null;
  requestId?: string | null;
}

/** A forecast: the logged prediction it is, with its outputs as horizon rows × targets. */
export interface ForecastResult extends PredictionResult {
  values: number[][];
  horizon: number;
  targets: string[];
}

export interface NamedValue {
  name: string;
  value: number | null;
}

export interface PredictionResult {
  id: string;
  requestId: string;
  value: number | null;
  outputs: NamedValue[];
  latencyMs: number;
  modelVersion: ModelVersionEntity;
  createdAt: Date;
}

/** One row's answer of a batch call: a view on the batch's outputs, whose named values are built only when a client asks for them. */
class BatchPrediction implements PredictionResult {
  constructor(
    readonly id: string,
    readonly requestId: string,
    private readonly batchOutputs: Float32Array,
    private readonly offset: number,
    private readonly names: readonly string[],
    readonly latencyMs: number,
    readonly modelVersion: ModelVersionEntity,
    readonly createdAt: Date,
  ) {}

  get value(): number | null {
    return nullIfNaN(this.batchOutputs[this.offset]);
  }

  get outputs(): NamedValue[] {
    return this.names.map((name, i) => ({ name, value: nullIfNaN(this.batchOutputs[this.offset + i]) }));
  }
}

interface LoadedVersion {
  version: ModelVersionEntity;
  predictor: Predictor;
}

interface ServedModel {
  model: RegisteredModelEntity;
  active: LoadedVersion;
  shadows: LoadedVersion[];
  /** Concurrent predict calls share a session run; their rows then join the log's group commit. */
  scorer: MicroBatcher<QueuedRow, ScoredRow>;
  /** Rows the ACTIVE version answered, waiting to be scored by the shadows (none without shadows here). */
  shadowQueue?: MicroBatcher<QueuedRow, void>;
}

/** Requests of a served model: running now, and when the last one ended (performance.now()). */
interface ModelUsage {
  inFlight: number;
  lastUsedAt: number;
}

interface QueuedRow {
  row: Float32Array;
  requestId: string;
  submittedAt: number;
}

/** A row the ACTIVE version scored: its outputs (signature order) and whether it shared its session run. */
interface ScoredRow {
  outputs: Float32Array;
  finishedAt: number;
  shared: boolean;
}

export const MAX_BATCH_ROWS = 10_000;
/** Histories of one forecastBatch call. */
export const MAX_FORECAST_WINDOWS = 1_000;
/** Rows of a batch call scored per session run, each part written while the next is scored. */
const BATCH_PART_ROWS = 2_000;
/** How long a replaced state's sessions stay open for the requests that began on it. */
const DISPOSE_DELAY_MS = 30_000;
/** Bounds of the pause between two looks for idle models (a quarter of the idle time between them). */
const IDLE_SWEEP_MIN_MS = 250;
const IDLE_SWEEP_MAX_MS = 60_000;
/** How long answered rows gather before the shadows score them together. */
const SHADOW_WINDOW_MS = 25;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Extension point, set by server/app.ts. `forecastsDidLog` runs after the ACTIVE rows of forecasts sent
 * with `asOf` are logged, before they are answered, with the version that answered and each forecast's
 * request id and asOf; awaited. A throw is logged, not answered: the forecasts are logged either way.
 */
export interface ServingHooks {
  forecastsDidLog?(version: ModelVersionEntity, forecasts: { requestId: string; asOf: Date }[]): Promise<void>;
}

export interface ServingOptions {
  batchWindowMs: number;
  batchMaxRows: number;
  /** The policy in force (PolicyService.current): its serving and shadow_scoring sections. */
  policy(): Promise<Pick<Policy, 'serving' | 'shadow_scoring'>>;
  /** DISPOSE_DELAY_MS unless given. */
  disposeDelayMs?: number;
  log?: (message: string) => void;
}

const nullIfNaN = (value: number): number | null => (Number.isNaN(value) ? null : value);

/** The shape of a served sequence model; any other model is refused, saying what to call instead. */
function sequenceShapeOf(served: ServedModel): SequenceShape {
  const shape = served.active.predictor.signature.sequence;
  if (!shape) {
    throw new InvalidInputError(
      `model "${served.model.name}" is a ${served.model.family} model, not a sequence model (nhits, patchtst); call predict for it`,
      { field: 'model' },
    );
  }
  return shape;
}

/** `answer` with its outputs as rows; the getters of a batch answer are read once here. */
function toForecast(answer: PredictionResult, shape: SequenceShape): ForecastResult {
  const outputs = answer.outputs.map((output) => (output.value === null ? NaN : output.value));
  return {
    id: answer.id,
    requestId: answer.requestId,
    value: answer.value,
    outputs: answer.outputs,
    latencyMs: answer.latencyMs,
    modelVersion: answer.modelVersion,
    createdAt: answer.createdAt,
    values: forecastRows(outputs, 0, shape),
    horizon: shape.horizon,
    targets: shape.targets,
  };
}

/** Encodes one request row, refusing what the model cannot take; `where` names the row in errors. */
export function encodeRow(
  values: (number | null)[],
  signature: ModelSignature,
  featureNames: string[],
  target: Float32Array,
  offset: number,
  where: string,
): void {
  if (values.length !== signature.inputWidth) {
    throw new InvalidInputError(
      `${where}: expects ${signature.inputWidth} features (${featureNames.join(', ')}), but got ${values.length}`,
      {
        field: 'features',
      },
    );
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined || Number.isNaN(value)) {
      if (!signature.allowsMissing) {
        throw new InvalidInputError(`${where}: feature "${featureNames[i]}" is missing, but this model does not accept missing values`, {
          field: 'features',
        });
      }
      target[offset + i] = NaN;
      continue;
    }
    if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
      throw new InvalidInputError(`${where}: feature "${featureNames[i]}" expects a finite float32, but got ${value}`, {
        field: 'features',
      });
    }
    target[offset + i] = value;
  }
}

/** Refuses packed rows (row after row in `values`) holding what the model cannot take, naming the first such value. */
export function checkPackedRows(values: Float32Array, signature: ModelSignature, featureNames: string[]): void {
  const width = signature.inputWidth;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value - value === 0) continue; // finite
    const where = `packedRows: row ${Math.floor(i / width)}, feature "${featureNames[i % width]}"`;
    if (value !== value) {
      if (signature.allowsMissing) continue;
      throw new InvalidInputError(`${where} is missing (NaN), but this model does not accept missing values`, { field: 'packedRows' });
    }
    throw new InvalidInputError(`${where} expects a finite float32, but got ${value}`, { field: 'packedRows' });
  }
}

const tooManyRows = (rows: number, field: string) =>
  new InvalidInputError(`expects at most ${MAX_BATCH_ROWS} rows per batch, but got ${rows}`, { field });

/** The rows of a batch call, row after row, from `rows` or `packedRows` (exactly one of them). */
export function batchRows(
  input: PredictBatchInput,
  signature: ModelSignature,
  featureNames: string[],
): { values: Float32Array; rows: number } {
  const width = signature.inputWidth;
  if ((input.rows == null) === (input.packedRows == null)) {
    throw new InvalidInputError(`expects rows or packedRows, but got ${input.rows == null ? 'neither' : 'both'}`, { field: 'rows' });
  }
  if (input.packedRows != null) {
    // Refused before decoding: base64 carries 3 bytes in 4 characters.
    const sentRows = Math.floor((input.packedRows.length * 3) / 4 / (4 * width));
    if (sentRows > MAX_BATCH_ROWS) throw tooManyRows(sentRows, 'packedRows');
    const packed = decodePackedRows(input.packedRows, width);
    checkPackedRows(packed.values, signature, featureNames);
    return packed;
  }
  const rows = input.rows!;
  if (rows.length === 0) throw new InvalidInputError('expects at least one row, but got none', { field: 'rows' });
  if (rows.length > MAX_BATCH_ROWS) throw tooManyRows(rows.length, 'rows');
  const values = new Float32Array(rows.length * width);
  rows.forEach((row, r) => encodeRow(row, signature, featureNames, values, r * width, `rows[${r}]`));
  return { values, rows: rows.length };
}

/**
 * The predictor of `version` from `cache` (by version id), loaded on first use: its artifacts read
 * and checked against their SHA-256, and handed to its family. A failed load leaves the cache, so the
 * next call tries again.
 */
export function cachedPredictor(
  cache: Map<string, Promise<Predictor>>,
  registry: RegistryService,
  families: FamilyRegistry,
  version: ModelVersionEntity,
): Promise<Predictor> {
  let predictor = cache.get(version.id);
  if (!predictor) {
    predictor = registry.loadArtifact(version).then((artifact) => families.get(version.family).load(artifact));
    cache.set(version.id, predictor);
    predictor.catch(() => {
      if (cache.get(version.id) === predictor) cache.delete(version.id);
    });
  }
  return predictor;
}

/**
 * Whether the shadows score request `requestId` at sampling rate `rate`: a fixed draw per request id (FNV-1a), so every shadow scores the
 * same requests.
 */
export function sampledForShadows(requestId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let hash = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) hash = Math.imul(hash ^ requestId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) / 0x1_0000_0000 < rate;
}

export class ServingService {
  private readonly served = new Map<string, Promise<ServedModel>>();
  private readonly predictors = new Map<string, Promise<Predictor>>();
  /**
   * The version ids each load prepares predictors of (added before each is prepared), by its promise:
   * what a served state holds, known synchronously even while it is loading.
   */
  private readonly holdings = new WeakMap<Promise<ServedModel>, ReadonlySet<string>>();
  /** The holdings of refreshes still loading: in use, though not yet in `served`. */
  private readonly refreshing = new Set<ReadonlySet<string>>();
  private readonly usage = new Map<string, ModelUsage>();
  private idleSweep?: NodeJS.Timeout;
  private closed = false;
  private readonly log: (message: string) => void;
  private readonly predictionLog: PredictionLog;
  private hooks: ServingHooks = {};

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly families: FamilyRegistry,
    private readonly options: ServingOptions,
  ) {
    this.log = options.log ?? ((message) => console.warn(message));
    this.predictionLog = new PredictionLog(dataSource);
  }

  setHooks(hooks: ServingHooks): void {
    this.hooks = hooks;
  }

  predict(input: PredictInput): Promise<PredictionResult> {
    return this.using(input.model, (served) => this.predictWith(served, input));
  }

  private predictWith(served: ServedModel, input: PredictInput): Promise<PredictionResult> {
    const { signature } = served.active.predictor;
    const row = new Float32Array(signature.inputWidth);
    encodeRow(input.features, signature, served.active.version.featureNames, row, 0, 'features');
    return this.answerRow(served, row, input.requestId);
  }

  /**
   * Forecasts with a sequence model: the history (inputLength rows × channels, oldest first) is one
   * row of the model, answered, logged and shadow-scored as `predict` does with a row of features.
   */
  forecast(input: ForecastInput): Promise<ForecastResult> {
    return this.using(input.model, async (served) => {
      const shape = sequenceShapeOf(served);
      const row = new Float32Array(served.active.predictor.signature.inputWidth);
      encodeHistory(input.history, shape, row, 0, 'history');
      const answer = await this.answerRow(served, row, input.requestId);
      await this.forecastsDidLog(served, [answer], input.asOf ? [input.asOf] : null);
      return toForecast(answer, shape);
    });
  }

  /** Forecasts of up to MAX_FORECAST_WINDOWS histories, logged in one COPY as predictBatch logs rows. */
  forecastBatch(input: ForecastBatchInput): Promise<ForecastResult[]> {
    return this.using(input.model, async (served) => {
      const shape = sequenceShapeOf(served);
      const { histories } = input;
      if (histories.length === 0) throw new InvalidInputError('expects at least one history, but got none', { field: 'histories' });
      if (histories.length > MAX_FORECAST_WINDOWS) {
        throw new InvalidInputError(`expects at most ${MAX_FORECAST_WINDOWS} histories per call, but got ${histories.length}`, {
          field: 'histories',
        });
      }
      if (input.asOf && input.asOf.length !== histories.length) {
        throw new InvalidInputError(`expects one asOf per history (${histories.length}), but got ${input.asOf.length}`, { field: 'asOf' });
      }
      const width = served.active.predictor.signature.inputWidth;
      const values = new Float32Array(histories.length * width);
      histories.forEach((history, w) => encodeHistory(history, shape, values, w * width, `histories[${w}]`));
      const answers = await this.answerRows(served, values, histories.length, input.requestId);
      await this.forecastsDidLog(served, answers, input.asOf);
      return answers.map((answer) => toForecast(answer, shape));
    });
  }

  /** Tells the hook of logged forecasts sent with asOf (one per answer). */
  private async forecastsDidLog(served: ServedModel, answers: PredictionResult[], asOf?: Date[] | null): Promise<void> {
    if (!asOf || !this.hooks.forecastsDidLog) return;
    try {
      await this.hooks.forecastsDidLog(
        served.active.version,
        answers.map((answer, i) => ({ requestId: answer.requestId, asOf: asOf[i] })),
      );
    } catch (error) {
      this.log(
        `serving: the forecasts of "${served.model.name}" were answered, but not recorded for their outcomes: ${(error as Error).message}`,
      );
    }
  }

  /** Answers one encoded row with the ACTIVE version, logs it and hands it to the shadows. */
  private async answerRow(served: ServedModel, row: Float32Array, requestId?: string | null): Promise<PredictionResult> {
    const queued = { row, requestId: requestId || randomUUID(), submittedAt: performance.now() };
    const scored = await served.scorer.submit(queued);
    const {
      results: [result],
      records: [record],
    } = this.answers(served, [queued], scored.outputs, scored.finishedAt);
    const logged = await this.predictionLog.append(record);
    if (!logged.written) throw this.requestIdTaken(served, queued.requestId);
    const busy = scored.shared || logged.groupRows > 1;
    if (
      served.shadowQueue &&
      sampledForShadows(queued.requestId, busy ? (await this.options.policy()).shadow_scoring.sample_rate_under_load : 1)
    )
      void served.shadowQueue.submit(queued);
    return result;
  }

  /**
   * Scores the rows and writes them in one COPY: all of them, or (CONFLICT, BAD_USER_INPUT) none. The
   * rows are scored in parts of BATCH_PART_ROWS, each sent to the COPY as soon as it is scored, so the
   * database inserts the first part while the session scores the next.
   */
  predictBatch(input: PredictBatchInput): Promise<PredictionResult[]> {
    return this.using(input.model, (served) => this.predictBatchWith(served, input));
  }

  private predictBatchWith(served: ServedModel, input: PredictBatchInput): Promise<PredictionResult[]> {
    const { values, rows } = batchRows(input, served.active.predictor.signature, served.active.version.featureNames);
    return this.answerRows(served, values, rows, input.requestId);
  }

  /** Scores encoded rows (row after row in `values`) and logs them; row r's request id is "{requestId}:{r}". */
  private async answerRows(
    served: ServedModel,
    values: Float32Array,
    rows: number,
    requestId?: string | null,
  ): Promise<PredictionResult[]> {
    const { active, model } = served;
    const { signature } = active.predictor;
    const submittedAt = performance.now();
    const width = signature.inputWidth;
    const stride = signature.outputs.length;
    const ids = randomUuids(rows);
    const baseRequestId = requestId || randomUUID();
    const requestIds = Array.from({ length: rows }, (_, r) => `${baseRequestId}:${r}`);
    const outputs = new Float32Array(rows * stride);
    const latencies: number[] = [];
    const score = (from: number, count: number) => this.score(served, values.subarray(from * width, (from + count) * width), count);
    async function* scoredParts(): AsyncGenerator<PredictionBlock> {
      for (let from = 0; from < rows; from += BATCH_PART_ROWS) {
        const count = Math.min(BATCH_PART_ROWS, rows - from);
        const part = await score(from, count);
        outputs.set(part, from * stride);
        const latencyMs = performance.now() - submittedAt;
        latencies.push(latencyMs);
        yield {
          registeredModelId: model.id,
          modelVersionId: active.version.id,
          role: 'ACTIVE',
          rows: count,
          idBytes: ids.bytes.subarray(16 * from, 16 * (from + count)),
          requestIds: requestIds.slice(from, from + count),
          features: values.subarray(from * width, (from + count) * width),
          featureWidth: width,
          outputs: part,
          outputWidth: stride,
          latencyMs,
        };
      }
    }
    await copyPredictions(this.dataSource, scoredParts());
    const { shadowQueue } = served;
    if (shadowQueue)
      for (let r = 0; r < rows; r++)
        void shadowQueue.submit({ row: values.subarray(r * width, (r + 1) * width), requestId: requestIds[r], submittedAt });
    const createdAt = new Date();
    return ids.ids.map(
      (id, r) =>
        new BatchPrediction(
          id,
          requestIds[r],
          outputs,
          r * stride,
          signature.outputs,
          latencies[Math.floor(r / BATCH_PART_ROWS)],
          active.version,
          createdAt,
        ),
    );
  }

  /** Loads (and caches) the predictor of `version`, checking its artifacts: the promotion pre-flight. */
  prepareVersion(version: ModelVersionEntity): Promise<Predictor> {
    return cachedPredictor(this.predictors, this.registry, this.families, version);
  }

  /**
   * Rebuilds a served model from the database and swaps it in; the previous state serves until then.
   * A model unloaded meanwhile (idle) stays unloaded.
   */
  async refresh(modelName: string): Promise<void> {
    if (!this.served.has(modelName)) return;
    const holding = new Set<string>();
    this.refreshing.add(holding);
    try {
      const next = this.load(modelName, holding);
      this.holdings.set(next, holding);
      await next;
      if (this.served.has(modelName)) this.served.set(modelName, next);
    } catch (error) {
      if (error instanceof ModelNotReadyError) this.served.delete(modelName);
      else this.log(`serving: kept the previous state of "${modelName}": ${(error as Error).message}`);
    } finally {
      // Only now: `served` holds the new state (synchronously after its load settled), so no pass can find its sessions unheld.
      this.refreshing.delete(holding);
    }
    setTimeout(() => this.disposeUnused(), this.options.disposeDelayMs ?? DISPOSE_DELAY_MS).unref();
  }

  /**
   * Event-stream listener: reloads a served model when its versions change anywhere, and every served model when the policy changes (where
   * shadows score).
   */
  readonly onEvent = (event: KybernetEvent): void => {
    if (event.type === 'policy.updated') for (const name of this.served.keys()) void this.refresh(name);
    else if (event.modelName && SERVING_EVENT_TYPES.includes(event.type)) void this.refresh(event.modelName);
  };

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleSweep);
    const predictors = await Promise.allSettled([...this.predictors.values()]);
    this.predictors.clear();
    this.served.clear();
    await Promise.all(predictors.map((result) => (result.status === 'fulfilled' ? result.value.dispose() : undefined)));
  }

  /** Runs `work` on the served state of model `name` (loading it on first use), counted as a request of the model while it runs. */
  private async using<T>(name: string, work: (served: ServedModel) => Promise<T>): Promise<T> {
    let usage = this.usage.get(name);
    if (!usage) this.usage.set(name, (usage = { inFlight: 0, lastUsedAt: performance.now() }));
    usage.inFlight++;
    try {
      return await work(await this.servedModel(name));
    } finally {
      usage.inFlight--;
      usage.lastUsedAt = performance.now();
      if (usage.inFlight === 0 && !this.served.has(name)) this.usage.delete(name);
    }
  }

  private servedModel(name: string): Promise<ServedModel> {
    let served = this.served.get(name);
    if (!served) {
      const holding = new Set<string>();
      const loading = this.load(name, holding);
      this.holdings.set(loading, holding);
      this.served.set(name, loading);
      loading.catch(() => {
        if (this.served.get(name) === loading) this.served.delete(name);
      });
      this.scheduleIdleSweep();
      served = loading;
    }
    return served;
  }

  /** Loads the served state of model `name`, adding to `holding` each version id before preparing its predictor. */
  private async load(name: string, holding: Set<string>): Promise<ServedModel> {
    const model = await this.registry.getRegisteredModel(name);
    const versions = await this.dataSource.getRepository(ModelVersionEntity).find({
      where: [
        { registeredModelId: model.id, status: 'ACTIVE' },
        { registeredModelId: model.id, status: 'SHADOW' },
      ],
      order: { version: 'ASC' },
    });
    const activeVersion = versions.find((version) => version.status === 'ACTIVE');
    if (!activeVersion)
      throw new ModelNotReadyError(`model "${name}" has no ACTIVE version; promote one with promoteModel`, { field: 'model' });
    let activePredictor: Predictor;
    try {
      holding.add(activeVersion.id);
      activePredictor = await this.prepareVersion(activeVersion);
    } catch (error) {
      if (error instanceof KybernetError && error.code !== 'INTERNAL_SERVER_ERROR') throw error;
      throw new ModelNotReadyError(
        `the ACTIVE version ${activeVersion.version} of "${name}" cannot be loaded: ${(error as Error).message}`,
      );
    }
    const shadows: LoadedVersion[] = [];
    const shadowsScoreHere = (await this.options.policy()).shadow_scoring.where === 'api';
    for (const version of versions.filter((candidate) => shadowsScoreHere && candidate.status === 'SHADOW')) {
      try {
        holding.add(version.id);
        shadows.push({ version, predictor: await this.prepareVersion(version) });
      } catch (error) {
        this.log(`serving: shadow version ${version.version} of "${name}" not loaded: ${(error as Error).message}`);
      }
    }
    const served: ServedModel = {
      model,
      active: { version: activeVersion, predictor: activePredictor },
      shadows,
      scorer: new MicroBatcher((rows) => this.scoreShared(served, rows), {
        maxItems: this.options.batchMaxRows,
        windowMs: this.options.batchWindowMs,
      }),
      shadowQueue:
        shadows.length > 0
          ? new MicroBatcher((rows) => this.runShadows(served, rows), { maxItems: MAX_BATCH_ROWS, windowMs: SHADOW_WINDOW_MS })
          : undefined,
    };
    return served;
  }

  /** Scores `rows` rows (row after row in `batch`) with the ACTIVE version in one session run: their outputs, row after row. */
  private async score(served: ServedModel, batch: Float32Array, rows: number): Promise<Float32Array> {
    const { active, model } = served;
    try {
      return await active.predictor.predict(batch, rows);
    } catch (error) {
      throw error instanceof KybernetError
        ? error
        : new InferenceError(`version ${active.version.version} of "${model.name}" failed to predict: ${(error as Error).message}`);
    }
  }

  /** The scorer's run: one session run for the predict calls that queued together. */
  private async scoreShared(served: ServedModel, rows: QueuedRow[]): Promise<ScoredRow[]> {
    const width = served.active.predictor.signature.inputWidth;
    const batch = new Float32Array(rows.length * width);
    rows.forEach((queued, r) => batch.set(queued.row, r * width));
    const outputs = await this.score(served, batch, rows.length);
    const finishedAt = performance.now();
    const stride = served.active.predictor.signature.outputs.length;
    return rows.map((_, r) => ({ outputs: outputs.subarray(r * stride, (r + 1) * stride), finishedAt, shared: rows.length > 1 }));
  }

  /** The answers to scored `rows` (`outputs` row after row) and the log records that store them. */
  private answers(
    served: ServedModel,
    rows: QueuedRow[],
    outputs: Float32Array,
    finishedAt: number,
  ): { results: PredictionResult[]; records: ActivePredictionRecord[] } {
    const { active, model } = served;
    const names = active.predictor.signature.outputs;
    const createdAt = new Date();
    const results = rows.map((queued, r): PredictionResult => {
      const values = Array.from(outputs.subarray(r * names.length, (r + 1) * names.length));
      return {
        id: randomUUID(),
        requestId: queued.requestId,
        value: Number.isNaN(values[0]) ? null : values[0],
        outputs: names.map((name, i) => ({ name, value: Number.isNaN(values[i]) ? null : values[i] })),
        latencyMs: finishedAt - queued.submittedAt,
        modelVersion: active.version,
        createdAt,
      };
    });
    const records = results.map((result, r) => ({
      id: result.id,
      registeredModelId: model.id,
      modelVersionId: active.version.id,
      requestId: result.requestId,
      features: rows[r].row,
      outputs: outputs.subarray(r * names.length, (r + 1) * names.length),
      value: result.value,
      latencyMs: result.latencyMs,
    }));
    return { results, records };
  }

  private requestIdTaken(served: ServedModel, requestId: string): ConflictError {
    return new ConflictError(
      `a prediction of "${served.model.name}" with requestId ${quote(requestId)} already exists; a request id names one request, so send a new one`,
      {
        field: 'requestId',
      },
    );
  }

  /**
   * Scores queued rows with every shadow, one after the other, and writes all their predictions at once. A failing shadow is logged and
   * skipped.
   */
  private async runShadows(served: ServedModel, rows: QueuedRow[]): Promise<void[]> {
    const { model, shadows } = served;
    const width = served.active.predictor.signature.inputWidth;
    const batch = new Float32Array(rows.length * width);
    rows.forEach((queued, r) => batch.set(queued.row, r * width));
    const records: ShadowPredictionRecord[] = [];
    for (const shadow of shadows) {
      try {
        const started = performance.now();
        const outputs = await shadow.predictor.predict(batch, rows.length);
        const latencyMs = performance.now() - started;
        const stride = shadow.predictor.signature.outputs.length;
        rows.forEach((queued, r) =>
          records.push({
            id: randomUUID(),
            registeredModelId: model.id,
            modelVersionId: shadow.version.id,
            requestId: queued.requestId,
            outputs: outputs.subarray(r * stride, (r + 1) * stride),
            value: outputs[r * stride],
            latencyMs,
          }),
        );
      } catch (error) {
        this.log(`serving: shadow version ${shadow.version.version} of "${model.name}" failed: ${(error as Error).message}`);
      }
    }
    await insertShadowPredictions(this.dataSource, served.active.version.id, records).catch((error) =>
      this.log(`serving: shadow predictions of "${model.name}" not written: ${(error as Error).message}`),
    );
    return rows.map(() => undefined);
  }

  /**
   * Disposes the sessions that neither a served state nor a refresh still loading holds (of
   * `candidates` only, when given). Synchronous, so that no load can settle and swap in between the
   * look at what is held and the disposal.
   */
  private disposeUnused(candidates?: ReadonlySet<string>): void {
    const inUse = new Set<string>();
    for (const served of this.served.values()) for (const versionId of this.holdings.get(served) ?? []) inUse.add(versionId);
    for (const holding of this.refreshing) for (const versionId of holding) inUse.add(versionId);
    for (const [versionId, predictor] of this.predictors) {
      if (inUse.has(versionId) || (candidates && !candidates.has(versionId))) continue;
      this.predictors.delete(versionId);
      void predictor.then((loaded) => loaded.dispose()).catch(() => undefined);
    }
  }

  /** Looks for idle models every quarter of the idle time (within bounds), while any model is served. */
  private scheduleIdleSweep(): void {
    if (this.idleSweep || this.closed) return;
    void this.options.policy().then(
      (policy) => {
        if (this.idleSweep || this.closed) return;
        const pauseMs = Math.min(IDLE_SWEEP_MAX_MS, Math.max(IDLE_SWEEP_MIN_MS, (policy.serving.session_idle_seconds * 1000) / 4));
        this.idleSweep = setTimeout(() => {
          this.idleSweep = undefined;
          void this.unloadIdle().then(
            () => this.served.size > 0 && this.scheduleIdleSweep(),
            (error) => {
              this.log(`serving: the look for idle models failed: ${(error as Error).message}`);
              this.scheduleIdleSweep();
            },
          );
        }, pauseMs).unref();
      },
      (error) => this.log(`serving: no look for idle models: ${(error as Error).message}`),
    );
  }

  /**
   * Unloads the models that had no request for policy.serving.session_idle_seconds, disposing their sessions at once (no request runs on
   * them).
   */
  private async unloadIdle(): Promise<void> {
    const idleSeconds = (await this.options.policy()).serving.session_idle_seconds;
    const now = performance.now();
    const released = new Set<string>();
    for (const [name, served] of this.served) {
      const usage = this.usage.get(name);
      if (usage && (usage.inFlight > 0 || now - usage.lastUsedAt < idleSeconds * 1000)) continue;
      this.served.delete(name);
      this.usage.delete(name);
      for (const versionId of this.holdings.get(served) ?? []) released.add(versionId);
      this.log(`serving: unloaded "${name}" after ${idleSeconds} s without a request`);
    }
    if (released.size > 0) this.disposeUnused(released);
  }
}
