/**
 * The trade log. `logTradeExecution` records a trade OPEN with the predictions that informed it and
 * the feature snapshot it was decided on; `logTradeOutcome` closes it and writes the realised value of
 * each of its prediction requests (request_outcomes) in one transaction, and once that has committed
 * the trade is counted towards the next incremental update (learning-trigger.service.ts) before the
 * call answers. A close answered with an error after its commit is counted by the next counting pass
 * of any process, and its retry answers the same outcome with its place in the count.
 *
 * Both are idempotent on the orchestrator's client trade id, so a retry after a lost answer is safe:
 * the same execution (or outcome) again gets the same answer and writes nothing; a different one for
 * a known id is CONFLICT, naming the fields that differ.
 */
import { isDeepStrictEqual } from 'node:util';
import type { DataSource, EntityManager } from 'typeorm';
import { TradeEntity, type TradeStatus } from '../entities/trade.entity';
import { parseSymbol } from '../lib/bars';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from '../lib/cursor';
import { ConflictError, InvalidInputError, NotFoundError, quote } from '../lib/errors';
import { checkEntry, tradeResult, type TradeSide } from '../lib/trade-math';
import { checkFeatureSnapshot } from '../lib/feature-snapshot';
import { isUuid } from './datasets.service';
import type { JobEntity } from '../entities/job.entity';
import type { LearningTriggerService } from './learning-trigger.service';
import type { OutcomesService } from './outcomes.service';

export interface TradeExecutionInput {
  clientTradeId: string;
  symbol: string;
  side: TradeSide;
  quantity: number;
  entryPrice: number;
  entryTime: Date;
  strategy?: string | null;
  modelConfidence?: number | null;
  predictionIds?: string[] | null;
  features?: Record<string, unknown> | null;
  decision?: Record<string, unknown> | null;
}

export interface TradeOutcomeInput {
  clientTradeId: string;
  exitPrice: number;
  exitTime: Date;
  exitReason?: string | null;
  fees?: number | null;
  /** Worst adverse excursion while open, a fraction of the entry notional (0.03 = 3 %). */
  maxDrawdown?: number | null;
  takeProfitHit?: boolean | null;
  stopLossHit?: boolean | null;
}

export interface LearningTriggerAnswer {
  /** Whether this trade's close reached the threshold: an incremental update has been queued. */
  shouldTrigger: boolean;
  tradesSinceLastUpdate: number;
  threshold: number;
}

export interface TradeOutcomeAnswer {
  trade: TradeEntity;
  learningTrigger: LearningTriggerAnswer;
  /** The INCREMENTAL jobs this close queued (on a repeated answer: none). */
  jobs: JobEntity[];
}

export interface TradeFilter {
  symbol?: string | null;
  status?: TradeStatus | null;
  strategy?: string | null;
  /** entry_time bounds, inclusive. */
  from?: Date | null;
  to?: Date | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Extension points of trade logging, for the RL agents (they learn from closed trades). Set with
 * `setHooks` in server/app.ts.
 *
 * - `tradeOutcomeWillCommit(trade, tx)` runs inside the transaction closing the trade, after the
 *   trade and its request outcomes are written, before the commit (the trade is counted towards
 *   learning after it: its learning* fields are still null). Whatever it writes through `tx` commits or rolls
 *   back with the outcome; throwing aborts the close (nothing is written, the caller gets the error).
 * - `tradeOutcomeDidRecord(trade)` runs after the commit and the count, in this process, before the
 *   mutation answers. Throwing is logged and changes nothing (the close is committed).
 * Neither runs when a repeated outcome is answered idempotently.
 */
export interface TradeHooks {
  tradeOutcomeWillCommit?(trade: TradeEntity, tx: EntityManager): Promise<void>;
  tradeOutcomeDidRecord?(trade: TradeEntity): Promise<void> | void;
}

const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,127}$/;
const MAX_PREDICTION_IDS = 64;
const MAX_TEXT = 128;
const MAX_DECISION_BYTES = 64 * 1024;
/** Worst adverse excursion a trade may report, as a fraction of its entry notional (a leveraged short can lose more than all of it). */
const MAX_DRAWDOWN = 1000;

function checkClientTradeId(id: string): void {
  if (!CLIENT_ID_PATTERN.test(id)) {
    throw new InvalidInputError(`expects clientTradeId of 1–128 letters, digits or _ . : - / (starting with a letter or digit), but got ${quote(id)}`, {
      field: 'clientTradeId',
    });
  }
}

function checkText(field: string, value: string | null | undefined): void {
  if (value != null && (value.length === 0 || value.length > MAX_TEXT)) {
    throw new InvalidInputError(`expects ${field} of 1–${MAX_TEXT} characters, but got ${value.length}`, { field });
  }
}

function checkExecution(input: TradeExecutionInput): void {
  checkClientTradeId(input.clientTradeId);
  parseSymbol(input.symbol);
  checkEntry(input);
  checkText('strategy', input.strategy);
  if (input.modelConfidence != null && !(input.modelConfidence >= 0 && input.modelConfidence <= 1)) {
    throw new InvalidInputError(`expects modelConfidence in [0, 1], but got ${input.modelConfidence}`, { field: 'modelConfidence' });
  }
  const ids = input.predictionIds ?? [];
  if (ids.length > MAX_PREDICTION_IDS) throw new InvalidInputError(`expects at most ${MAX_PREDICTION_IDS} predictionIds, but got ${ids.length}`, { field: 'predictionIds' });
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw new InvalidInputError(`expects predictionIds to be prediction ids (UUIDs), but got ${quote(bad)}`, { field: 'predictionIds' });
  if (new Set(ids).size !== ids.length) throw new InvalidInputError('expects each prediction id once, but some appear twice', { field: 'predictionIds' });
  if (input.features != null) checkFeatureSnapshot(input.features);
  if (input.decision != null && Buffer.byteLength(JSON.stringify(input.decision)) > MAX_DECISION_BYTES) {
    throw new InvalidInputError(`expects decision to be at most ${MAX_DECISION_BYTES} bytes of JSON`, { field: 'decision' });
  }
}

function checkOutcome(input: TradeOutcomeInput): void {
  checkClientTradeId(input.clientTradeId);
  checkText('exitReason', input.exitReason);
  if (input.maxDrawdown != null && !(Number.isFinite(input.maxDrawdown) && input.maxDrawdown >= 0 && input.maxDrawdown <= MAX_DRAWDOWN)) {
    throw new InvalidInputError(`expects maxDrawdown to be a fraction in [0, ${MAX_DRAWDOWN}] (0.03 = 3 %), but got ${input.maxDrawdown}`, { field: 'maxDrawdown' });
  }
}

/** JSON as Postgres' jsonb gives it back (-0 → 0, key order aside), for comparing a stored value with a sent one. */
function asStoredJson(value: unknown): unknown {
  return value == null ? null : JSON.parse(JSON.stringify(value));
}

/** What makes an execution: the fields a repeated logTradeExecution must match. */
function executionFields(trade: TradeExecutionInput): Record<string, unknown> {
  return {
    symbol: trade.symbol,
    side: trade.side,
    quantity: trade.quantity,
    entryPrice: trade.entryPrice,
    entryTime: trade.entryTime.getTime(),
    strategy: trade.strategy ?? null,
    modelConfidence: trade.modelConfidence ?? null,
    predictionIds: [...(trade.predictionIds ?? [])].sort(),
    features: asStoredJson(trade.features),
    decision: asStoredJson(trade.decision),
  };
}

function outcomeFields(outcome: TradeOutcomeInput | TradeEntity): Record<string, unknown> {
  return {
    exitPrice: outcome.exitPrice,
    exitTime: outcome.exitTime?.getTime(),
    exitReason: outcome.exitReason ?? null,
    fees: outcome.fees ?? 0,
    maxDrawdown: outcome.maxDrawdown ?? null,
    takeProfitHit: outcome.takeProfitHit ?? null,
    stopLossHit: outcome.stopLossHit ?? null,
  };
}

/** A counted trade's place in the learning count, as the outcome's answer reports it. */
function learningTriggerOf(trade: TradeEntity): LearningTriggerAnswer {
  return { shouldTrigger: trade.learningTriggered!, tradesSinceLastUpdate: trade.learningCount!, threshold: trade.learningThreshold! };
}

/** The names of the fields whose values differ. */
function differences(stored: Record<string, unknown>, sent: Record<string, unknown>): string[] {
  return Object.keys(sent).filter((key) => !isDeepStrictEqual(stored[key], sent[key]));
}

export class TradesService {
  private hooks: TradeHooks = {};

  constructor(
    private readonly dataSource: DataSource,
    private readonly outcomes: OutcomesService,
    private readonly learning: LearningTriggerService,
    private readonly log: (message: string) => void,
  ) {}

  /** Replaces the hooks; returns the ones it replaced. */
  setHooks(hooks: TradeHooks): TradeHooks {
    const previous = this.hooks;
    this.hooks = hooks;
    return previous;
  }

  /**
   * One statement writes the trade, and only when every prediction id exists and the client trade id
   * is new; when it writes nothing, the stored trade (a retry or a concurrent twin) or the unknown
   * prediction id says why.
   */
  async logTradeExecution(input: TradeExecutionInput): Promise<TradeEntity> {
    checkExecution(input);
    const ids = input.predictionIds ?? [];
    const json = (value: unknown) => (value == null ? null : JSON.stringify(value));
    const inserted: { id: string }[] = await this.dataSource.query(
      `INSERT INTO trades (client_trade_id, symbol, side, quantity, entry_price, entry_time, strategy, model_confidence, prediction_ids, features, decision, status)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::uuid[], $10::jsonb, $11::jsonb, 'OPEN'
       WHERE (SELECT count(*) FROM predictions WHERE id = ANY ($9::uuid[])) = cardinality($9::uuid[])
       ON CONFLICT (client_trade_id) DO NOTHING RETURNING id`,
      [
        input.clientTradeId,
        input.symbol,
        input.side,
        input.quantity,
        input.entryPrice,
        input.entryTime,
        input.strategy ?? null,
        input.modelConfidence ?? null,
        ids,
        json(input.features),
        json(input.decision),
      ],
    );
    const repository = this.dataSource.getRepository(TradeEntity);
    if (inserted.length) return repository.findOneByOrFail({ id: inserted[0].id });
    const existing = await repository.findOneBy({ clientTradeId: input.clientTradeId });
    if (existing) return this.sameExecution(existing, input);
    const found: { id: string }[] = await this.dataSource.query('SELECT id FROM predictions WHERE id = ANY ($1::uuid[])', [ids]);
    const known = new Set(found.map((row) => row.id));
    const unknown = ids.find((id) => !known.has(id));
    throw new NotFoundError(`no prediction with id ${unknown}; pass the ids that tradePrediction or predict returned`, { field: 'predictionIds' });
  }

  async logTradeOutcome(input: TradeOutcomeInput): Promise<TradeOutcomeAnswer> {
    checkOutcome(input);
    const answer = await this.dataSource.transaction(async (tx) => {
      const trade = await tx.findOne(TradeEntity, { where: { clientTradeId: input.clientTradeId }, lock: { mode: 'pessimistic_write' } });
      if (!trade) {
        throw new NotFoundError(`no trade with clientTradeId "${input.clientTradeId}"; log its execution with logTradeExecution first`, { field: 'clientTradeId' });
      }
      if (trade.status === 'CLOSED') return { repeated: true, trade: this.sameOutcome(trade, input) };
      const result = tradeResult(trade, { exitPrice: input.exitPrice, exitTime: input.exitTime, fees: input.fees ?? 0 });
      const outcome = {
        status: 'CLOSED' as const,
        exitPrice: input.exitPrice,
        exitTime: input.exitTime,
        exitReason: input.exitReason ?? null,
        fees: input.fees ?? 0,
        pnl: result.pnl,
        realizedReturn: result.realizedReturn,
        holdingPeriodSeconds: result.holdingPeriodSeconds,
        success: result.success,
        maxDrawdown: input.maxDrawdown ?? null,
        takeProfitHit: input.takeProfitHit ?? null,
        stopLossHit: input.stopLossHit ?? null,
      };
      // The stored values are those sent and computed; only the close's time comes back from the database.
      const updated = await tx.createQueryBuilder().update(TradeEntity).set({ ...outcome, closedAt: () => 'now()' }).where({ id: trade.id }).returning('closed_at').execute();
      const closed = Object.assign(trade, outcome, { closedAt: (updated.raw as { closed_at: Date }[])[0].closed_at });
      await this.outcomes.recordTradeOutcomes(tx, closed, result);
      await this.hooks.tradeOutcomeWillCommit?.(closed, tx);
      return { repeated: false, trade: closed };
    });
    const { repeated, trade } = answer;
    if (repeated && trade.learningCycle !== null) return { trade, learningTrigger: learningTriggerOf(trade), jobs: [] };
    const counted = await this.learning.countClosedTrade(trade.id);
    Object.assign(trade, { learningCycle: counted.cycle, learningCount: counted.count, learningTriggered: counted.triggered, learningThreshold: counted.threshold });
    const result = { trade, learningTrigger: learningTriggerOf(trade), jobs: repeated ? [] : counted.jobs };
    if (!repeated && this.hooks.tradeOutcomeDidRecord) {
      try {
        await this.hooks.tradeOutcomeDidRecord(result.trade);
      } catch (error) {
        this.log(`trades: tradeOutcomeDidRecord failed for trade ${result.trade.id}: ${(error as Error).message}`);
      }
    }
    return result;
  }

  async getTrade(clientTradeIdOrId: string): Promise<TradeEntity> {
    const repository = this.dataSource.getRepository(TradeEntity);
    const trade =
      (await repository.findOneBy({ clientTradeId: clientTradeIdOrId })) ?? (isUuid(clientTradeIdOrId) ? await repository.findOneBy({ id: clientTradeIdOrId }) : null);
    if (!trade) throw new NotFoundError(`no trade with clientTradeId or id ${quote(clientTradeIdOrId)}`, { field: 'id' });
    return trade;
  }

  /** Trades, most recent entry first. */
  async searchTrades(filter: TradeFilter): Promise<Page<TradeEntity>> {
    const size = pageSize(filter.first ?? undefined);
    const query = this.dataSource
      .getRepository(TradeEntity)
      .createQueryBuilder('t')
      .orderBy('t.entry_time', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(size + 1);
    if (filter.symbol) query.andWhere('t.symbol = :symbol', { symbol: filter.symbol });
    if (filter.status) query.andWhere('t.status = :status', { status: filter.status });
    if (filter.strategy) query.andWhere('t.strategy = :strategy', { strategy: filter.strategy });
    if (filter.from) query.andWhere('t.entry_time >= :from', { from: filter.from });
    if (filter.to) query.andWhere('t.entry_time <= :to', { to: filter.to });
    if (filter.after) {
      const { sortKey, id } = decodeCursor(filter.after);
      query.andWhere('(t.entry_time, t.id) < (:entryTime, :id)', { entryTime: new Date(sortKey), id });
    }
    return toPage(await query.getMany(), size, (trade) => encodeCursor(trade.entryTime.toISOString(), trade.id));
  }

  private sameExecution(stored: TradeEntity, sent: TradeExecutionInput): TradeEntity {
    const changed = differences(executionFields(stored), executionFields(sent));
    if (changed.length) {
      throw new ConflictError(
        `trade "${sent.clientTradeId}" was already logged with different ${changed.join(', ')}; a client trade id names one execution, so send the same one again or a new id`,
        { field: 'clientTradeId', fields: changed },
      );
    }
    return stored;
  }

  private sameOutcome(stored: TradeEntity, sent: TradeOutcomeInput): TradeEntity {
    const changed = differences(outcomeFields(stored), outcomeFields(sent));
    if (changed.length) {
      throw new ConflictError(
        `trade "${sent.clientTradeId}" is already closed with a different ${changed.join(', ')}; a trade has one outcome`,
        { field: 'clientTradeId', fields: changed },
      );
    }
    return stored;
  }
}
