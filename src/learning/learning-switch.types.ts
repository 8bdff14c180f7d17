import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A model whose automatic learning is paused on its own: by the circuit breaker or by an operator.' })
export class PausedModel {
  @Field()
  model!: string;

  @Field()
  since!: Date;

  @Field({ description: "'circuit breaker', or the name of the API key that paused it." })
  pausedBy!: string;

  @Field()
  reason!: string;

  @Field(() => [ID], { description: 'The FAILED jobs in a row that tripped the circuit breaker (empty for an operator’s pause).' })
  jobIds!: string[];

  @Field(() => Int, { description: 'FAILED retraining jobs in a row now.' })
  consecutiveFailures!: number;
}

@ObjectType({
  description:
    'Whether automatic learning runs (schedules, the trade trigger, drift- and health-requested retraining, automatic promotion). Manual operations always do.',
})
export class LearningStatus {
  @Field({ description: 'policy learning.enabled and not paused by pauseLearning (models in pausedModels are paused besides).' })
  enabled!: boolean;

  @Field({ description: 'policy learning.enabled.' })
  policyEnabled!: boolean;

  @Field(() => Date, { nullable: true, description: 'When pauseLearning paused every model; null while not paused.' })
  pausedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The name of the API key that paused it.' })
  pausedBy!: string | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => [PausedModel])
  pausedModels!: PausedModel[];
}
