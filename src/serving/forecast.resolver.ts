import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Forecast, ForecastBatchInput, ForecastInput } from './forecast.types';
import type { Context } from '../schema/context';

@Resolver(() => Forecast)
export class ForecastResolver {
  @Authorized('trader')
  @Mutation(() => Forecast, {
    description: 'Forecasts with the ACTIVE version of a sequence model (every SHADOW version forecasts the same history).',
  })
  forecast(@Arg('input') input: ForecastInput, @Ctx() { services }: Context) {
    return services.serving.forecast(input);
  }

  @Authorized('trader')
  @Mutation(() => [Forecast], { description: 'Forecasts several histories in one session run.' })
  forecastBatch(@Arg('input') input: ForecastBatchInput, @Ctx() { services }: Context) {
    return services.serving.forecastBatch(input);
  }
}
