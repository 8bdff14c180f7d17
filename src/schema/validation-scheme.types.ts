/**
 * The time-ordered validation scheme of a request (tuneModel, evaluateModel) as GraphQL takes it; parsed by
 * lib/validation-folds `parseValidationSchemeRequest`.
 */
import { Field, Float, InputType, Int } from 'type-graphql';
import { enumOf } from './enums';

export const VALIDATION_SCHEME_KINDS = ['holdout', 'expanding', 'rolling', 'purged_kfold'] as const;
export const ValidationSchemeKindEnum = enumOf(
  VALIDATION_SCHEME_KINDS,
  'ValidationSchemeKind',
  'HOLDOUT: the latest testFraction of the rows; EXPANDING / ROLLING: walk-forward over `folds` consecutive test blocks in the latest testFraction, a `gap` before each; PURGED_KFOLD: `folds` blocks over all rows, `purge` rows before and `embargo` rows after each left out of its train (López de Prado).',
);

@InputType({
  description:
    "How the rows (in time order) are cut into folds: tuneModel trains each trial on a fold's train rows and scores it on its test rows. Unset fields take their defaults; a field the kind does not use is refused.",
})
export class FoldSchemeInput {
  @Field(() => ValidationSchemeKindEnum)
  kind!: (typeof VALIDATION_SCHEME_KINDS)[number];

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
