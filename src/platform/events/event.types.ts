import { Field, ID, ObjectType } from 'type-graphql';
import { JSONObjectScalar } from '../../schema/scalars';

@ObjectType({ description: 'An entry of the event log; ids increase in commit order.' })
export class Event {
  @Field(() => ID)
  id!: string;

  @Field()
  type!: string;

  @Field(() => String, { nullable: true })
  modelName!: string | null;

  @Field(() => ID, { nullable: true })
  modelVersionId!: string | null;

  @Field(() => ID, { nullable: true })
  jobId!: string | null;

  @Field(() => JSONObjectScalar)
  payload!: Record<string, unknown>;

  @Field()
  createdAt!: Date;
}
