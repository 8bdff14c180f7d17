import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import {
  PositionSize,
  PositionSizeInput,
  StrategyWeights,
  StrategyWeightsInput,
  TradePrediction,
  TradePredictionInput,
} from './decision.types';
import type { Context } from '../schema/context';

@Resolver()
export class DecisionResolver {
  @Authorized('trader')
  @Mutation(() => TradePrediction, {
    description:
      'Forecasts of the horizon models the policy maps (trade_prediction.horizons), one signal with its confidence, the risk, and the prediction ids to pass with the execution.',
  })
  tradePrediction(@Arg('input') input: TradePredictionInput, @Ctx() { services }: Context) {
    return services.decision.tradePrediction({ ...input, asOf: input.asOf?.getTime() });
  }

  @Authorized('trader')
  @Mutation(() => PositionSize, {
    description:
      'The multiplier of the base position: capped Kelly × drawdown × volatility target (or an ACTIVE RL agent), within the policy risk limits.',
  })
  positionSizeMultiplier(@Arg('input') input: PositionSizeInput, @Ctx() { services }: Context) {
    return services.decision.positionSizeMultiplier(input);
  }

  @Authorized('trader')
  @Mutation(() => StrategyWeights, {
    description: 'Capital weights across strategies: regime prior × confidence with a floor (or an ACTIVE RL agent).',
  })
  strategyWeights(@Arg('input') input: StrategyWeightsInput, @Ctx() { services }: Context) {
    return services.decision.strategyWeights(input);
  }
}
