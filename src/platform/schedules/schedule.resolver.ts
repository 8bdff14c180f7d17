import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../schema/context';
import { Schedule } from './schedule.types';

@Resolver()
export class ScheduleResolver {
  @Authorized('viewer')
  @Query(() => [Schedule], { description: 'The scheduled tasks under the current policy.' })
  async schedules(@Ctx() { services }: Context) {
    return (await services.scheduler.states()).map((state) => ({
      name: state.name,
      description: state.description,
      cron: state.timing && 'cron' in state.timing ? state.timing.cron : null,
      everyHours: state.timing && 'everyHours' in state.timing ? state.timing.everyHours : null,
      timezone: state.timezone,
      enabled: state.timing !== null,
      nextFiring: state.nextFiring,
    }));
  }
}
