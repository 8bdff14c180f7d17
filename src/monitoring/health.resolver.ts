import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { ModelHealth } from './health.types';
import type { Context } from '../schema/context';

@Resolver(() => ModelHealth)
export class HealthResolver {
  @Authorized('viewer')
  @Query(() => ModelHealth, { description: "The ACTIVE version's health now: win rate, calibration, long/short balance, latency, counts." })
  async modelHealth(@Arg('name') name: string, @Ctx() { services }: Context) {
    const { model, ...health } = await services.health.modelHealth(name);
    return { ...health, registeredModel: model };
  }
}
