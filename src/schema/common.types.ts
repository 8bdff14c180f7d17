import { Field, Float, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A position in a paginated list: pass endCursor as `after` for the next page.' })
export class PageInfo {
  @Field(() => String, { nullable: true })
  endCursor!: string | null;

  @Field()
  hasNextPage!: boolean;
}

@ObjectType()
export class NamedValue {
  @Field()
  name!: string;

  @Field(() => Float, { nullable: true, description: 'null where the row could not be scored.' })
  value!: number | null;
}
