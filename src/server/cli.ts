#!/usr/bin/env node
/** The `kybernet` command: serve | worker | migrate | keys | ingest-bars | subscribe | demo. */
import 'reflect-metadata';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/env';
import { ROLES } from '../entities/api-key.entity';
import { portIsFree } from '../db/free-port';
import { ApiKeysService } from '../platform/access/api-keys.service';
import { createApp, type App } from './app';
import { boot, type Booted } from './boot';
import { runDemo } from './demo';
import { ingestBarsCommand, type IngestBarsOptions } from './ingest-bars-command';
import { formatModels, listModels } from './models-command';
import { onShutdownSignal } from './shutdown';
import { DEFAULT_SUBSCRIBE_URL, subscribe, type SubscribeOptions } from './subscribe-command';
import { portInUse, startHttpServer, type HttpServer } from './http';
import { kybernetVersion } from './version';

const program = new Command('kybernet')
  .description('Keeps trading models learning: registry, serving, retraining, shadow testing and drift over GraphQL.')
  .version(kybernetVersion(), '-V, --version');

/**
 * What a long-running command holds, filled in as it starts: a signal at any point stops what has
 * started so far, in reverse (HTTP first, the database last), within KYBERNET_SHUTDOWN_TIMEOUT_MS.
 */
interface Running {
  http?: HttpServer;
  app?: App;
  booted?: Booted;
}

function stopOnSignal(running: Running): void {
  const timeoutMs = loadConfig().env.KYBERNET_SHUTDOWN_TIMEOUT_MS;
  // In-flight requests and running jobs get part of the bound each; the rest is for closing pools and Postgres.
  const graceMs = Math.floor(timeoutMs * 0.3);
  onShutdownSignal(
    async (step) => {
      const { http, app, booted } = running;
      if (http) await step('the HTTP server (in-flight requests, graphql-ws clients)', () => http.close(graceMs));
      if (app) await app.close(step, { jobGraceMs: graceMs });
      if (booted) await booted.shutdown(step);
    },
    { timeoutMs },
  );
}

async function serve(options: { worker: boolean; demo?: boolean }): Promise<void> {
  const { env } = loadConfig();
  // Before the database, the schedules or the worker start: a second serve must not work jobs it cannot serve.
  if (!(await portIsFree(env.PORT, env.HOST))) throw new Error(portInUse(env.PORT));
  const running: Running = {};
  stopOnSignal(running);
  const booted = (running.booted = await boot({ command: options.demo ? 'demo' : 'serve' }));
  const app = (running.app = await createApp(booted.config, booted.dataSource, booted.databaseUrl, { worker: options.worker }));
  const bootstrapKey = await app.services.apiKeys.bootstrapAdminKey();
  if (bootstrapKey) console.log(`first start: created an admin API key (shown only now):\n  ${bootstrapKey}`);
  const http = (running.http = await startHttpServer(app.services, { port: env.PORT, host: env.HOST, env: booted.config.env }));
  if (options.demo) {
    await runDemo(app, http, bootstrapKey);
  } else {
    console.log(`Kybernet API on ${http.url}${options.worker ? ' (working jobs too)' : ''}`);
  }
}

/** Runs a one-shot command on the database (the running server's embedded Postgres when there is one), then closes it. */
async function withDatabase(command: string, run: (booted: Booted) => Promise<void>): Promise<void> {
  const booted = await boot({ command });
  try {
    await run(booted);
  } finally {
    await booted.shutdown();
  }
}

program
  .command('serve')
  .description('Run the GraphQL API (HTTP and graphql-ws on PORT, default 4000).')
  .option('--no-worker', 'do not work jobs in this process (run `kybernet worker` elsewhere)')
  .action(async (options: { worker: boolean }) => {
    const inline = options.worker && process.env.KYBERNET_INLINE_WORKER !== 'false';
    await serve({ worker: inline });
  });

program
  .command('worker')
  .description('Work jobs (training, retraining) from the shared queue.')
  .option('-c, --concurrency <n>', 'jobs at a time', (value) => Number.parseInt(value, 10), 1)
  .action(async (options: { concurrency: number }) => {
    const running: Running = {};
    stopOnSignal(running);
    const booted = (running.booted = await boot({ command: 'worker' }));
    const app = (running.app = await createApp(booted.config, booted.dataSource, booted.databaseUrl, {
      worker: true,
      workerConcurrency: options.concurrency,
    }));
    console.log(`Kybernet worker ${app.worker?.workerId} working jobs (concurrency ${options.concurrency})`);
  });

program
  .command('migrate')
  .description('Bring the database schema up to date, then exit.')
  .action(() => withDatabase('migrate', async () => console.log('database schema is up to date')));

const keys = program.command('keys').description('Manage API keys.');
keys
  .command('create')
  .description('Create an API key and print it (it is shown only once).')
  .addOption(new Option('--role <role>', 'viewer | trader | operator | admin').choices([...ROLES]).makeOptionMandatory())
  .option('--name <name>', 'a label for the key')
  .action((options: { role: string; name?: string }) =>
    withDatabase('keys create', async ({ dataSource }) => {
      const { key, record } = await new ApiKeysService(dataSource).createKey(options.role, options.name);
      console.log(key);
      console.error(`created ${record.role} key ${record.id} (${record.prefix}…)`);
    }),
  );
keys
  .command('list')
  .description('List API keys (never the keys themselves).')
  .action(() =>
    withDatabase('keys list', async ({ dataSource }) => {
      for (const key of await new ApiKeysService(dataSource).listKeys()) {
        console.log(`${key.id}  ${key.role.padEnd(8)}  ${key.prefix}…  ${key.name}${key.revokedAt ? '  (revoked)' : ''}`);
      }
    }),
  );
keys
  .command('revoke <id>')
  .description('Revoke an API key by id.')
  .action((id: string) =>
    withDatabase('keys revoke', async ({ dataSource }) => {
      await new ApiKeysService(dataSource).revokeKey(id);
      console.log(`revoked ${id}`);
    }),
  );

const models = program.command('models').description('The model registry.');
models
  .command('list')
  .description('List registered models: family, the ACTIVE version, the SHADOW versions.')
  .action(() => withDatabase('models list', async ({ dataSource }) => console.log(formatModels(await listModels(dataSource)))));

program
  .command('ingest-bars <file>')
  .description(
    'Bulk-load a CSV of bars (a time column, open, high, low, close, volume; optionally symbol and timeframe), one transaction per batch.',
  )
  .option('--symbol <symbol>', 'the symbol of rows without a symbol column')
  .option('--timeframe <timeframe>', 'the timeframe of rows without a timeframe column (1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w)')
  .option('--batch-size <n>', 'bars per transaction', (value) => Number.parseInt(value, 10), 10_000)
  .option('--acks', 'print a line per committed batch (default when stdout is not a terminal)', !process.stdout.isTTY)
  .option('--no-acks', 'print no line per batch')
  .action((file: string, options: IngestBarsOptions) => ingestBarsCommand(file, options));

program
  .command('subscribe <document>')
  .description(
    'Run a GraphQL subscription (e.g. promotionAlerts) against a running server; print each event as a line of JSON until Ctrl-C.',
  )
  .option('--url <url>', 'the graphql-ws endpoint', DEFAULT_SUBSCRIBE_URL)
  .option('--key <key>', 'an API key (default: $KYBERNET_API_KEY)')
  .option('--variables <json>', 'the variables, as a JSON object')
  .action(async (document: string, options: SubscribeOptions) => {
    process.exitCode = await subscribe(document, options);
  });

program
  .command('demo')
  .description(
    'Run the learning loop on a seeded market that changes regime (drift, retraining, automatic promotion), then serve (embedded defaults).',
  )
  .action(async () => serve({ worker: true, demo: true }));

program.parseAsync().catch((error: unknown) => {
  // Some libraries reject with nothing at all; a person still gets a sentence.
  const message =
    error instanceof Error
      ? error.message
      : error === undefined || error === null
        ? 'failed without a reason (a bug: please report it)'
        : String(error);
  console.error(`kybernet: ${message}`);
  process.exit(1);
});
