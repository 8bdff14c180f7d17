import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { PredictionConnection, PredictionFilter, RecordOutcomeInput } from './outcome.types';
import { Prediction } from '../serving/prediction.types';
import type { Context } from '../schema/context';

@Resolver(() => Prediction)
export class OutcomeResolver {
  @Authorized('trader')
  @Mutation(() => Prediction, {
    description:
      "Records the realised value of a prediction's request (for predictions that did not lead to a trade): actual, or for a forecast its realised rows as values; the same again is idempotent, another is CONFLICT.",
  })
  recordOutcome(@Arg('input') input: RecordOutcomeInput, @Ctx() { services }: Context) {
    return services.outcomes.recordOutcome(input);
  }

  @Authorized('viewer')
  @Query(() => PredictionConnection, { description: 'Logged predictions (ACTIVE and SHADOW), newest first, with their outcomes.' })
  async predictions(
    @Arg('filter', () => PredictionFilter, { nullable: true }) filter: PredictionFilter | undefined,
    @Ctx() { services }: Context,
  ) {
    const page = await services.outcomes.searchPredictions(filter ?? {});
    return { nodes: page.nodes, pageInfo: page };
  }
}
