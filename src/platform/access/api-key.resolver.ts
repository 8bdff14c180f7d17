import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Role } from '../../entities/api-key.entity';
import { ApiKey, CreatedApiKey } from './api-key.types';
import { RoleEnum } from '../../schema/enums';
import type { Context } from '../../schema/context';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized('admin')
  @Query(() => [ApiKey])
  apiKeys(@Ctx() { services }: Context) {
    return services.apiKeys.listKeys();
  }

  @Authorized('admin')
  @Mutation(() => CreatedApiKey, { description: 'The key is in the answer only; it is stored hashed.' })
  async createApiKey(
    @Arg('role', () => RoleEnum) role: Role,
    @Ctx() { services, principal }: Context,
    @Arg('name', () => String, { nullable: true }) name?: string,
  ) {
    // The caller's key is re-checked in the minting transaction: a key being revoked mints nothing.
    const { key, record } = await services.apiKeys.createKey(role, name ?? undefined, principal);
    return { key, apiKey: record };
  }

  @Authorized('admin')
  @Mutation(() => ApiKey)
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() { services, principal }: Context) {
    return services.apiKeys.revokeKey(id, principal);
  }
}
