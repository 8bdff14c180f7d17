import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { LearningStatus } from './learning-switch.types';
import type { Context } from '../schema/context';

@Resolver(() => LearningStatus)
export class LearningSwitchResolver {
  @Authorized('viewer')
  @Query(() => LearningStatus, { description: 'Whether automatic learning runs, and what is paused since when, by whom and why.' })
  learningStatus(@Ctx() { services }: Context) {
    return services.learningSwitch.status();
  }

  @Authorized('operator')
  @Mutation(() => LearningStatus, {
    description:
      'Pauses automatic learning of every model, or of one: no job is queued by schedules, trades, drift or health, and shadows are only recommended. Manual training, retraining, promotion and rollback still work. Already paused: CONFLICT (LEARNING_ALREADY_PAUSED).',
  })
  pauseLearning(
    @Arg('reason') reason: string,
    @Arg('model', () => String, { nullable: true }) model: string | null | undefined,
    @Ctx() { services, principal }: Context,
  ) {
    return services.learningSwitch.pause({ reason, model }, principal);
  }

  @Authorized('operator')
  @Mutation(() => LearningStatus, {
    description:
      'Resumes automatic learning: of one model (its pause ends, its failure count restarts), or without a model the pause of every model (models paused on their own stay paused). Not paused: CONFLICT (LEARNING_NOT_PAUSED).',
  })
  resumeLearning(
    @Arg('reason') reason: string,
    @Arg('model', () => String, { nullable: true }) model: string | null | undefined,
    @Ctx() { services, principal }: Context,
  ) {
    return services.learningSwitch.resume({ reason, model }, principal);
  }
}
