import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { TradeSide } from '../lib/trade-math';

export const TRADE_STATUSES = ['OPEN', 'CLOSED'] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

/** A trade the orchestrator executed: logged OPEN by logTradeExecution, CLOSED by logTradeOutcome. */
@Entity('trades')
@Index('trades_symbol_entry', ['symbol', 'entryTime', 'id'])
@Index('trades_entry', ['entryTime', 'id'])
export class TradeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The orchestrator's own id: logging the same execution again is answered, not repeated. */
  @Column({ name: 'client_trade_id', type: 'text', unique: true })
  clientTradeId!: string;

  @Column({ type: 'text' })
  symbol!: string;

  @Column({ type: 'text' })
  side!: TradeSide;

  @Column({ type: 'double precision' })
  quantity!: number;

  @Column({ name: 'entry_price', type: 'double precision' })
  entryPrice!: number;

  @Column({ name: 'entry_time', type: 'timestamptz' })
  entryTime!: Date;

  @Column({ type: 'text', nullable: true })
  strategy!: string | null;

  @Column({ name: 'model_confidence', type: 'double precision', nullable: true })
  modelConfidence!: number | null;

  /** The predictions that informed the trade; their requests get the trade's outcome. */
  @Column({ name: 'prediction_ids', type: 'uuid', array: true, default: () => "'{}'" })
  predictionIds!: string[];

  /** The feature snapshot at execution (name → value, null = missing): trade-log datasets learn from it. */
  @Column({ type: 'jsonb', nullable: true })
  features!: Record<string, number | null> | null;

  /** How the trade was decided (e.g. an RL agent's state and action), as the orchestrator passed it back. */
  @Column({ type: 'jsonb', nullable: true })
  decision!: Record<string, unknown> | null;

  @Column({ type: 'text' })
  status!: TradeStatus;

  @Column({ name: 'exit_price', type: 'double precision', nullable: true })
  exitPrice!: number | null;

  @Column({ name: 'exit_time', type: 'timestamptz', nullable: true })
  exitTime!: Date | null;

  @Column({ name: 'exit_reason', type: 'text', nullable: true })
  exitReason!: string | null;

  @Column({ type: 'double precision', nullable: true })
  fees!: number | null;

  @Column({ type: 'double precision', nullable: true })
  pnl!: number | null;

  @Column({ name: 'realized_return', type: 'double precision', nullable: true })
  realizedReturn!: number | null;

  @Column({ name: 'holding_period_seconds', type: 'double precision', nullable: true })
  holdingPeriodSeconds!: number | null;

  @Column({ type: 'boolean', nullable: true })
  success!: boolean | null;

  /** Worst adverse excursion while open, a fraction of the entry notional. */
  @Column({ name: 'max_drawdown', type: 'double precision', nullable: true })
  maxDrawdown!: number | null;

  @Column({ name: 'take_profit_hit', type: 'boolean', nullable: true })
  takeProfitHit!: boolean | null;

  @Column({ name: 'stop_loss_hit', type: 'boolean', nullable: true })
  stopLossHit!: boolean | null;

  /** The learning cycle the closed trade was counted in (see learning-trigger.service.ts). */
  @Column({ name: 'learning_cycle', type: 'integer', nullable: true })
  learningCycle!: number | null;

  /** Completed trades of that cycle, this one included, when it closed. */
  @Column({ name: 'learning_count', type: 'integer', nullable: true })
  learningCount!: number | null;

  /** Whether this trade's close reached the threshold and triggered learning. */
  @Column({ name: 'learning_triggered', type: 'boolean', nullable: true })
  learningTriggered!: boolean | null;

  /** The policy's threshold when it closed. */
  @Column({ name: 'learning_threshold', type: 'integer', nullable: true })
  learningThreshold!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}
