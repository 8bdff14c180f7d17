/**
 * Outcomes: the realised value of each prediction request (`request_outcomes`), and the prediction
 * log read back with them. A request has one realised value: every version's prediction of it (the
 * ACTIVE answer and the SHADOW ones) is scored against it, joined on (registered model, request id).
 *
 * Three writers: `recordOutcome` for predictions that did not lead to a trade (the same value again
 * is answered idempotently, a different one is CONFLICT), `recordTradeOutcomes`, called by
 * logTradeOutcome in its transaction for the predictions the trade carries, and ForecastOutcomesService
 * (forecast-outcomes.service.ts), which fills a forecast's outcome from stored bars. A prediction may
 * inform several trades; the first outcome written for its request stands, later ones leave it alone.
 *
 * A forecast's outcome (a sequence model's prediction, task 'forecast') is its realised rows: horizon
 * rows × targets as its `values`, stored step-major in `actuals` with `actual` their first value
 * (forecast-outcomes.ts); recordOutcome takes them as `values`, and refuses `actual` for a forecast and
 * `values` for any other prediction.
 */
import { In, type DataSource, type EntityManager } from 'typeorm';
import { ModelVersionEntity } from '../entities/model-version.entity';
import type { PredictionRole } from '../entities/prediction.entity';
import { RequestOutcomeEntity, type OutcomeSource } from '../entities/request-outcome.entity';
import { KeysetPage, type Page } from '../lib/cursor';
import { ConflictError, InvalidInputError, NotFoundError, quote } from '../lib/errors';
import { predictionActual, type TradeResult } from '../lib/trade-math';
import { isUuid } from '../lib/ids';
import { isScoredTask, type ScoredTask } from '../lib/scored-task';
import type { RegistryService } from '../registry/registry.service';
import { joinOutcomes } from '../serving/prediction-outcomes';
import type { PredictionResult } from '../serving/serving.service';
import { forecastActuals, forecastOutcomeRows, forecastShapeOf } from './forecast-outcomes';

export interface OutcomeView {
  actual: number;
  /** A forecast's realised rows (horizon × targets); null for any other prediction. */
  values: number[][] | null;
  source: OutcomeSource;
  tradeId: string | null;
  recordedAt: Date;
}

/** A logged prediction as the API shows it: the serving answer's shape, its role, and its outcome. */
export interface PredictionView extends PredictionResult {
  role: PredictionRole;
  features: (number | null)[];
  outcome: OutcomeView | null;
}

export interface PredictionFilter {
  model?: string | null;
  version?: number | null;
  role?: PredictionRole | null;
  ids?: string[] | null;
  requestId?: string | null;
  hasOutcome?: boolean | null;
  /** created_at bounds, inclusive. */
  from?: Date | null;
  to?: Date | null;
  first?: number | null;
  after?: string | null;
}

interface PredictionRow {
  id: string;
  registered_model_id: string;
  model_version_id: string;
  role: PredictionRole;
  request_id: string;
  features: number[];
  outputs: number[];
  value: number | null;
  latency_ms: number;
  created_at: Date;
  actual: number | null;
  actuals: number[] | null;
  source: OutcomeSource | null;
  trade_id: string | null;
  recorded_at: Date | null;
}

const MAX_FILTER_IDS = 100;

function nullIfNaN(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

export class OutcomesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
  ) {}

  /**
   * Records the realised value of the request prediction `predictionId` answered: `actual`, or for a
   * forecast its realised rows `values` (exactly one of them).
   */
  async recordOutcome(input: { predictionId: string; actual?: number | null; values?: number[][] | null }): Promise<PredictionView> {
    if ((input.actual == null) === (input.values == null)) {
      throw new InvalidInputError(
        `expects actual (a realised value) or values (a forecast's realised rows), but got ${input.actual == null ? 'neither' : 'both'}`,
        { field: 'actual' },
      );
    }
    const [prediction] = await this.viewsOf([input.predictionId]);
    if (!prediction)
      throw new NotFoundError(
        `no prediction with id ${input.predictionId}; pass an id that predict, tradePrediction or forecast returned`,
        {
          field: 'predictionId',
        },
      );
    const outcome = this.outcomeOf(prediction, input);
    const registeredModelId = prediction.modelVersion.registeredModelId;
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO request_outcomes (registered_model_id, request_id, actual, actuals, source) VALUES ($1, $2, $3, $4::real[], 'RECORDED')
       ON CONFLICT (registered_model_id, request_id) DO NOTHING RETURNING request_id`,
      [registeredModelId, prediction.requestId, outcome.actual, outcome.actuals],
    );
    if (inserted.length === 0) {
      const existing = await this.dataSource
        .getRepository(RequestOutcomeEntity)
        .findOneByOrFail({ registeredModelId, requestId: prediction.requestId });
      if (outcome.actuals) {
        // Both sides as the float32 the column holds (the entity reads real[] back through its text form).
        const same =
          existing.actuals?.length === outcome.actuals.length && existing.actuals.every((v, i) => Math.fround(v) === outcome.actuals![i]);
        if (!same) {
          throw new ConflictError(
            `request "${prediction.requestId}" already has its realised rows (${existing.source}); a request has one outcome, so other values cannot replace them`,
            { field: 'values' },
          );
        }
      } else if (existing.actual !== outcome.actual) {
        throw new ConflictError(
          `request "${prediction.requestId}" already has the outcome ${existing.actual} (${existing.source}); a request has one realised value, so ${outcome.actual} cannot replace it`,
          { field: 'actual' },
        );
      }
    }
    const [recorded] = await this.viewsOf([input.predictionId]);
    return recorded;
  }

  /** The row recordOutcome writes for `prediction`: a forecast's realised rows, or any other prediction's value. */
  private outcomeOf(
    prediction: PredictionView,
    input: { actual?: number | null; values?: number[][] | null },
  ): { actual: number; actuals: number[] | null } {
    const { modelVersion } = prediction;
    const shape = forecastShapeOf(modelVersion.signature);
    if (shape) {
      if (input.values == null) {
        throw new InvalidInputError(
          `expects values for a forecast (${shape.horizon} rows × ${shape.targets.join(', ')}, as the forecast's values), but got actual`,
          { field: 'values' },
        );
      }
      const actuals = forecastActuals(input.values, shape);
      return { actual: actuals[0], actuals };
    }
    if (input.values != null) {
      throw new InvalidInputError(
        `expects actual for a ${modelVersion.signature?.task ?? 'signature-less'} model's prediction; values are a forecast's realised rows`,
        { field: 'values' },
      );
    }
    if (!Number.isFinite(input.actual)) {
      throw new InvalidInputError(`expects actual to be a finite number, but got ${input.actual}`, { field: 'actual' });
    }
    return { actual: input.actual!, actuals: null };
  }

  /**
   * In the transaction closing trades: the outcome of each request their predictions answered — the
   * value each model predicted, realised over the trade (see lib/trade-math.ts `predictionActual`).
   * Trades in close order: where two of them carry the same request, the first one's outcome stands,
   * as does one recorded earlier. Returns how many requests got their outcome now.
   */
  async recordTradeOutcomes(
    tx: EntityManager,
    closes: { trade: { id: string; predictionIds: string[] }; result: Pick<TradeResult, 'priceReturn'> }[],
  ): Promise<number> {
    const carried = closes.flatMap(({ trade }, order) => trade.predictionIds.map((predictionId) => ({ order, predictionId })));
    if (carried.length === 0) return 0;
    const requests: { ord: number; registered_model_id: string; request_id: string; task: string }[] = await tx.query(
      `SELECT DISTINCT ON (c.ord, p.registered_model_id, p.request_id)
              c.ord, p.registered_model_id, p.request_id, v.signature ->> 'task' AS task
       FROM unnest($1::int[], $2::uuid[]) AS c(ord, prediction_id)
       JOIN predictions p ON p.id = c.prediction_id JOIN model_versions v ON v.id = p.model_version_id
       ORDER BY c.ord, p.registered_model_id, p.request_id, (p.role = 'ACTIVE') DESC`,
      [carried.map((c) => c.order), carried.map((c) => c.predictionId)],
    );
    const scored = requests.filter((request) => isScoredTask(request.task));
    if (scored.length === 0) return 0;
    // One statement: of rows with the same request, the first (in close order) is inserted and the rest skipped.
    const inserted: unknown[] = await tx.query(
      `INSERT INTO request_outcomes (registered_model_id, request_id, actual, source, trade_id)
       SELECT m, r, a, 'TRADE', t FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::uuid[]) AS u(m, r, a, t)
       ON CONFLICT (registered_model_id, request_id) DO NOTHING RETURNING request_id`,
      [
        scored.map((request) => request.registered_model_id),
        scored.map((request) => request.request_id),
        scored.map((request) => predictionActual(request.task as ScoredTask, closes[request.ord].result)),
        scored.map((request) => closes[request.ord].trade.id),
      ],
    );
    return inserted.length;
  }

  /** Logged predictions, newest first, each with its request's outcome (null until one is recorded). */
  async searchPredictions(filter: PredictionFilter): Promise<Page<PredictionView>> {
    const page = new KeysetPage<PredictionView>(filter, {
      column: 'p.created_at',
      tieBreak: 'p.id',
      direction: 'DESC',
      time: (view) => view.createdAt,
    });
    const where: string[] = [];
    const parameters: unknown[] = [];
    const bind = (value: unknown) => `$${parameters.push(value)}`;
    if (filter.model) {
      const model = await this.registry.getRegisteredModel(filter.model);
      where.push(`p.registered_model_id = ${bind(model.id)}`);
      if (filter.version != null) where.push(`p.model_version_id = ${bind((await this.registry.findVersion(model, filter.version)).id)}`);
    } else if (filter.version != null) {
      throw new InvalidInputError('expects model together with version, but got a version alone', { field: 'version' });
    }
    if (filter.ids) {
      if (filter.ids.length > MAX_FILTER_IDS)
        throw new InvalidInputError(`expects at most ${MAX_FILTER_IDS} ids, but got ${filter.ids.length}`, { field: 'ids' });
      const bad = filter.ids.find((id) => !isUuid(id));
      if (bad !== undefined)
        throw new InvalidInputError(`expects ids to be prediction ids (UUIDs), but got ${quote(bad)}`, { field: 'ids' });
      where.push(`p.id = ANY (${bind(filter.ids)}::uuid[])`);
    }
    if (filter.role) where.push(`p.role = ${bind(filter.role)}`);
    if (filter.requestId) where.push(`p.request_id = ${bind(filter.requestId)}`);
    if (filter.hasOutcome != null) where.push(filter.hasOutcome ? 'o.request_id IS NOT NULL' : 'o.request_id IS NULL');
    if (filter.from) where.push(`p.created_at >= ${bind(filter.from)}`);
    if (filter.to) where.push(`p.created_at <= ${bind(filter.to)}`);
    const after = page.afterCondition(bind);
    if (after) where.push(after);
    const rows = await this.selectRows(
      `${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${page.orderBy} LIMIT ${bind(page.size + 1)}`,
      parameters,
    );
    return page.cut(await this.toViews(rows));
  }

  private async viewsOf(ids: string[]): Promise<PredictionView[]> {
    if (!ids.every(isUuid)) return [];
    return this.toViews(await this.selectRows('WHERE p.id = ANY ($1::uuid[])', [ids]));
  }

  private selectRows(tail: string, parameters: unknown[]): Promise<PredictionRow[]> {
    return this.dataSource.query(
      `SELECT p.id, p.registered_model_id, p.model_version_id, p.role, p.request_id, p.features::float8[] AS features,
              p.outputs::float8[] AS outputs, p.value, p.latency_ms, p.created_at, o.actual, o.actuals::float8[] AS actuals, o.source,
              o.trade_id, o.recorded_at
       FROM predictions p
       ${joinOutcomes({ left: true })}
       ${tail}`,
      parameters,
    );
  }

  private async toViews(rows: PredictionRow[]): Promise<PredictionView[]> {
    const versionIds = [...new Set(rows.map((row) => row.model_version_id))];
    const versions = versionIds.length ? await this.dataSource.getRepository(ModelVersionEntity).findBy({ id: In(versionIds) }) : [];
    const byId = new Map(versions.map((version) => [version.id, version]));
    return rows.map((row) => {
      const version = byId.get(row.model_version_id)!;
      const names = version.signature?.outputs ?? row.outputs.map((_, i) => `output_${i}`);
      return {
        id: row.id,
        requestId: row.request_id,
        role: row.role,
        value: row.value,
        outputs: names.map((name, i) => ({ name, value: nullIfNaN(row.outputs[i]) })),
        features: row.features.map(nullIfNaN),
        latencyMs: row.latency_ms,
        modelVersion: version,
        createdAt: row.created_at,
        outcome:
          row.actual === null
            ? null
            : {
                actual: row.actual,
                values: forecastOutcomeRows(row.actuals, forecastShapeOf(version.signature)),
                source: row.source!,
                tradeId: row.trade_id,
                recordedAt: row.recorded_at!,
              },
      };
    });
  }
}
