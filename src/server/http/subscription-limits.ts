/**
 * graphql-ws subscriptions open at once per API key, in this process (KYBERNET_MAX_SUBSCRIPTIONS_PER_KEY):
 * a subscription over the limit is refused with a coded error naming it; one ends when the client
 * completes it, the server completes it, or its socket closes.
 */
import type { Env } from '../../config/env';
import { LimitExceededError } from './limit-error';

export class SubscriptionCounter {
  private readonly open = new Map<string, Set<string>>();

  constructor(private readonly env: Env) {}

  /** Counts subscription `operation` (unique per socket and id) of `keyId`, or throws when the key is at its limit. */
  add(keyId: string, operation: string): void {
    const limit = this.env.KYBERNET_MAX_SUBSCRIPTIONS_PER_KEY;
    const ofKey = this.open.get(keyId) ?? new Set<string>();
    if (ofKey.size >= limit) {
      throw new LimitExceededError(
        `expects at most ${limit} open subscriptions per API key (KYBERNET_MAX_SUBSCRIPTIONS_PER_KEY), but this key has ${ofKey.size}; complete one first`,
        400,
        'TOO_MANY_SUBSCRIPTIONS',
        { limit, setting: 'KYBERNET_MAX_SUBSCRIPTIONS_PER_KEY' },
      );
    }
    ofKey.add(operation);
    this.open.set(keyId, ofKey);
  }

  close(keyId: string, operation: string): void {
    const ofKey = this.open.get(keyId);
    if (!ofKey) return;
    ofKey.delete(operation);
    if (ofKey.size === 0) this.open.delete(keyId);
  }
}
