import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { TuningTrial } from './tuning.types';
import type { Context } from '../schema/context';

@Resolver(() => TuningTrial)
export class TuningResolver {
  @Authorized('viewer')
  @Query(() => [TuningTrial], {
    description:
      'The trials of a TUNING job (or of a FULL retraining that tuned first, policy retraining.tune_on_full), by trial number; written as each rung of a trial finishes, so a running search shows its progress.',
  })
  tuningTrials(@Arg('jobId', () => ID) jobId: string, @Ctx() { services }: Context) {
    return services.tuning.tuningTrials(jobId);
  }
}
