/**
 * How large a body each role may send: viewers query, traders send batches, operators and admins
 * import models and datasets (settings KYBERNET_MAX_BODY_BYTES_<ROLE>, the JSON bounds beside them).
 */
import type { Env } from '../../config/env';
import type { Role } from '../../entities/api-key.entity';
import type { BodyBounds } from './read-body';

export function bodyBoundsFor(role: Role, env: Env): BodyBounds {
  const json = { maxDepth: env.KYBERNET_JSON_MAX_DEPTH, maxElements: env.KYBERNET_JSON_MAX_ELEMENTS };
  switch (role) {
    case 'viewer':
      return { ...json, maxBytes: env.KYBERNET_MAX_BODY_BYTES_VIEWER, maxBytesSetting: 'KYBERNET_MAX_BODY_BYTES_VIEWER' };
    case 'trader':
      return { ...json, maxBytes: env.KYBERNET_MAX_BODY_BYTES_TRADER, maxBytesSetting: 'KYBERNET_MAX_BODY_BYTES_TRADER' };
    case 'operator':
    case 'admin':
      return { ...json, maxBytes: env.KYBERNET_MAX_BODY_BYTES_OPERATOR, maxBytesSetting: 'KYBERNET_MAX_BODY_BYTES_OPERATOR' };
  }
}
