import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import type { MarketRegime, Strategy } from '../lib/market-vocabulary';
import type { SignalDirection } from './trade-signal';
import type { DecisionSourceKind } from './decision.service';
import { DecisionSourceKindEnum, MarketRegimeEnum, SignalDirectionEnum, StrategyEnum } from '../schema/enums';
import { Prediction } from '../serving/prediction.types';
import { JSONObjectScalar } from '../schema/scalars';

@InputType({ description: 'The portfolio as the orchestrator sees it; what a decision does not need may be left out.' })
class PortfolioInput {
  @Field(() => Float, { nullable: true, description: 'Account equity in the account currency, > 0.' })
  equity?: number;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  openPositions?: number;

  @Field(() => Float, { nullable: true, defaultValue: 0, description: 'Gross notional of the open positions.' })
  grossExposure?: number;

  @Field(() => Float, { nullable: true, defaultValue: 0, description: 'Drawdown from peak equity, a fraction in [0, 1].' })
  currentDrawdown?: number;

  @Field(() => Float, { nullable: true, description: 'Return over the last 7 days, in percent.' })
  pnlPercent7d?: number;
}

@InputType({ description: 'Market figures the RL meta-strategy agent’s state needs besides the regime; the rule does not use them.' })
class MarketStateInput {
  @Field(() => Float, { nullable: true, description: 'Annualised realised volatility (0.2 = 20 %).' })
  annualizedVolatility?: number;

  @Field(() => Float, { nullable: true, description: 'Percentile rank of recent volume within its own history, in [0, 1].' })
  volumePercentile?: number;
}

@ObjectType({ description: 'Which rule or model produced an answer.' })
class DecisionSource {
  @Field(() => DecisionSourceKindEnum)
  kind!: DecisionSourceKind;

  @Field({ description: 'The rule, or the registered model.' })
  name!: string;

  @Field(() => Int, { nullable: true, description: 'The model version (null for a rule).' })
  version!: number | null;
}

// tradePrediction

@InputType()
export class TradePredictionInput {
  @Field()
  symbol!: string;

  @Field({ nullable: true, defaultValue: '1d' })
  timeframe?: string;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: 'Named feature values (null = missing); by default computed from the stored bars of symbol.',
  })
  features?: Record<string, unknown>;

  @Field({ nullable: true, description: 'Without features: use the last bar at or before this time (default: the latest).' })
  asOf?: Date;

  @Field(() => Float, {
    nullable: true,
    description: 'Signed notional of the intended position for the risk figures; default 1 (risk per unit of notional).',
  })
  positionValue?: number;

  @Field(() => PortfolioInput, { nullable: true })
  portfolio?: PortfolioInput;
}

@ObjectType({ description: 'One horizon model’s forecast.' })
class HorizonPrediction {
  @Field(() => Int, { description: 'Days (bars) ahead.' })
  horizon!: number;

  @Field()
  model!: string;

  @Field(() => Prediction)
  prediction!: Prediction;

  @Field(() => Float, { nullable: true, description: 'A regression model’s predicted forward return.' })
  expectedReturn!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Probability of a rise over the horizon (Φ(μ/RMSE) for a regression, the output for a binary model).',
  })
  probabilityUp!: number | null;
}

@ObjectType()
class UnavailableHorizon {
  @Field(() => Int)
  horizon!: number;

  @Field()
  model!: string;

  @Field()
  reason!: string;
}

@ObjectType()
class HorizonRisk {
  @Field(() => Int)
  horizon!: number;

  @Field(() => Float)
  expectedReturn!: number;

  @Field(() => Float, { description: 'Predicted volatility of the return over the horizon: σ · √h.' })
  volatility!: number;

  @Field(() => Float)
  expectedPnl!: number;

  @Field(() => Float, { description: 'Gaussian value at risk at the confidence level, a positive loss.' })
  valueAtRisk!: number;

  @Field(() => Float, { description: 'Expected shortfall (CVaR) at the confidence level.' })
  expectedShortfall!: number;

  @Field(() => Float)
  probabilityOfLoss!: number;

  @Field(() => Float, { nullable: true, description: 'valueAtRisk / portfolio equity, when the equity is given.' })
  valueAtRiskOfEquity!: number | null;
}

@ObjectType({ description: 'Gaussian risk of positionValue at each regression horizon (trading/risk.ts).' })
class TradeRisk {
  @Field(() => Float, { description: '0.95.' })
  confidenceLevel!: number;

  @Field(() => Float)
  positionValue!: number;

  @Field(() => Float, { description: 'σ, per bar (the vol_20 feature).' })
  perBarVolatility!: number;

  @Field(() => [HorizonRisk])
  horizons!: HorizonRisk[];
}

@ObjectType()
export class TradePrediction {
  @Field({ description: 'Shared by every horizon’s prediction.' })
  requestId!: string;

  @Field()
  symbol!: string;

  @Field()
  timeframe!: string;

  @Field(() => Date, { nullable: true, description: 'The bar the features describe, when computed from stored bars.' })
  asOf!: Date | null;

  @Field(() => JSONObjectScalar, { description: 'The features scored; pass them as the trade’s feature snapshot.' })
  features!: Record<string, number | null>;

  @Field(() => [HorizonPrediction])
  horizons!: HorizonPrediction[];

  @Field(() => [UnavailableHorizon], { description: 'Horizons whose model is missing or not servable, and why.' })
  unavailable!: UnavailableHorizon[];

  @Field(() => [String], { description: 'Pass these with logTradeExecution: the trade’s outcome becomes theirs.' })
  predictionIds!: string[];

  @Field(() => SignalDirectionEnum, { nullable: true })
  direction!: SignalDirection | null;

  @Field(() => Float, {
    nullable: true,
    description: 'max(p, 1 − p) for p the mean probability of a rise across horizons (trading/trade-signal.ts).',
  })
  confidence!: number | null;

  @Field(() => Float, { nullable: true })
  probabilityUp!: number | null;

  @Field(() => TradeRisk, { nullable: true, description: 'Null without a vol_20 feature or a regression horizon.' })
  risk!: TradeRisk | null;
}

// positionSizeMultiplier

@InputType()
export class PositionSizeInput {
  @Field()
  symbol!: string;

  @Field(() => Float, { description: 'The strategy’s usual position, as notional in the account currency.' })
  baseSize!: number;

  @Field(() => Float, { description: 'Probability the trade wins, in [0, 1].' })
  strategyConfidence!: number;

  @Field(() => PortfolioInput, { description: 'equity is required.' })
  portfolio!: PortfolioInput;

  @Field(() => MarketRegimeEnum, { nullable: true, description: 'Used by the RL sizing agent; the rule ignores it.' })
  regime?: MarketRegime;

  @Field(() => Float, { nullable: true, description: 'Average win / average loss; default 1.' })
  payoffRatio?: number;

  @Field(() => Float, { nullable: true, description: 'Annualised; default vol_20 × √252 from the symbol’s daily bars.' })
  realizedVolatility?: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Entry-to-stop distance as a fraction of the price; default 2 × atr_14 from the daily bars.',
  })
  stopDistance?: number;
}

@ObjectType()
class KellyTerms {
  @Field(() => Float, { description: 'f* = p − (1 − p) / b.' })
  full!: number;

  @Field(() => Float, { description: 'After the Kelly fraction and its cap.' })
  fraction!: number;

  @Field(() => Float)
  multiplier!: number;
}

@ObjectType()
class SizingInputs {
  @Field(() => Float)
  winProbability!: number;

  @Field(() => Float)
  payoffRatio!: number;

  @Field(() => Float)
  realizedVolatility!: number;

  @Field(() => Float)
  stopDistance!: number;

  @Field(() => Float)
  currentDrawdown!: number;

  @Field(() => Float, { description: 'baseSize / equity.' })
  baseFraction!: number;
}

@ObjectType()
export class PositionSize {
  @Field()
  symbol!: string;

  @Field(() => DecisionSource)
  source!: DecisionSource;

  @Field(() => Float, { description: 'The multiplier of baseSize to trade, after the risk limits.' })
  multiplier!: number;

  @Field(() => Float, { description: 'baseSize × multiplier.' })
  positionSize!: number;

  @Field(() => Float, { description: 'What the rule or agent proposed, before the risk limits.' })
  proposedMultiplier!: number;

  @Field(() => Float)
  leverage!: number;

  @Field()
  explanation!: string;

  @Field(() => [String], { description: 'The sizing rule’s caps and floors that applied (no_edge, max_kelly_fraction, drawdown_stop, …).' })
  ruleLimits!: string[];

  @Field(() => [String], { description: 'The policy risk limits that cut the proposal (maxRiskPerTrade, maxLeverage, maxOpenPositions).' })
  clampedBy!: string[];

  @Field(() => KellyTerms, { nullable: true })
  kelly!: KellyTerms | null;

  @Field(() => Float, { nullable: true })
  drawdownScale!: number | null;

  @Field(() => Float, { nullable: true })
  volatilityScale!: number | null;

  @Field(() => SizingInputs)
  inputs!: SizingInputs;

  @Field(() => Float, { description: 'Notional of the position / equity.' })
  notionalFraction!: number;

  @Field(() => Float, { description: 'Loss at the stop / equity.' })
  riskFraction!: number;

  @Field(() => JSONObjectScalar, {
    description: 'Merge into logTradeExecution’s decision ({ position_size: …, and an RL agent’s own key }).',
  })
  decision!: Record<string, unknown>;
}

// strategyWeights

@InputType()
class StrategyConfidenceInput {
  @Field(() => StrategyEnum)
  strategy!: Strategy;

  @Field(() => Float, { description: 'In [0, 1].' })
  confidence!: number;
}

@InputType()
export class StrategyWeightsInput {
  @Field(() => [StrategyConfidenceInput])
  strategies!: StrategyConfidenceInput[];

  @Field(() => MarketRegimeEnum)
  regime!: MarketRegime;

  @Field(() => PortfolioInput, { nullable: true })
  portfolio?: PortfolioInput;

  @Field(() => MarketStateInput, {
    nullable: true,
    description: 'With portfolio.pnlPercent7d, what an ACTIVE RL meta-strategy agent needs to answer.',
  })
  market?: MarketStateInput;

  @Field(() => Float, { nullable: true, description: 'Least weight of any strategy; default 0.05.' })
  floor?: number;
}

@ObjectType()
class StrategyWeight {
  @Field(() => StrategyEnum)
  strategy!: Strategy;

  @Field(() => Float)
  weight!: number;

  @Field(() => Float, { nullable: true, description: 'The rule’s prior of the strategy in the regime.' })
  prior!: number | null;

  @Field(() => Float, { nullable: true })
  confidence!: number | null;

  @Field(() => String, { nullable: true })
  explanation!: string | null;
}

@ObjectType()
export class StrategyWeights {
  @Field(() => MarketRegimeEnum)
  regime!: MarketRegime;

  @Field(() => DecisionSource)
  source!: DecisionSource;

  @Field(() => [StrategyWeight], { description: 'Sum to 1.' })
  weights!: StrategyWeight[];

  @Field(() => Float)
  floor!: number;

  @Field()
  explanation!: string;

  @Field(() => JSONObjectScalar, {
    description: 'Merge into logTradeExecution’s decision ({ strategy_weights: …, and an RL agent’s own key }).',
  })
  decision!: Record<string, unknown>;
}
