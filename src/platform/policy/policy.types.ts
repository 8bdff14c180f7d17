import { Field, Int, ObjectType } from 'type-graphql';
import { JSONObjectScalar } from '../../schema/scalars';

@ObjectType({ description: 'The policy in force: when to retrain, promote, flag drift and health, and the risk limits.' })
export class PolicyDocument {
  @Field(() => Int, { description: '0 while the defaults are in force.' })
  version!: number;

  @Field(() => JSONObjectScalar)
  document!: Record<string, unknown>;

  @Field(() => Date, { nullable: true })
  createdAt!: Date | null;
}
