import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { LearningKind } from '../entities/learning-event.entity';
import { PageInfo } from '../schema/common.types';
import { RetrainingKindEnum } from '../schema/enums';
import { Job } from '../platform/jobs/job.types';
import { JSONObjectScalar, JSONScalar } from '../schema/scalars';
import { FoldSchemeInput } from '../schema/validation-scheme.types';

@InputType()
export class TriggerRetrainingInput {
  @Field(() => RetrainingKindEnum)
  kind!: LearningKind;

  @Field(() => [String], {
    nullable: true,
    description:
      'Registered model names; required for PARTIAL. FULL and INCREMENTAL without them take every model they can. A name that is not registered is listed under skipped while the others are queued (none registered: NOT_FOUND).',
  })
  models?: string[] | null;

  @Field({ description: 'Why, in words; kept on the jobs and the learning events.' })
  reason!: string;

  @Field(() => String, { nullable: true, description: 'INCREMENTAL only: a dataset (name or id) with the new rows, e.g. the trade log.' })
  dataset?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'INCREMENTAL with dataset: its target column, when named differently from the training.',
  })
  targetColumn?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'INCREMENTAL with dataset: its order column, when named differently from the training.',
  })
  orderColumn?: string | null;
}

@InputType({ description: "A random search over the model's family's hyperparameters, around its ACTIVE version's training." })
export class TuneModelInput {
  @Field()
  model!: string;

  @Field(() => Int, {
    nullable: true,
    description: "Trials, the ACTIVE version's own hyperparameters first; 2 to 100, default policy retraining.tuning_trials (8).",
  })
  trials?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seed of the search (the same seed samples the same trials); default 0.' })
  seed?: number | null;

  @Field(() => FoldSchemeInput, {
    nullable: true,
    description: 'How each trial is scored (tabular families); default policy retraining.tuning_scheme. Refused for a sequence model.',
  })
  scheme?: FoldSchemeInput | null;
}

@ObjectType()
class SkippedRetraining {
  @Field()
  model!: string;

  @Field()
  reason!: string;
}

@ObjectType({ description: 'The jobs a retraining request queued (one per model) and the models it left out.' })
export class RetrainingPlan {
  @Field(() => [Job])
  jobs!: Job[];

  @Field(() => [SkippedRetraining])
  skipped!: SkippedRetraining[];
}

@ObjectType({ description: 'One thing a model learned: from which version, on which rows, with what change.' })
export class LearningEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => RetrainingKindEnum)
  kind!: LearningKind;

  @Field({ description: 'What queued the job: MANUAL, SCHEDULE, TRADES, DRIFT or PERFORMANCE.' })
  trigger!: string;

  @Field()
  reason!: string;

  @Field(() => Int)
  rowsUsed!: number;

  @Field(() => JSONScalar, { nullable: true, description: 'Order value of the first row used (epoch ms for timestamps).' })
  dataStart!: unknown;

  @Field(() => JSONScalar, { nullable: true, description: 'Order value of the last row used.' })
  dataEnd!: unknown;

  @Field(() => JSONObjectScalar, { description: 'The version before, scored on the rows the version after was validated on.' })
  metricsBefore!: Record<string, number>;

  @Field(() => JSONObjectScalar, { description: 'The version after, on its validation rows.' })
  metricsAfter!: Record<string, number>;

  @Field(() => JSONObjectScalar, { description: 'after − before for every metric both have.' })
  metricChange!: Record<string, number>;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class LearningEventConnection {
  @Field(() => [LearningEvent])
  nodes!: LearningEvent[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType()
export class LearningEventFilter {
  @Field({ nullable: true })
  model?: string;

  @Field(() => [RetrainingKindEnum], { nullable: true })
  kind?: LearningKind[];

  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;
}
