import type { AuthCheckerFn } from 'type-graphql';
import type { Role } from '../entities/api-key.entity';
import { ForbiddenError } from '../lib/errors';
import { roleIncludes } from '../platform/access/api-keys.service';
import type { Context } from '../schema/context';

/** `@Authorized('operator')`: the key's role must include the named one (viewer ⊂ trader ⊂ operator ⊂ admin). */
export const authChecker: AuthCheckerFn<Context, Role> = ({ context, info }, roles) => {
  const required = roles[0] ?? 'viewer';
  if (roleIncludes(context.principal.role, required)) return true;
  throw new ForbiddenError(`${info.fieldName} requires the ${required} role, but this API key has the ${context.principal.role} role`);
};
