/** GraphQL types of the RL agents in the live loop (rl/rl.resolver.ts). */
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { RL_SNAPSHOT_REASONS } from '../entities/rl-snapshot.entity';
import type { MARKET_REGIMES } from '../lib/market-vocabulary';
import { LIQUIDITY_LEVELS, PERFORMANCE_LEVELS, VOLATILITY_LEVELS } from '../plugins/rl';
import { enumOf, MarketRegimeEnum, StrategyEnum } from '../schema/enums';
import { ModelVersion } from '../registry/model.types';
import { JSONObjectScalar } from '../schema/scalars';

const VolatilityLevelEnum = enumOf(
  VOLATILITY_LEVELS,
  'VolatilityLevel',
  'Annualised realised volatility: LOW < 15 %, MEDIUM < 30 %, HIGH < 60 %, EXTREME ≥ 60 %.',
);
const LiquidityLevelEnum = enumOf(
  LIQUIDITY_LEVELS,
  'LiquidityLevel',
  'Percentile rank of recent volume in its own history: LOW < 1/3, MEDIUM < 2/3, HIGH.',
);
const PerformanceLevelEnum = enumOf(
  PERFORMANCE_LEVELS,
  'PerformanceLevel',
  "The portfolio's last 7 days: GOOD above +5 %, POOR below −3 %, NEUTRAL between.",
);
const RlSnapshotReasonEnum = enumOf(
  RL_SNAPSHOT_REASONS,
  'RlSnapshotReason',
  'INTERVAL: every snapshot_interval_trades learned trades; REGIME_CHANGE: the table archived before a reset.',
);

@InputType({ description: 'The meta-strategy agent’s state: regime × volatility × liquidity × recent performance.' })
export class MetaStrategyStateInput {
  @Field(() => MarketRegimeEnum)
  regime!: (typeof MARKET_REGIMES)[number];

  @Field(() => VolatilityLevelEnum)
  volatility!: (typeof VOLATILITY_LEVELS)[number];

  @Field(() => LiquidityLevelEnum)
  liquidity!: (typeof LIQUIDITY_LEVELS)[number];

  @Field(() => PerformanceLevelEnum)
  performance!: (typeof PERFORMANCE_LEVELS)[number];
}

@InputType()
export class CreateRlAgentInput {
  @Field({ description: 'Registered model name; created when new.' })
  name!: string;

  @Field({ description: 'rl_meta_strategy or rl_position_sizing.' })
  family!: string;

  @Field(() => JSONObjectScalar, { nullable: true, description: "Over the family's defaults and the policy's rl_maintenance." })
  hyperparameters?: Record<string, unknown>;

  @Field({ nullable: true })
  description?: string;
}

@ObjectType({
  description: 'The agent that answered: its model, the ACTIVE version its live table descends from, and how far it has learned.',
})
class RlAgentRef {
  @Field()
  model!: string;

  @Field()
  family!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => Int, { description: '1, plus one per regime-change reset.' })
  epoch!: number;

  @Field(() => Int)
  tradesSeen!: number;
}

@ObjectType()
class StrategyValue {
  @Field(() => StrategyEnum)
  strategy!: string;

  @Field(() => Float)
  value!: number;
}

@ObjectType({
  description: 'The meta-strategy agent’s choice. Pass `decision` with the trade (logTradeExecution) so the agent learns from its outcome.',
})
export class StrategySelection {
  @Field(() => RlAgentRef)
  agent!: RlAgentRef;

  @Field(() => StrategyEnum)
  strategy!: string;

  @Field({ description: 'True when ε-greedy chose at random.' })
  explored!: boolean;

  @Field(() => Float)
  epsilon!: number;

  @Field(() => [StrategyValue])
  qValues!: StrategyValue[];

  @Field(() => [StrategyValue], { description: 'softmax(Q / temperature); sums to 1.' })
  weights!: StrategyValue[];

  @Field(() => Float)
  temperature!: number;

  @Field(() => JSONObjectScalar)
  decision!: Record<string, unknown>;
}

@ObjectType()
export class RegimeChange {
  @Field(() => RlAgentRef)
  agent!: RlAgentRef;

  @Field(() => MarketRegimeEnum, { nullable: true })
  previousRegime!: string | null;

  @Field(() => MarketRegimeEnum)
  regime!: string;

  @Field({ description: 'True when the table was archived as a snapshot and reset with ε = 0.5.' })
  reset!: boolean;

  @Field(() => ID, { nullable: true })
  snapshotId!: string | null;
}

@ObjectType({ description: 'A copy of a live table, registered as a model version (null while pending).' })
export class RlSnapshot {
  @Field(() => ID)
  id!: string;

  @Field(() => RlSnapshotReasonEnum)
  reason!: string;

  @Field(() => Int)
  epoch!: number;

  @Field(() => Int)
  tradesSeen!: number;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  registeredAt!: Date | null;

  /** Resolved by RlSnapshotResolver. */
  modelVersionId!: string | null;
}

@ObjectType({ description: 'An agent’s live table.' })
export class RlAgent {
  @Field()
  model!: string;

  @Field()
  family!: string;

  /** Resolved by RlAgentResolver. */
  sourceVersionId!: string;
  registeredModelId!: string;

  @Field(() => Int)
  epoch!: number;

  @Field(() => Int)
  tradesSeen!: number;

  @Field(() => Float)
  epsilon!: number;

  @Field(() => Int, { description: 'States the table has learned in.' })
  statesVisited!: number;

  @Field(() => Int)
  tradesSinceSnapshot!: number;

  @Field(() => MarketRegimeEnum, { nullable: true, description: 'The last regime signalled.' })
  regime!: string | null;

  @Field()
  updatedAt!: Date;
}

@ObjectType({ description: 'Replay of the transitions learned after a version was taken through its table (the replay method).' })
export class AgentReplayEvaluation {
  @Field(() => ModelVersion)
  modelVersion!: ModelVersion;

  @Field(() => Int, { description: 'Logged transitions replayed.' })
  transitions!: number;

  @Field(() => Int, { description: 'Those where the version’s greedy action equals the logged one.' })
  matched!: number;

  @Field(() => Float)
  agreementRate!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Mean reward over the matched transitions (unbiased only under uniformly random logging).',
  })
  greedyMeanReward!: number | null;

  @Field(() => Float, { nullable: true, description: 'Mean reward over all replayed transitions.' })
  loggedMeanReward!: number | null;

  @Field(() => Float, { description: 'Share of replayed transitions whose state the version had learned in.' })
  seenStateRate!: number;
}
