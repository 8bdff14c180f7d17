import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { JobEntity } from '../../entities/job.entity';
import { Job, JobConnection, JobFilter } from './job.types';
import type { Context } from '../../schema/context';

@Resolver(() => Job)
export class JobResolver {
  @Authorized('viewer')
  @Query(() => Job)
  job(@Arg('id', () => ID) id: string, @Ctx() { services }: Context) {
    return services.jobs.getJob(id);
  }

  @Authorized('viewer')
  @Query(() => JobConnection)
  async jobs(@Arg('filter', () => JobFilter, { nullable: true }) filter: JobFilter | undefined, @Ctx() { services }: Context) {
    const modelId = filter?.model ? (await services.registry.getRegisteredModel(filter.model)).id : undefined;
    const page = await services.jobs.searchJobs({ ...filter, modelId });
    return { nodes: page.nodes, pageInfo: page };
  }

  @Authorized('operator')
  @Mutation(() => Job, { description: 'Cancels a queued job at once; a running one stops within about a second.' })
  cancelJob(@Arg('id', () => ID) id: string, @Ctx() { services }: Context) {
    return services.jobs.cancelJob(id);
  }

  @FieldResolver(() => Number, { nullable: true, description: 'Run time in milliseconds, once finished.' })
  durationMs(@Root() job: JobEntity): number | null {
    return job.startedAt && job.finishedAt ? job.finishedAt.getTime() - job.startedAt.getTime() : null;
  }

  @FieldResolver(() => Number, { nullable: true, description: 'Time in milliseconds from queueing to the start of the latest attempt.' })
  waitMs(@Root() job: JobEntity): number | null {
    return job.startedAt ? job.startedAt.getTime() - job.createdAt.getTime() : null;
  }

  @FieldResolver(() => Int, { description: 'Seconds an attempt may run before it is stopped (from the policy when queued).' })
  timeLimitSeconds(@Root() job: JobEntity): number {
    return job.timeLimitSeconds;
  }

  @FieldResolver(() => Int, { description: 'Further attempts after a failed or lost one (from the policy when queued).' })
  retryLimit(@Root() job: JobEntity): number {
    return job.retryLimit;
  }
}
