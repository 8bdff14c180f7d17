import { Field, Float, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A scheduled task and when it fires next in the answering process.' })
export class Schedule {
  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field(() => String, { nullable: true, description: 'Five-field cron expression in `timezone`, for cron schedules.' })
  cron!: string | null;

  @Field(() => Float, { nullable: true, description: 'Period in hours, for interval schedules (slots aligned to the Unix epoch).' })
  everyHours!: number | null;

  @Field()
  timezone!: string;

  @Field({ description: 'Whether the schedule is on under the current policy.' })
  enabled!: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'Null when this process does not run schedules (KYBERNET_SCHEDULER=false) or the schedule is off.',
  })
  nextFiring!: Date | null;
}
