import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { LearningEventEntity } from '../entities/learning-event.entity';
import { Dataset } from '../registry/dataset.types';
import { Job } from '../platform/jobs/job.types';
import { ModelVersion, RegisteredModel } from '../registry/model.types';
import {
  LearningEvent,
  LearningEventConnection,
  LearningEventFilter,
  RetrainingPlan,
  TriggerRetrainingInput,
  TuneModelInput,
} from './retraining.types';
import type { Context } from '../schema/context';

@Resolver(() => LearningEvent)
export class RetrainingResolver {
  @Authorized('operator')
  @Mutation(() => RetrainingPlan, {
    description: 'Queues retraining jobs (one per model) at once; follow them with job(id) or jobProgress.',
  })
  triggerRetraining(@Arg('input') input: TriggerRetrainingInput, @Ctx() { services }: Context) {
    return services.retraining.requestRetraining({ ...input, trigger: 'MANUAL' });
  }

  @Authorized('operator')
  @Mutation(() => Job, {
    description:
      "Queues a TUNING job: a seeded random search over the family's hyperparameters on the ACTIVE version's dataset rebuilt now, ranked by validation loss; the best trial is registered as a SHADOW version. The trials are in the job's result.",
  })
  tuneModel(@Arg('input') input: TuneModelInput, @Ctx() { services }: Context) {
    return services.tuning.tuneModel(input);
  }

  @Authorized('viewer')
  @Query(() => LearningEventConnection, { description: 'The learning log, newest first.' })
  async learningEvents(
    @Arg('filter', () => LearningEventFilter, { nullable: true }) filter: LearningEventFilter | undefined,
    @Ctx() { services }: Context,
  ) {
    const page = await services.retraining.searchLearningEvents(filter ?? {});
    return { nodes: page.nodes, pageInfo: page };
  }

  @FieldResolver(() => RegisteredModel)
  registeredModel(@Root() event: LearningEventEntity, @Ctx() { loaders }: Context) {
    return loaders.registeredModel.load(event.registeredModelId);
  }

  @FieldResolver(() => Job, { nullable: true })
  job(@Root() event: LearningEventEntity, @Ctx() { loaders }: Context) {
    return event.jobId ? loaders.job.load(event.jobId) : null;
  }

  @FieldResolver(() => Dataset, { nullable: true })
  dataset(@Root() event: LearningEventEntity, @Ctx() { loaders }: Context) {
    return event.datasetId ? loaders.dataset.load(event.datasetId) : null;
  }

  @FieldResolver(() => ModelVersion, { nullable: true })
  versionBefore(@Root() event: LearningEventEntity, @Ctx() { loaders }: Context) {
    return event.versionBeforeId ? loaders.modelVersion.load(event.versionBeforeId) : null;
  }

  @FieldResolver(() => ModelVersion)
  versionAfter(@Root() event: LearningEventEntity, @Ctx() { loaders }: Context) {
    return loaders.modelVersion.load(event.versionAfterId);
  }
}
