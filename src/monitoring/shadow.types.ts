import { Field, Float, Int, ObjectType } from 'type-graphql';
import { enumOf } from '../schema/enums';
import { SHADOW_DECISIONS, type ShadowDecision } from './shadow-verdict';
import { ModelVersion } from '../registry/model.types';

const ShadowDecisionEnum = enumOf(
  SHADOW_DECISIONS,
  'ShadowDecision',
  "The shadow tester's verdict: PROMOTE replaces the ACTIVE version, REJECT retires the shadow, CONTINUE waits for more outcomes.",
);

@ObjectType({ description: "One version's record on the requests of a shadow test." })
class ShadowArmFigures {
  @Field(() => Float, { nullable: true, description: 'Share of requests whose direction it called right.' })
  hitRate!: number | null;

  @Field(() => Float, { nullable: true, description: "Mean return of trading the prediction's sign (null when the outcomes are labels)." })
  meanReturn!: number | null;

  @Field(() => Float, { nullable: true, description: 'Sharpe ratio of those returns, annualised as daily trades (√252).' })
  sharpe!: number | null;

  @Field(() => Float, { nullable: true, description: 'Largest fall of the compounded sign-trading equity curve, in percent.' })
  maxDrawdownPct!: number | null;

  @Field(() => Float)
  mae!: number;

  @Field(() => Float)
  rmse!: number;

  @Field(() => Float, { description: 'Mean of the loss the significance test compares (squared error, or log loss for binary models).' })
  meanLoss!: number;
}

@ObjectType({ description: 'Diebold–Mariano test (HLN-corrected) of the per-request loss difference shadow − active.' })
class LossDifferenceTest {
  @Field()
  method!: string;

  @Field(() => Float)
  statistic!: number;

  @Field(() => Float, { description: "One-sided p-value of 'the shadow's loss is lower'." })
  pValue!: number;

  @Field(() => Float, { description: "One-sided p-value of 'the shadow's loss is higher'." })
  pValueWorse!: number;

  @Field(() => Float)
  meanLossDifference!: number;
}

@ObjectType({ description: 'The policy thresholds a verdict was given under (policy.auto_promote_threshold).' })
class PromotionThresholds {
  @Field()
  enabled!: boolean;

  @Field(() => Int)
  minSamples!: number;

  @Field(() => Int)
  maxSamples!: number;

  @Field(() => Float)
  minImprovementPct!: number;

  @Field(() => Float)
  maxDrawdownPct!: number;

  @Field(() => Float)
  significance!: number;
}

@ObjectType({ description: 'A SHADOW version judged against the ACTIVE version on the same requests with realised outcomes.' })
export class ShadowEvaluation {
  @Field(() => ModelVersion, { description: 'The shadow.' })
  modelVersion!: unknown;

  @Field(() => ModelVersion, { description: 'The ACTIVE version it is compared with.' })
  activeVersion!: unknown;

  @Field(() => ShadowDecisionEnum)
  decision!: ShadowDecision;

  @Field(() => [String])
  reasons!: string[];

  @Field(() => Int, { description: 'Requests with both predictions and a realised value (at most maxSamples, oldest first).' })
  samples!: number;

  @Field(() => String, { nullable: true, description: 'squared_error or log_loss.' })
  lossName!: string | null;

  @Field(() => ShadowArmFigures, { nullable: true })
  shadow!: ShadowArmFigures | null;

  @Field(() => ShadowArmFigures, { nullable: true })
  active!: ShadowArmFigures | null;

  @Field(() => Float, { nullable: true, description: 'Loss improvement over the ACTIVE version, in percent.' })
  improvementPct!: number | null;

  @Field(() => LossDifferenceTest, { nullable: true, description: 'Null below 3 samples.' })
  test!: LossDifferenceTest | null;

  @Field(() => PromotionThresholds)
  thresholds!: PromotionThresholds;

  @Field(() => String, {
    nullable: true,
    description: 'Why a PROMOTE verdict is not acted on automatically now (policy switch, CRITICAL drift).',
  })
  promotionHold!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the test against this ACTIVE version started (its first evaluation).' })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When shadow.promotion.recommended was sent.' })
  recommendedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'PROMOTED or REJECTED once the tester acted on a verdict.' })
  outcome!: string | null;

  @Field()
  evaluatedAt!: Date;
}
