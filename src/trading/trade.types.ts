import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { TradeStatus } from '../entities/trade.entity';
import type { TradeSide } from '../lib/trade-math';
import { PageInfo } from '../schema/common.types';
import { TradeSideEnum, TradeStatusEnum } from '../schema/enums';
import { Job } from '../platform/jobs/job.types';
import { JSONObjectScalar } from '../schema/scalars';

@ObjectType({ description: 'A trade the orchestrator executed; CLOSED once its outcome is logged.' })
export class Trade {
  @Field(() => ID)
  id!: string;

  @Field({ description: "The orchestrator's own id; logging it again is answered, not repeated." })
  clientTradeId!: string;

  @Field()
  symbol!: string;

  @Field(() => TradeSideEnum)
  side!: TradeSide;

  @Field(() => Float)
  quantity!: number;

  @Field(() => Float)
  entryPrice!: number;

  @Field()
  entryTime!: Date;

  @Field(() => String, { nullable: true })
  strategy!: string | null;

  @Field(() => Float, { nullable: true })
  modelConfidence!: number | null;

  @Field(() => [ID], { description: 'The predictions that informed the trade; their requests get its outcome.' })
  predictionIds!: string[];

  @Field(() => JSONObjectScalar, { nullable: true, description: 'The feature snapshot at execution (name → value, null = missing).' })
  features!: Record<string, number | null> | null;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: 'How the trade was decided (e.g. the RL state and action), as passed back by the orchestrator.',
  })
  decision!: Record<string, unknown> | null;

  @Field(() => TradeStatusEnum)
  status!: TradeStatus;

  @Field(() => Float, { nullable: true })
  exitPrice!: number | null;

  @Field(() => Date, { nullable: true })
  exitTime!: Date | null;

  @Field(() => String, { nullable: true })
  exitReason!: string | null;

  @Field(() => Float, { nullable: true })
  fees!: number | null;

  @Field(() => Float, { nullable: true, description: 's · (exit − entry) · quantity − fees, with s = +1 LONG, −1 SHORT.' })
  pnl!: number | null;

  @Field(() => Float, { nullable: true, description: 'pnl / (entry price · quantity).' })
  realizedReturn!: number | null;

  @Field(() => Float, { nullable: true })
  holdingPeriodSeconds!: number | null;

  @Field(() => Boolean, { nullable: true, description: 'pnl > 0.' })
  success!: boolean | null;

  @Field(() => Float, { nullable: true, description: 'Worst adverse excursion while open, a fraction of the entry notional.' })
  maxDrawdown!: number | null;

  @Field(() => Boolean, { nullable: true })
  takeProfitHit!: boolean | null;

  @Field(() => Boolean, { nullable: true })
  stopLossHit!: boolean | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  closedAt!: Date | null;
}

@ObjectType()
export class TradeConnection {
  @Field(() => [Trade])
  nodes!: Trade[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType()
export class TradeFilter {
  @Field({ nullable: true })
  symbol?: string;

  @Field(() => TradeStatusEnum, { nullable: true })
  status?: TradeStatus;

  @Field({ nullable: true })
  strategy?: string;

  @Field({ nullable: true, description: 'Entry time at or after.' })
  from?: Date;

  @Field({ nullable: true, description: 'Entry time at or before.' })
  to?: Date;

  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;
}

@InputType()
export class LogTradeExecutionInput {
  @Field({ description: "The orchestrator's id of the trade: a retry with the same id and payload is answered without a second row." })
  clientTradeId!: string;

  @Field()
  symbol!: string;

  @Field(() => TradeSideEnum)
  side!: TradeSide;

  @Field(() => Float, { description: '> 0.' })
  quantity!: number;

  @Field(() => Float)
  entryPrice!: number;

  @Field()
  entryTime!: Date;

  @Field({ nullable: true })
  strategy?: string;

  @Field(() => Float, { nullable: true, description: 'In [0, 1].' })
  modelConfidence?: number;

  @Field(() => [ID], { nullable: true, description: 'The predictionIds tradePrediction (or predict) returned.' })
  predictionIds?: string[];

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: 'Feature snapshot: name → number or null (e.g. TradePrediction.features).',
  })
  features?: Record<string, unknown>;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description:
      'The `decision` documents of positionSizeMultiplier and strategyWeights merged into one object (their keys differ); stored as given.',
  })
  decision?: Record<string, unknown>;
}

@InputType()
export class LogTradeOutcomeInput {
  @Field()
  clientTradeId!: string;

  @Field(() => Float)
  exitPrice!: number;

  @Field({ description: 'Not before the entry.' })
  exitTime!: Date;

  @Field({ nullable: true, description: 'e.g. TAKE_PROFIT, STOP_LOSS, SIGNAL, TIME.' })
  exitReason?: string;

  @Field(() => Float, { nullable: true, description: 'Round-trip costs in the account currency, ≥ 0; default 0.' })
  fees?: number;

  @Field(() => Float, { nullable: true, description: 'Worst adverse excursion while open, a fraction of the entry notional (0.03 = 3 %).' })
  maxDrawdown?: number;

  @Field({ nullable: true })
  takeProfitHit?: boolean;

  @Field({ nullable: true })
  stopLossHit?: boolean;
}

@ObjectType({ description: 'Completed trades counted towards the next incremental update.' })
class LearningTrigger {
  @Field({
    description:
      'On logTradeOutcome: this close reached the threshold and an update was queued. On the query: the next close will trigger.',
  })
  shouldTrigger!: boolean;

  @Field(() => Int)
  tradesSinceLastUpdate!: number;

  @Field(() => Int, { description: 'policy.learning.min_trades_for_update.' })
  threshold!: number;
}

@ObjectType()
export class LearningTriggerStatus extends LearningTrigger {
  @Field(() => Int, { description: 'The counting cycle; each trigger starts the next.' })
  cycle!: number;

  @Field(() => Float, { description: 'Every trade ever closed.' })
  completedTrades!: number;

  @Field(() => Date, { nullable: true })
  lastTriggeredAt!: Date | null;
}

@ObjectType()
export class TradeOutcomeResult {
  @Field(() => Trade)
  trade!: Trade;

  @Field(() => LearningTrigger)
  learningTrigger!: LearningTrigger;

  @Field(() => [Job], { description: 'The INCREMENTAL jobs this close queued (none on a repeated outcome).' })
  jobs!: Job[];
}
