import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { JSONObjectScalar } from '../../schema/scalars';
import { PolicyDocument } from './policy.types';
import type { Context } from '../../schema/context';

@Resolver(() => PolicyDocument)
export class PolicyResolver {
  @Authorized('viewer')
  @Query(() => PolicyDocument)
  policy(@Ctx() { services }: Context) {
    return services.policy.current();
  }

  @Authorized('operator')
  @Mutation(() => PolicyDocument, {
    description: 'Merges the patch (sections of the policy) over the current policy; the whole is validated, unknown keys refused.',
  })
  updatePolicy(@Arg('patch', () => JSONObjectScalar) patch: Record<string, unknown>, @Ctx() { services, principal }: Context) {
    return services.policy.updatePolicy(patch, principal.keyId);
  }
}
