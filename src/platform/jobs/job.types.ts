import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { JobKind, JobStatus, JobTrigger } from '../../entities/job.entity';
import { PageInfo } from '../../schema/common.types';
import { JobKindEnum, JobStatusEnum, JobTriggerEnum } from '../../schema/enums';
import { JSONObjectScalar } from '../../schema/scalars';

@ObjectType()
export class Job {
  @Field(() => ID)
  id!: string;

  @Field(() => JobKindEnum)
  kind!: JobKind;

  @Field(() => JobStatusEnum)
  status!: JobStatus;

  @Field(() => JobTriggerEnum)
  trigger!: JobTrigger;

  @Field()
  reason!: string;

  @Field(() => Float, { description: 'From 0 to 1.' })
  progress!: number;

  @Field(() => String, { nullable: true })
  progressMessage!: string | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  result!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  workerId!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Last sign of life from the worker running it; a RUNNING job whose heartbeat stops is retried or failed.',
  })
  heartbeatAt!: Date | null;
}

@ObjectType()
export class JobConnection {
  @Field(() => [Job])
  nodes!: Job[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType()
export class JobFilter {
  @Field(() => [JobStatusEnum], { nullable: true })
  status?: JobStatus[];

  @Field(() => [JobKindEnum], { nullable: true })
  kind?: JobKind[];

  @Field({ nullable: true })
  model?: string;

  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;
}
