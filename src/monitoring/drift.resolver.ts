import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { DriftEventEntity } from '../entities/drift-event.entity';
import type { EventEntity } from '../entities/event.entity';
import type { DriftSeverity } from './drift-assessment';
import { DriftCheck, DriftEvent, DriftEventConnection, DriftEventFilter, DriftSeverityEnum } from './drift.types';
import { Event } from '../platform/events/event.types';
import { Job } from '../platform/jobs/job.types';
import { ModelVersion, RegisteredModel } from '../registry/model.types';
import type { DriftCheck as Check } from './drift.service';
import type { Context } from '../schema/context';
import { subscribeChecked } from '../schema/subscription-args';

function toGraphQL(check: Check): DriftCheck {
  return {
    registeredModel: check.model,
    modelVersion: check.modelVersion,
    severity: check.severity,
    reasons: check.reasons,
    windowRows: check.windowRows,
    outcomeRows: check.outcomeRows,
    distributions: check.assessment?.distributions ?? [],
    performance: check.assessment?.performance ?? [],
    event: check.event,
    checkedAt: check.checkedAt,
  };
}

interface DriftAlertArgs {
  minSeverity?: DriftSeverity;
  model?: string;
  after?: string;
}

@Resolver(() => DriftEvent)
export class DriftResolver {
  @Authorized('viewer')
  @Query(() => DriftEventConnection, { description: 'Recorded drift, newest first.' })
  async driftEvents(
    @Arg('filter', () => DriftEventFilter, { nullable: true }) filter: DriftEventFilter | undefined,
    @Ctx() { services }: Context,
  ) {
    const page = await services.drift.searchDriftEvents(filter ?? {});
    return { nodes: page.nodes, pageInfo: page };
  }

  @Authorized('operator')
  @Mutation(() => DriftCheck, {
    description: "Checks the model's ACTIVE version for drift now; drift found is recorded and answered by the response policy.",
  })
  async checkDrift(@Arg('model') model: string, @Ctx() { services }: Context) {
    return toGraphQL(await services.drift.checkDrift(model, { trigger: 'MANUAL' }));
  }

  @Authorized('viewer')
  @Subscription(() => Event, {
    description: 'drift.detected events of at least `minSeverity` (default LOW); with `after`, first every one after that event id.',
    subscribe: ({ args, context }) =>
      subscribeChecked(args as DriftAlertArgs, context as Context, () =>
        (context as Context).services.drift.subscribeDriftAlerts(args as DriftAlertArgs),
      ),
  })
  driftAlerts(
    @Root() event: EventEntity,
    @Arg('minSeverity', () => DriftSeverityEnum, { nullable: true }) _minSeverity?: DriftSeverity,
    @Arg('model', () => String, { nullable: true }) _model?: string,
    @Arg('after', () => ID, { nullable: true }) _after?: string,
  ): EventEntity {
    return event;
  }

  @FieldResolver(() => RegisteredModel)
  registeredModel(@Root() event: DriftEventEntity, @Ctx() { loaders }: Context) {
    return loaders.registeredModel.load(event.registeredModelId);
  }

  @FieldResolver(() => ModelVersion, { description: 'The ACTIVE version whose training reference the recent data was compared with.' })
  modelVersion(@Root() event: DriftEventEntity, @Ctx() { loaders }: Context) {
    return loaders.modelVersion.load(event.modelVersionId);
  }

  @FieldResolver(() => Job, { nullable: true, description: 'The scheduled DRIFT_CHECK job that found it.' })
  checkJob(@Root() event: DriftEventEntity, @Ctx() { loaders }: Context) {
    return event.checkJobId ? loaders.job.load(event.checkJobId) : null;
  }

  @FieldResolver(() => [Job], { description: 'The retraining jobs the response queued.' })
  async retrainingJobs(@Root() event: DriftEventEntity, @Ctx() { loaders }: Context) {
    const jobs = await loaders.job.loadMany(event.retrainingJobIds);
    return jobs.filter((job) => job && !(job instanceof Error));
  }
}
