import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from '../schema/context';
import { ModelComparison } from './comparison.types';

@Resolver()
export class ComparisonResolver {
  @Authorized('viewer')
  @Query(() => ModelComparison, { description: 'Two versions side by side: validation metrics, and prediction agreement on a dataset.' })
  compareModels(
    @Arg('a', () => ID) a: string,
    @Arg('b', () => ID) b: string,
    @Ctx() { services }: Context,
    @Arg('dataset', () => String, { nullable: true }) dataset?: string,
  ) {
    return services.comparison.compareModels({ a, b, dataset });
  }
}
