import { Arg, Authorized, Ctx, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { EventEntity } from '../../entities/event.entity';
import { Event } from './event.types';
import { PROMOTION_EVENT_TYPES } from './event-types';
import { validateEventTypes } from './events.service';
import type { Context } from '../../schema/context';
import { subscribeChecked, type SubscriptionArgs } from '../../schema/subscription-args';

interface SubscribeArgs extends SubscriptionArgs {
  types?: string[];
}

function subscribe({ args, context }: { args: SubscribeArgs; context: Context }, types?: string[]) {
  validateEventTypes(args.types);
  return subscribeChecked(args, context, () =>
    context.services.eventStream.subscribe(
      { types: types ?? args.types, modelName: args.model ?? undefined, jobId: args.jobId },
      args.after ?? undefined,
    ),
  );
}

@Resolver(() => Event)
export class EventResolver {
  @Authorized('viewer')
  @Query(() => [Event], { description: 'The event log in id order, after `after`.' })
  events(
    @Ctx() { services }: Context,
    @Arg('after', () => ID, { nullable: true }) after?: string,
    @Arg('types', () => [String], { nullable: true }) types?: string[],
    @Arg('model', () => String, { nullable: true }) model?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
  ) {
    return services.events.list({ after, types, modelName: model, limit: first });
  }

  @Authorized('viewer')
  @Subscription(() => Event, {
    name: 'events',
    description: 'Events as they commit; with `after`, first every event after that id (nothing missed across reconnects).',
    subscribe: (data) => subscribe(data as never),
  })
  eventsSubscription(
    @Root() event: EventEntity,
    @Arg('types', () => [String], { nullable: true }) _types?: string[],
    @Arg('model', () => String, { nullable: true }) _model?: string,
    @Arg('after', () => ID, { nullable: true }) _after?: string,
  ): EventEntity {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => Event, {
    description: 'Promotions, rollbacks, retirements and shadow verdicts.',
    subscribe: (data) => subscribe(data as never, PROMOTION_EVENT_TYPES),
  })
  promotionAlerts(
    @Root() event: EventEntity,
    @Arg('model', () => String, { nullable: true }) _model?: string,
    @Arg('after', () => ID, { nullable: true }) _after?: string,
  ): EventEntity {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => Event, {
    description: "One job's events: queued, started, progress, and how it ended.",
    subscribe: (data) =>
      subscribe(data as never, ['job.queued', 'job.started', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled']),
  })
  jobProgress(
    @Root() event: EventEntity,
    @Arg('jobId', () => ID) _jobId: string,
    @Arg('after', () => ID, { nullable: true }) _after?: string,
  ): EventEntity {
    return event;
  }
}
