/**
 * Shadow scoring on the workers (policy.shadow_scoring.where = 'workers'; ARCHITECTURE.md flow 1):
 * every ACTIVE prediction of a model is scored by each of its SHADOW versions from the predictions
 * log, in batches, on the processes that work jobs — so API replicas load no shadow session and spend
 * nothing on shadows, and the shadow tester sees every request rather than a sample.
 *
 * Per SHADOW version, a cursor row (`shadow_scoring_cursors`, created at the time the version became
 * SHADOW) says through which (created_at, id) of the model's ACTIVE predictions it has been scored.
 * A batch: claim the cursor row (FOR UPDATE SKIP LOCKED: one worker scores a version at a time, and
 * another moves on to the next version), read up to BATCH_ROWS ACTIVE rows after it, score them with
 * the version's predictor, write the SHADOW rows (insertShadowPredictions, which skips a request the
 * version already answered) and move the cursor — one transaction, so no row is scored twice and
 * none is skipped. Each pass takes a batch of every SHADOW version; the next pass follows after
 * BUSY_POLL_MS when a pass found rows, else after IDLE_POLL_MS. A failing version is logged and left
 * alone for FAILURE_RETRY_MS; the others go on.
 *
 * Predictors are loaded on a version's first batch and disposed once it is no longer SHADOW (or when
 * the policy moves shadow scoring to the API).
 */
import type { PoolClient } from 'pg';
import { In, type DataSource } from 'typeorm';
import type { Policy } from '../config/policy';
import { decodeFloatArray } from '../db/float-array';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { randomUuids } from '../serving/random-uuids';
import type { Predictor } from '../plugins/contract';
import type { FamilyRegistry } from '../plugins';
import { insertShadowPredictions, type ShadowPredictionRecord } from '../serving/prediction-log';
import type { RegistryService } from '../registry/registry.service';
import { cachedPredictor } from '../serving/serving.service';

/**
 * Extension point. `shadowPredictionsDidCommit` runs after a batch committed that scored requests
 * whose outcomes are already recorded — the shadow tester has new pairs to judge (outcomes recorded
 * later signal it themselves). A throw is logged.
 */
export interface ShadowScoringHooks {
  shadowPredictionsDidCommit?(registeredModelId: string): void;
}

export interface ShadowScoringOptions {
  /** The policy in force (PolicyService.current): its shadow_scoring section. */
  policy(): Promise<Pick<Policy, 'shadow_scoring'>>;
  log: (message: string) => void;
}

/** ACTIVE rows a version scores per transaction. */
const BATCH_ROWS = 5_000;
/**
 * Only rows at least this old are read. A row's created_at is its transaction's start, so rows can
 * commit out of created_at order: a predictBatch's COPY that started first may commit after a later
 * group commit. Had the cursor passed such a row before it committed, the row would never be scored;
 * no write of the log takes this long, so by then every row of that age has committed.
 */
const SAFETY_LAG_SECONDS = 5;
const BUSY_POLL_MS = 200;
const IDLE_POLL_MS = 2_000;
const FAILURE_RETRY_MS = 30_000;
/** The smallest uuid: a new cursor stands before every row created at its time. */
const BEFORE_EVERY_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The next ACTIVE rows after a cursor, in log order: a range scan of predictions_model_created from the
 * cursor's time (the explicit `created_at >=` makes it one: the row comparison alone is not an index
 * condition, and without it every row after the cursor was read and sorted, 2.3 s for a cursor 650,000
 * rows behind) with an incremental sort by id within equal times, stopping at the LIMIT. The cursor
 * comes as parameters (timestamps as text, to the microsecond), not by a join, for the same reason.
 */
const READ_BATCH = `
  SELECT model_version_id AS active_version_id, id, created_at::text AS created_at, request_id, array_send(features) AS features
  FROM predictions
  WHERE registered_model_id = $1 AND role = 'ACTIVE'
    AND created_at >= $2::timestamptz AND (created_at, id) > ($2::timestamptz, $3::uuid)
    AND created_at < now() - make_interval(secs => $5)
  ORDER BY created_at, id
  LIMIT $4`;

interface Cursor {
  registered_model_id: string;
  scored_through_at: string;
  scored_through_id: string;
}

interface LogRow {
  active_version_id: string;
  id: string;
  /** To the microsecond (a Date would keep milliseconds). */
  created_at: string;
  request_id: string;
  features: Buffer;
}

export class ShadowScoringService {
  private readonly predictors = new Map<string, Promise<Predictor>>();
  /** Versions whose cursor row this process knows to exist. */
  private readonly cursors = new Set<string>();
  /** Versions that failed, by when (Date.now()) they are tried again. */
  private readonly retryAt = new Map<string, number>();
  private hooks: ShadowScoringHooks = {};
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private started = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly families: FamilyRegistry,
    private readonly options: ShadowScoringOptions,
  ) {}

  setHooks(hooks: ShadowScoringHooks): void {
    this.hooks = hooks;
  }

  /** Polls until stop(): a pass at once, then after BUSY_POLL_MS or IDLE_POLL_MS. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops polling: the running pass ends after its current batch; then every predictor is disposed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
    this.disposeAllBut(new Set());
  }

  /**
   * One pass: a batch of every SHADOW version, where the policy has the workers score shadows.
   * Returns the ACTIVE rows read (0: nothing was waiting).
   */
  async scorePending(): Promise<number> {
    if ((await this.options.policy()).shadow_scoring.where !== 'workers') {
      this.disposeAllBut(new Set());
      return 0;
    }
    const shadows = await this.dataSource
      .getRepository(ModelVersionEntity)
      .find({ where: { status: 'SHADOW' }, order: { createdAt: 'ASC' } });
    this.disposeAllBut(new Set(shadows.map((shadow) => shadow.id)));
    const modelNames = await this.modelNames(shadows);
    let rows = 0;
    for (const shadow of shadows) {
      if (this.stopped) break; // the batch just written was the last
      if ((this.retryAt.get(shadow.id) ?? 0) > Date.now()) continue;
      try {
        rows += await this.scoreBatch(shadow);
        this.retryAt.delete(shadow.id);
      } catch (error) {
        this.retryAt.set(shadow.id, Date.now() + FAILURE_RETRY_MS);
        this.options.log(
          `shadow scoring: SHADOW version ${shadow.version} of "${modelNames.get(shadow.registeredModelId)}" failed, tried again in ${FAILURE_RETRY_MS / 1000} s: ${(error as Error).message}`,
        );
      }
    }
    return rows;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.scorePending().then(
        (rows) => this.schedule(rows > 0 ? BUSY_POLL_MS : IDLE_POLL_MS),
        (error) => {
          this.options.log(`shadow scoring: ${(error as Error).message}`);
          this.schedule(IDLE_POLL_MS);
        },
      );
    }, delayMs).unref();
  }

  /** Scores the next batch of `shadow`'s model's ACTIVE rows with it, unless another worker holds its cursor. Returns the rows read. */
  private async scoreBatch(shadow: ModelVersionEntity): Promise<number> {
    await this.ensureCursor(shadow);
    const predictor = await this.predictorOf(shadow);
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      await client.query('BEGIN');
      try {
        const [cursor] = (
          await client.query<Cursor>(
            `SELECT registered_model_id, scored_through_at::text AS scored_through_at, scored_through_id FROM shadow_scoring_cursors WHERE model_version_id = $1 FOR UPDATE SKIP LOCKED`,
            [shadow.id],
          )
        ).rows;
        const rows = cursor
          ? (
              await client.query<LogRow>(READ_BATCH, [
                cursor.registered_model_id,
                cursor.scored_through_at,
                cursor.scored_through_id,
                BATCH_ROWS,
                SAFETY_LAG_SECONDS,
              ])
            ).rows
          : [];
        if (rows.length === 0) {
          await client.query('ROLLBACK');
          return 0;
        }
        for (const [activeVersionId, answered] of groupBy(rows, (row) => row.active_version_id)) {
          await insertShadowPredictions(client, activeVersionId, await this.score(shadow, predictor, answered));
        }
        const last = rows[rows.length - 1];
        await client.query(
          `UPDATE shadow_scoring_cursors SET scored_through_at = $2::timestamptz, scored_through_id = $3, scored_rows = scored_rows + $4, updated_at = now() WHERE model_version_id = $1`,
          [shadow.id, last.created_at, last.id, rows.length],
        );
        const [{ outcomes }] = (
          await client.query<{ outcomes: boolean }>(
            `SELECT EXISTS (SELECT 1 FROM request_outcomes WHERE registered_model_id = $1 AND request_id = ANY ($2::text[])) AS outcomes`,
            [shadow.registeredModelId, rows.map((row) => row.request_id)],
          )
        ).rows;
        await client.query('COMMIT');
        if (outcomes) this.didCommit(shadow.registeredModelId);
        return rows.length;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * The shadow's predictions of `rows` (ACTIVE rows of one version), in one session run. A row whose
   * width is not the shadow's (an ACTIVE version of another signature) cannot be scored by it and is
   * passed over.
   */
  private async score(shadow: ModelVersionEntity, predictor: Predictor, rows: LogRow[]): Promise<ShadowPredictionRecord[]> {
    const { inputWidth: width, outputs: names } = predictor.signature;
    const scorable: LogRow[] = [];
    const batch = new Float32Array(rows.length * width);
    for (const row of rows) {
      const features = decodeFloatArray(row.features);
      if (features.length !== width) continue;
      batch.set(features, scorable.length * width);
      scorable.push(row);
    }
    if (scorable.length === 0) return [];
    const started = performance.now();
    const outputs = await predictor.predict(batch.subarray(0, scorable.length * width), scorable.length);
    const latencyMs = performance.now() - started;
    const stride = names.length;
    const { ids } = randomUuids(scorable.length);
    return scorable.map((row, r) => ({
      id: ids[r],
      registeredModelId: shadow.registeredModelId,
      modelVersionId: shadow.id,
      requestId: row.request_id,
      outputs: outputs.subarray(r * stride, (r + 1) * stride),
      value: outputs[r * stride],
      latencyMs,
    }));
  }

  /** Creates the version's cursor, standing at the time the version became SHADOW, unless it exists. */
  private async ensureCursor(shadow: ModelVersionEntity): Promise<void> {
    if (this.cursors.has(shadow.id)) return;
    await this.dataSource.query(
      `INSERT INTO shadow_scoring_cursors (model_version_id, registered_model_id, scored_through_at, scored_through_id)
       SELECT id, registered_model_id, status_changed_at, $2 FROM model_versions WHERE id = $1
       ON CONFLICT (model_version_id) DO NOTHING`,
      [shadow.id, BEFORE_EVERY_ID],
    );
    this.cursors.add(shadow.id);
  }

  private predictorOf(version: ModelVersionEntity): Promise<Predictor> {
    return cachedPredictor(this.predictors, this.registry, this.families, version);
  }

  /** Disposes the predictors of versions not in `keep`. Runs between batches only, so none is in use. */
  private disposeAllBut(keep: ReadonlySet<string>): void {
    for (const [versionId, predictor] of this.predictors) {
      if (keep.has(versionId)) continue;
      this.predictors.delete(versionId);
      this.cursors.delete(versionId);
      void predictor.then((loaded) => loaded.dispose()).catch(() => undefined);
    }
  }

  private async modelNames(shadows: ModelVersionEntity[]): Promise<Map<string, string>> {
    if (shadows.length === 0) return new Map();
    const models = await this.dataSource
      .getRepository(RegisteredModelEntity)
      .find({ where: { id: In(shadows.map((shadow) => shadow.registeredModelId)) }, select: { id: true, name: true } });
    return new Map(models.map((model) => [model.id, model.name]));
  }

  private didCommit(registeredModelId: string): void {
    try {
      this.hooks.shadowPredictionsDidCommit?.(registeredModelId);
    } catch (error) {
      this.options.log(`shadow scoring: shadowPredictionsDidCommit failed: ${(error as Error).message}`);
    }
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
