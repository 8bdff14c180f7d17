/**
 * Subscriptions refuse at once what could never deliver anything: a malformed `after` or `jobId`
 * (BAD_USER_INPUT), or a model or job that does not exist (NOT_FOUND), instead of waiting forever.
 */
import { InvalidInputError } from '../lib/errors';
import { isUuid } from '../lib/ids';
import type { Context } from './context';

export interface SubscriptionArgs {
  model?: string | null;
  after?: string | null;
  jobId?: string;
}

const EVENT_ID = /^\d{1,19}$/;

async function checkSubscriptionArgs(args: SubscriptionArgs, { services }: Context): Promise<void> {
  if (args.after != null && !EVENT_ID.test(args.after)) {
    throw new InvalidInputError(`expects after to be an event id (digits), but got ${JSON.stringify(args.after.slice(0, 40))}`, {
      field: 'after',
    });
  }
  if (args.jobId !== undefined) {
    if (!isUuid(args.jobId))
      throw new InvalidInputError(`expects jobId to be a job id (a UUID), but got ${JSON.stringify(args.jobId.slice(0, 40))}`, {
        field: 'jobId',
      });
    await services.jobs.getJob(args.jobId);
  }
  if (args.model != null) await services.registry.getRegisteredModel(args.model);
}

/**
 * Listens first (so that nothing committed while the arguments are checked is missed), then checks
 * them; a refused subscription stops listening and throws.
 */
export async function subscribeChecked<T>(
  args: SubscriptionArgs,
  context: Context,
  listen: () => AsyncIterableIterator<T>,
): Promise<AsyncIterableIterator<T>> {
  const iterator = listen();
  try {
    await checkSubscriptionArgs(args, context);
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  return iterator;
}
