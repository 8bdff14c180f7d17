import { Field, Float, ID, InputType, ObjectType } from 'type-graphql';
import { NamedValue } from './common.types';

@ObjectType({ description: 'One answer of the ACTIVE version; pass its id with the trade it informed.' })
export class Prediction {
  @Field(() => ID)
  id!: string;

  @Field()
  requestId!: string;

  @Field(() => Float, { nullable: true, description: 'The first output (prediction or probability); null where the row could not be scored.' })
  value!: number | null;

  @Field(() => [NamedValue])
  outputs!: NamedValue[];

  @Field(() => Float, { description: 'Time from arrival at the model to its answer, in milliseconds.' })
  latencyMs!: number;

  @Field()
  createdAt!: Date;
}

@InputType()
export class PredictInput {
  @Field()
  model!: string;

  @Field(() => [Float], { nullable: 'items', description: 'In the order of the ACTIVE version’s featureNames; null = missing.' })
  features!: (number | null)[];

  @Field({ nullable: true, description: 'Shared by the ACTIVE and SHADOW rows of this request; generated when absent.' })
  requestId?: string;
}

@InputType()
export class PredictBatchInput {
  @Field()
  model!: string;

  @Field(() => [[Float]], { nullable: 'items' })
  rows!: (number | null)[][];

  @Field({ nullable: true })
  requestId?: string;
}
