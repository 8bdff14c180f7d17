import { Field, ID, ObjectType } from 'type-graphql';
import type { Role } from '../../entities/api-key.entity';
import { RoleEnum } from '../../schema/enums';

@ObjectType()
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => RoleEnum)
  role!: Role;

  @Field({ description: 'The first characters of the key.' })
  prefix!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType()
export class CreatedApiKey {
  @Field({ description: 'The key itself, shown only now.' })
  key!: string;

  @Field(() => ApiKey)
  apiKey!: ApiKey;
}
