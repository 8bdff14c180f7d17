import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Job } from '../platform/jobs/job.types';
import { TrainModelInput } from '../registry/model.inputs';
import type { Context } from '../schema/context';

@Resolver()
export class TrainingResolver {
  @Authorized('operator')
  @Mutation(() => Job, {
    description: 'Queues training of a new version; returns the job at once (follow it with job(id) or jobProgress).',
  })
  trainModel(@Arg('input') input: TrainModelInput, @Ctx() { services }: Context) {
    return services.training.trainModel(input);
  }
}
