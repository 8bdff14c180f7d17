import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { JSONObjectScalar } from '../schema/scalars';

@InputType({
  description:
    'How tuneModel scores a trial: the rows (in time order) cut into folds, each trial trained on a fold\'s train rows and scored on its test rows, the loss averaged over the folds. kind: "holdout", "expanding", "rolling" or "purged_kfold" (as policy retraining.tuning_scheme). Unset fields take their defaults; a field the kind does not use is refused.',
})
export class TuningSchemeInput {
  @Field()
  kind!: string;

  @Field(() => Int, { nullable: true, description: 'Test blocks (default 5).' })
  folds?: number | null;

  @Field(() => Int, { nullable: true, description: 'Walk-forward: rows left out before each test block (default 0).' })
  gap?: number | null;

  @Field(() => Float, { nullable: true, description: 'Share of the latest rows that test (holdout 0.2, walk-forward 0.5 by default).' })
  testFraction?: number | null;

  @Field(() => Int, { nullable: true, description: 'Rolling: rows of the train window.' })
  trainRows?: number | null;

  @Field(() => Int, { nullable: true, description: 'Purged k-fold: rows dropped just before each test block (default 0).' })
  purge?: number | null;

  @Field(() => Int, { nullable: true, description: 'Purged k-fold: rows dropped just after each test block (default 0).' })
  embargo?: number | null;
}

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
