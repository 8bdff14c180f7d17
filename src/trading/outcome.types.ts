import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { PredictionRole } from '../entities/prediction.entity';
import { INPUT_LIMITS } from '../lib/input-bounds';
import { PageInfo } from '../schema/common.types';
import { Bounded } from '../schema/input-guard';
import { PredictionRoleEnum } from '../schema/enums';
import { Prediction } from '../serving/prediction.types';

/** Rows of a forecast's realised values: the longest horizon a sequence family forecasts. */
const MAX_HORIZON_ROWS = 1024;

@InputType({ description: 'Exactly one of actual (any prediction but a forecast) or values (a forecast).' })
export class RecordOutcomeInput {
  @Field(() => ID, { description: 'A prediction id predict, tradePrediction, forecast or forecastBatch returned.' })
  predictionId!: string;

  @Field(() => Float, {
    nullable: true,
    description: 'The realised value of what the prediction predicted (e.g. the forward return); not for a forecast.',
  })
  actual?: number | null;

  @Bounded({ maxItems: [MAX_HORIZON_ROWS, INPUT_LIMITS.features] })
  @Field(() => [[Float]], {
    nullable: true,
    description:
      "A forecast's realised values: horizon rows × targets, as the forecast's values (row h is h steps after the history's last row), each a finite float32.",
  })
  values?: number[][] | null;
}

@InputType()
export class PredictionFilter {
  @Field({ nullable: true, description: 'Registered model name.' })
  model?: string;

  @Field(() => Int, { nullable: true, description: 'A version number of `model`.' })
  version?: number;

  @Field(() => PredictionRoleEnum, { nullable: true })
  role?: PredictionRole;

  @Field(() => [ID], { nullable: true, description: 'Up to 100 prediction ids.' })
  ids?: string[];

  @Field({ nullable: true })
  requestId?: string;

  @Field({ nullable: true, description: 'Only predictions whose request has (true) or lacks (false) an outcome.' })
  hasOutcome?: boolean;

  @Field({ nullable: true })
  from?: Date;

  @Field({ nullable: true })
  to?: Date;

  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;
}

@ObjectType()
export class PredictionConnection {
  @Field(() => [Prediction])
  nodes!: Prediction[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
