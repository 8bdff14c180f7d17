/**
 * A request crossed one of the server's limits (body size, JSON shape, query shape, rate,
 * subscriptions). A client can see every limit: the error names it (`reason`, `limit`, and the
 * environment `setting` that changes it) and carries the HTTP status that fits it (413, 429, 400).
 */
import { KybernetError } from '../../lib/errors';

export class LimitExceededError extends KybernetError {
  constructor(
    message: string,
    /** The HTTP status to answer with where the refusal happens before GraphQL runs. */
    readonly status: number,
    reason: string,
    details: { limit: number; setting: string } & Record<string, unknown>,
  ) {
    super('BAD_USER_INPUT', message, details, reason);
  }
}
