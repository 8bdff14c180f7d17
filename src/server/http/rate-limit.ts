/**
 * Requests per second per API key, in this process (rate-limiter-flexible's in-memory limiter: a
 * one-second window of KYBERNET_RATE_LIMIT_PER_SECOND points per key). Over HTTP a refusal is 429
 * with Retry-After; over graphql-ws the operation is refused with the same coded error.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Env } from '../../config/env';
import { LimitExceededError } from './limit-error';

export interface KeyRateLimiter {
  /** Counts one request of `keyId`; throws LimitExceededError (429, retryAfterSeconds) when over the limit. */
  take(keyId: string): Promise<void>;
}

export function keyRateLimiter(env: Env): KeyRateLimiter {
  const limit = env.KYBERNET_RATE_LIMIT_PER_SECOND;
  const limiter = new RateLimiterMemory({ points: limit, duration: 1 });
  return {
    async take(keyId) {
      try {
        await limiter.consume(keyId);
      } catch (rejected) {
        if (!(rejected instanceof RateLimiterRes)) throw rejected;
        const retryAfterSeconds = Math.max(1, Math.ceil(rejected.msBeforeNext / 1000));
        throw new LimitExceededError(
          `expects at most ${limit} requests per second from one API key (KYBERNET_RATE_LIMIT_PER_SECOND), but got more; retry after ${retryAfterSeconds} s`,
          429,
          'RATE_LIMITED',
          { limit, setting: 'KYBERNET_RATE_LIMIT_PER_SECOND', retryAfterSeconds },
        );
      }
    },
  };
}
