import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { ModelVersion } from '../registry/model.types';
import { PredictBatchInput, Prediction, PredictInput } from './prediction.types';
import type { PredictionResult } from './serving.service';
import type { Context } from '../schema/context';

@Resolver(() => Prediction)
export class PredictionResolver {
  @Authorized('trader')
  @Mutation(() => Prediction, { description: 'Scores one row with the ACTIVE version (every SHADOW version scores it too).' })
  predict(@Arg('input') input: PredictInput, @Ctx() { services }: Context) {
    return services.serving.predict(input);
  }

  @Authorized('trader')
  @Mutation(() => [Prediction], { description: 'Scores up to 10,000 rows in one session run.' })
  predictBatch(@Arg('input') input: PredictBatchInput, @Ctx() { services }: Context) {
    return services.serving.predictBatch(input);
  }

  @FieldResolver(() => ModelVersion)
  modelVersion(@Root() prediction: PredictionResult) {
    return prediction.modelVersion;
  }
}
