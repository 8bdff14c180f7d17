import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { JSONObjectScalar } from '../schema/scalars';

@ObjectType({ description: 'One trial of a TUNING search (or of a FULL retraining that tuned first), after the last rung it reached.' })
export class TuningTrial {
  @Field(() => ID)
  jobId!: string;

  @Field(() => Int, { description: "1 … trials; trial 1 is the ACTIVE version's own hyperparameters." })
  trial!: number;

  @Field(() => JSONObjectScalar, { description: 'The hyperparameters sampled from the search space (empty for trial 1).' })
  sampled!: Record<string, unknown>;

  @Field(() => JSONObjectScalar, { description: 'The hyperparameters the trial stands for, at its full budget.' })
  hyperparameters!: Record<string, unknown>;

  @Field(() => [Float], {
    description: "The loss (rmse, or logloss for a binary model) on each fold's test rows at its rung, oldest fold first.",
  })
  foldLosses!: number[];

  @Field(() => Float, { description: 'The mean of foldLosses.' })
  loss!: number;

  @Field(() => Int, { description: 'The last rung of the successive halving it trained at (0 = the first, with the smallest budget).' })
  rung!: number;

  @Field(() => Int, { nullable: true, description: 'Boosting rounds or epochs at that rung.' })
  budget!: number | null;

  @Field({ description: 'Stopped before the last rung (not in the better half of its rung, or by the time limit).' })
  pruned!: boolean;

  @Field(() => Int, { description: 'Milliseconds its trainings and scorings took, over every rung.' })
  durationMs!: number;
}
