/**
 * The trade log. `logTradeExecution` records a trade OPEN with the predictions that informed it and
 * the feature snapshot it was decided on; `logTradeOutcome` closes it and writes the realised value of
 * each of its prediction requests (request_outcomes) and its place in the count towards the next
 * incremental update (learning-trigger.service.ts) in one transaction, shared by the closes that
 * arrive together (as executions share their insert: group commits).
 *
 * Both are idempotent on the orchestrator's client trade id, so a retry after a lost answer is safe:
 * the same execution (or outcome) again gets the same answer and writes nothing; a different one for
 * a known id is CONFLICT, naming the fields that differ.
 */
import { isDeepStrictEqual } from 'node:util';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { TradeEntity, type TradeStatus } from '../entities/trade.entity';
import { parseSymbol } from '../lib/bars';
import { KeysetPage, type Page } from '../lib/cursor';
import { ConflictError, InvalidInputError, NotFoundError, quote } from '../lib/errors';
import { checkEntry, tradeResult, type TradeResult, type TradeSide } from '../lib/trade-math';
import { ItemFailure, MicroBatcher } from '../lib/micro-batcher';
import { queryPrepared } from '../db/prepared-query';
import { checkFeatureSnapshot } from './feature-snapshot';
import { isUuid } from '../lib/ids';
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
 *   trade (with its place in the learning count) and its request outcomes are written, before the
 *   counter is stored and the commit. Whatever it writes through `tx` commits or rolls
 *   back with the outcome; throwing aborts the close (nothing is written, the caller gets the error).
 *   Closes are committed in groups: when it throws, the group is rolled back and its trades closed again
 *   one at a time, so it may run twice for a trade (the first run's writes rolled back).
 * - `tradeOutcomeDidRecord(trade)` runs after the commit, in this process, before the
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
    throw new InvalidInputError(
      `expects clientTradeId of 1–128 letters, digits or _ . : - / (starting with a letter or digit), but got ${quote(id)}`,
      {
        field: 'clientTradeId',
      },
    );
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
  if (ids.length > MAX_PREDICTION_IDS)
    throw new InvalidInputError(`expects at most ${MAX_PREDICTION_IDS} predictionIds, but got ${ids.length}`, { field: 'predictionIds' });
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined)
    throw new InvalidInputError(`expects predictionIds to be prediction ids (UUIDs), but got ${quote(bad)}`, { field: 'predictionIds' });
  if (new Set(ids).size !== ids.length)
    throw new InvalidInputError('expects each prediction id once, but some appear twice', { field: 'predictionIds' });
  if (input.features != null) checkFeatureSnapshot(input.features);
  if (input.decision != null && Buffer.byteLength(JSON.stringify(input.decision)) > MAX_DECISION_BYTES) {
    throw new InvalidInputError(`expects decision to be at most ${MAX_DECISION_BYTES} bytes of JSON`, { field: 'decision' });
  }
}

function checkOutcome(input: TradeOutcomeInput): void {
  checkClientTradeId(input.clientTradeId);
  checkText('exitReason', input.exitReason);
  if (input.maxDrawdown != null && !(Number.isFinite(input.maxDrawdown) && input.maxDrawdown >= 0 && input.maxDrawdown <= MAX_DRAWDOWN)) {
    throw new InvalidInputError(`expects maxDrawdown to be a fraction in [0, ${MAX_DRAWDOWN}] (0.03 = 3 %), but got ${input.maxDrawdown}`, {
      field: 'maxDrawdown',
    });
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

/** A close's answer from its group: the closed trade, or (repeated) the stored one it repeats. */
interface Close {
  repeated: boolean;
  trade: TradeEntity;
  /** The INCREMENTAL jobs its place in the learning count queued (none on a repeat). */
  jobs: JobEntity[];
}

/** Most trades one group commit writes (or closes); more wait for the next. */
const GROUP_MAX_TRADES = 256;

/** The outcome `input` gives the open `trade`: the fields its close stores, and the result they come from. */
function closedBy(trade: TradeEntity, input: TradeOutcomeInput): { outcome: Partial<TradeEntity>; result: TradeResult } {
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
  return { outcome, result };
}

export class TradesService {
  private hooks: TradeHooks = {};
  /** Executions that arrive while one is written are written together, by the next statement. */
  private readonly executionGroup = new MicroBatcher<TradeExecutionInput, TradeEntity>((inputs) => this.writeExecutions(inputs), {
    maxItems: GROUP_MAX_TRADES,
    windowMs: 0,
  });
  /** Closes that arrive while a close commits are closed together, in the next transaction. */
  private readonly closeGroup = new MicroBatcher<TradeOutcomeInput, Close>((inputs) => this.closeTrades(inputs), {
    maxItems: GROUP_MAX_TRADES,
    windowMs: 0,
  });

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
   * Executions that arrive together are written by one statement (a group commit, ExecutionGroup):
   * each trade only when every prediction id it carries exists and its client trade id is new. For a
   * trade it did not write, the stored trade (a retry or a concurrent twin) or the unknown prediction
   * id says why.
   */
  async logTradeExecution(input: TradeExecutionInput): Promise<TradeEntity> {
    checkExecution(input);
    return this.executionGroup.submit(input);
  }

  /**
   * Closes that arrive together commit in one transaction (a group commit): the trades are locked,
   * closed, counted and their request outcomes written together. A close that cannot be made (an unknown trade,
   * a different outcome for a closed one, values out of range) is refused alone; one whose hook throws
   * makes the group close one trade at a time (MicroBatcher), so the error is its own.
   */
  async logTradeOutcome(input: TradeOutcomeInput): Promise<TradeOutcomeAnswer> {
    checkOutcome(input);
    const { repeated, trade, jobs } = await this.closeGroup.submit(input);
    const result = { trade, learningTrigger: learningTriggerOf(trade), jobs };
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
      (await repository.findOneBy({ clientTradeId: clientTradeIdOrId })) ??
      (isUuid(clientTradeIdOrId) ? await repository.findOneBy({ id: clientTradeIdOrId }) : null);
    if (!trade) throw new NotFoundError(`no trade with clientTradeId or id ${quote(clientTradeIdOrId)}`, { field: 'id' });
    return trade;
  }

  /** Trades, most recent entry first. */
  async searchTrades(filter: TradeFilter): Promise<Page<TradeEntity>> {
    const page = new KeysetPage<TradeEntity>(filter, {
      column: 't.entry_time',
      tieBreak: 't.id',
      direction: 'DESC',
      time: (trade) => trade.entryTime,
    });
    const query = this.dataSource.getRepository(TradeEntity).createQueryBuilder('t');
    if (filter.symbol) query.andWhere('t.symbol = :symbol', { symbol: filter.symbol });
    if (filter.status) query.andWhere('t.status = :status', { status: filter.status });
    if (filter.strategy) query.andWhere('t.strategy = :strategy', { strategy: filter.strategy });
    if (filter.from) query.andWhere('t.entry_time >= :from', { from: filter.from });
    if (filter.to) query.andWhere('t.entry_time <= :to', { to: filter.to });
    return page.fetch(query);
  }

  /** The execution group's run: one INSERT for the executions that arrived together. */
  private async writeExecutions(inputs: TradeExecutionInput[]): Promise<(TradeEntity | ItemFailure)[]> {
    const rows = inputs.map((input) => ({
      client_trade_id: input.clientTradeId,
      symbol: input.symbol,
      side: input.side,
      quantity: input.quantity,
      entry_price: input.entryPrice,
      entry_time: input.entryTime.toISOString(),
      strategy: input.strategy ?? null,
      model_confidence: input.modelConfidence ?? null,
      prediction_ids: input.predictionIds ?? [],
      features: input.features ?? null,
      decision: input.decision ?? null,
    }));
    // Of two rows with the same client trade id, the first is written and the second answered as its retry.
    const inserted = await queryPrepared<{ id: string; client_trade_id: string }>(
      this.dataSource,
      'kybernet_insert_trades',
      `INSERT INTO trades (client_trade_id, symbol, side, quantity, entry_price, entry_time, strategy, model_confidence, prediction_ids,
                           features, decision, status)
       SELECT r.client_trade_id, r.symbol, r.side, r.quantity, r.entry_price, r.entry_time, r.strategy, r.model_confidence,
              r.prediction_ids, r.features, r.decision, 'OPEN'
       FROM jsonb_to_recordset($1::jsonb) AS r(client_trade_id text, symbol text, side text, quantity float8, entry_price float8,
         entry_time timestamptz, strategy text, model_confidence float8, prediction_ids uuid[], features jsonb, decision jsonb)
       WHERE (SELECT count(*) FROM predictions WHERE id = ANY (r.prediction_ids)) = cardinality(r.prediction_ids)
       ON CONFLICT (client_trade_id) DO NOTHING RETURNING id, client_trade_id`,
      [JSON.stringify(rows)],
    );
    const repository = this.dataSource.getRepository(TradeEntity);
    const written = new Map<string, TradeEntity>();
    if (inserted.length)
      for (const trade of await repository.findBy({ id: In(inserted.map((row) => row.id)) })) written.set(trade.clientTradeId, trade);
    const taken = new Set<string>();
    return Promise.all(
      inputs.map(async (input) => {
        const trade = written.get(input.clientTradeId);
        if (trade && !taken.has(input.clientTradeId)) {
          taken.add(input.clientTradeId);
          return trade;
        }
        try {
          return await this.unwrittenExecution(input);
        } catch (error) {
          return new ItemFailure(error);
        }
      }),
    );
  }

  /** Why an execution was not written: its client trade id was taken (by it or another), or a prediction id is unknown. */
  private async unwrittenExecution(input: TradeExecutionInput): Promise<TradeEntity> {
    const existing = await this.dataSource.getRepository(TradeEntity).findOneBy({ clientTradeId: input.clientTradeId });
    if (existing) return this.sameExecution(existing, input);
    const ids = input.predictionIds ?? [];
    const found: { id: string }[] = await this.dataSource.query('SELECT id FROM predictions WHERE id = ANY ($1::uuid[])', [ids]);
    const known = new Set(found.map((row) => row.id));
    const unknown = ids.find((id) => !known.has(id));
    throw new NotFoundError(`no prediction with id ${unknown}; pass the ids that tradePrediction or predict returned`, {
      field: 'predictionIds',
    });
  }

  /** The close group's run: the closes that arrived together, in one transaction. */
  private async closeTrades(inputs: TradeOutcomeInput[]): Promise<(Close | ItemFailure)[]> {
    if (new Set(inputs.map((input) => input.clientTradeId)).size < inputs.length) {
      // The same trade twice in a group: the MicroBatcher closes the group's trades one at a time, so the second is answered as a repeat.
      throw new Error('a trade closed twice in one group');
    }
    return this.dataSource.transaction(async (tx) => {
      // Locked in id order, so that groups closing overlapping trades cannot deadlock.
      const locked = await tx.find(TradeEntity, {
        where: { clientTradeId: In(inputs.map((input) => input.clientTradeId)) },
        order: { id: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      const byClientId = new Map(locked.map((trade) => [trade.clientTradeId, trade]));
      const answers: (Close | ItemFailure)[] = [];
      const closing: { index: number; trade: TradeEntity; outcome: Partial<TradeEntity>; result: TradeResult }[] = [];
      inputs.forEach((input, index) => {
        const trade = byClientId.get(input.clientTradeId);
        try {
          if (!trade)
            throw new NotFoundError(
              `no trade with clientTradeId "${input.clientTradeId}"; log its execution with logTradeExecution first`,
              { field: 'clientTradeId' },
            );
          if (trade.status === 'CLOSED') answers[index] = { repeated: true, trade: this.sameOutcome(trade, input), jobs: [] };
          else closing.push({ index, trade, ...closedBy(trade, input) });
        } catch (error) {
          answers[index] = new ItemFailure(error);
        }
      });
      if (closing.length === 0) return answers;
      // Counted in close order; the place is written with the close, in the same row version.
      const placement = await this.learning.placeTrades(tx, closing.length);
      const closed = closing.map(({ index, trade, outcome, result }, i) => {
        const { cycle, count, triggered, threshold } = placement.places[i];
        const counted = {
          learningCycle: cycle,
          learningCount: count,
          learningTriggered: triggered,
          learningThreshold: threshold,
          closedAt: placement.at,
        };
        return { index, result, trade: Object.assign(trade, outcome, counted) };
      });
      const column = <K extends keyof TradeEntity>(key: K) => closed.map(({ trade }) => trade[key] ?? null);
      await tx.query(
        `UPDATE trades AS t SET status = 'CLOSED', exit_price = u.exit_price, exit_time = u.exit_time, exit_reason = u.exit_reason,
           fees = u.fees, pnl = u.pnl, realized_return = u.realized_return, holding_period_seconds = u.holding_period_seconds,
           success = u.success, max_drawdown = u.max_drawdown, take_profit_hit = u.take_profit_hit, stop_loss_hit = u.stop_loss_hit,
           learning_cycle = u.learning_cycle, learning_count = u.learning_count, learning_triggered = u.learning_triggered,
           learning_threshold = u.learning_threshold, closed_at = $17
         FROM unnest($1::uuid[], $2::float8[], $3::timestamptz[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[],
             $9::boolean[], $10::float8[], $11::boolean[], $12::boolean[], $13::int[], $14::int[], $15::boolean[], $16::int[])
           AS u(id, exit_price, exit_time, exit_reason, fees, pnl, realized_return, holding_period_seconds, success, max_drawdown,
             take_profit_hit, stop_loss_hit, learning_cycle, learning_count, learning_triggered, learning_threshold)
         WHERE t.id = u.id`,
        [
          column('id'),
          column('exitPrice'),
          column('exitTime'),
          column('exitReason'),
          column('fees'),
          column('pnl'),
          column('realizedReturn'),
          column('holdingPeriodSeconds'),
          column('success'),
          column('maxDrawdown'),
          column('takeProfitHit'),
          column('stopLossHit'),
          column('learningCycle'),
          column('learningCount'),
          column('learningTriggered'),
          column('learningThreshold'),
          placement.at,
        ],
      );
      await this.outcomes.recordTradeOutcomes(tx, closed);
      for (const { trade } of closed) await this.hooks.tradeOutcomeWillCommit?.(trade, tx);
      const jobsOfCycle = await this.learning.recordPlacement(tx, placement);
      for (const { index, trade } of closed)
        answers[index] = { repeated: false, trade, jobs: trade.learningTriggered ? jobsOfCycle.get(trade.learningCycle!)! : [] };
      return answers;
    });
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
