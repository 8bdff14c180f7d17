import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { PredictionRole } from '../entities/prediction.entity';
import { PageInfo } from '../schema/common.types';
import { PredictionRoleEnum } from '../schema/enums';
import { Prediction } from '../serving/prediction.types';

@InputType()
export class RecordOutcomeInput {
  @Field(() => ID, { description: 'A prediction id predict or tradePrediction returned.' })
  predictionId!: string;

  @Field(() => Float, { description: 'The realised value of what the prediction predicted (e.g. the forward return).' })
  actual!: number;
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
