/**
 * Probes for orchestrators and load balancers, without a key:
 * - GET /health (liveness): the process answers HTTP. Always 200 while it runs.
 * - GET /ready (readiness): 200 when this replica can serve — the database answers, no migration is
 *   pending, model families are loaded, and the event stream listens (LISTEN connection up, so
 *   subscriptions, session swaps and key revocations reach it); 503 otherwise, naming what is not.
 */
import type { Request, Response } from 'express';
import type { Services } from '../container';

const DATABASE_TIMEOUT_MS = 2_000;

interface Check {
  ok: boolean;
  detail?: string;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${DATABASE_TIMEOUT_MS} ms`)), DATABASE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function check(run: () => Promise<string | undefined> | string | undefined): Promise<Check> {
  try {
    const problem = await run();
    return problem ? { ok: false, detail: problem } : { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message.slice(0, 200) };
  }
}

async function readiness(services: Services): Promise<{ ready: boolean; checks: Record<string, Check> }> {
  const database = await check(async () => {
    await withTimeout(services.dataSource.query('SELECT 1'), 'the database');
    return undefined;
  });
  const migrations = database.ok
    ? await check(async () =>
        (await withTimeout(services.dataSource.showMigrations(), 'the migrations table'))
          ? 'migrations are pending (run kybernet migrate)'
          : undefined,
      )
    : { ok: false, detail: 'the database does not answer' };
  const families = await check(() => (services.families.list().length > 0 ? undefined : 'no model family is loaded'));
  const eventStream = await check(() => (services.eventStream.isListening() ? undefined : 'the LISTEN connection is down (reconnecting)'));
  const checks = { database, migrations, families, eventStream };
  return { ready: Object.values(checks).every((entry) => entry.ok), checks };
}

export function healthProbe(_request: Request, response: Response): void {
  response.json({ status: 'ok' });
}

export function readyProbe(services: Services) {
  return async (_request: Request, response: Response) => {
    const { ready, checks } = await readiness(services);
    response.setHeader('cache-control', 'no-store');
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  };
}
