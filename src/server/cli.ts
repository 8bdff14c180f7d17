#!/usr/bin/env node
/** The `kybernet` command: serve | worker | migrate | keys | ingest-bars | subscribe | demo. */
import 'reflect-metadata';
import { Command, Option } from 'commander';
import { ROLES } from '../entities/api-key.entity';
import { ApiKeysService } from '../services/api-keys.service';
import { createApp } from './app';
import { boot, onShutdownSignal } from './boot';
import { runDemo } from './demo';
import { ingestBarsCommand, type IngestBarsOptions } from './ingest-bars-command';
import { DEFAULT_SUBSCRIBE_URL, subscribe, type SubscribeOptions } from './subscribe-command';
import { startHttpServer } from './http';

const program = new Command('kybernet').description('Keeps trading models learning: registry, serving, retraining, shadow testing and drift over GraphQL.');

async function serve(options: { worker: boolean; demo?: boolean }): Promise<void> {
  const booted = await boot({ applicationName: 'kybernet-api' });
  const app = await createApp(booted.config, booted.dataSource, booted.databaseUrl, { worker: options.worker });
  const bootstrapKey = await app.services.apiKeys.bootstrapAdminKey();
  if (bootstrapKey) console.log(`first start: created an admin API key (shown only now):\n  ${bootstrapKey}`);
  const http = await startHttpServer(app.services, { port: booted.config.env.PORT, host: booted.config.env.HOST, env: booted.config.env });
  onShutdownSignal(async () => {
    await http.close();
    await app.close();
    await booted.shutdown();
  });
  if (options.demo) {
    await runDemo(app, http, bootstrapKey);
  } else {
    console.log(`Kybernet API on ${http.url}${options.worker ? ' (working jobs too)' : ''}`);
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
    const booted = await boot({ applicationName: 'kybernet-worker' });
    const app = await createApp(booted.config, booted.dataSource, booted.databaseUrl, { worker: true, workerConcurrency: options.concurrency });
    console.log(`Kybernet worker ${app.worker?.workerId} working jobs (concurrency ${options.concurrency})`);
    onShutdownSignal(async () => {
      await app.close();
      await booted.shutdown();
    });
  });

program
  .command('migrate')
  .description('Bring the database schema up to date, then exit.')
  .action(async () => {
    const booted = await boot({ applicationName: 'kybernet-migrate' });
    console.log('database schema is up to date');
    await booted.shutdown();
  });

const keys = program.command('keys').description('Manage API keys.');
keys
  .command('create')
  .description('Create an API key and print it (it is shown only once).')
  .addOption(new Option('--role <role>', 'viewer | trader | operator | admin').choices([...ROLES]).makeOptionMandatory())
  .option('--name <name>', 'a label for the key')
  .action(async (options: { role: string; name?: string }) => {
    const booted = await boot({ applicationName: 'kybernet-keys' });
    const { key, record } = await new ApiKeysService(booted.dataSource).createKey(options.role, options.name);
    console.log(key);
    console.error(`created ${record.role} key ${record.id} (${record.prefix}…)`);
    await booted.shutdown();
  });
keys
  .command('list')
  .description('List API keys (never the keys themselves).')
  .action(async () => {
    const booted = await boot({ applicationName: 'kybernet-keys' });
    for (const key of await new ApiKeysService(booted.dataSource).listKeys()) {
      console.log(`${key.id}  ${key.role.padEnd(8)}  ${key.prefix}…  ${key.name}${key.revokedAt ? '  (revoked)' : ''}`);
    }
    await booted.shutdown();
  });
keys
  .command('revoke <id>')
  .description('Revoke an API key by id.')
  .action(async (id: string) => {
    const booted = await boot({ applicationName: 'kybernet-keys' });
    await new ApiKeysService(booted.dataSource).revokeKey(id);
    console.log(`revoked ${id}`);
    await booted.shutdown();
  });

program
  .command('ingest-bars <file>')
  .description('Bulk-load a CSV of bars (a time column, open, high, low, close, volume; optionally symbol and timeframe), one transaction per batch.')
  .option('--symbol <symbol>', 'the symbol of rows without a symbol column')
  .option('--timeframe <timeframe>', 'the timeframe of rows without a timeframe column (1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w)')
  .option('--batch-size <n>', 'bars per transaction', (value) => Number.parseInt(value, 10), 10_000)
  .option('--acks', 'print a line per committed batch (default when stdout is not a terminal)', !process.stdout.isTTY)
  .option('--no-acks', 'print no line per batch')
  .action((file: string, options: IngestBarsOptions) => ingestBarsCommand(file, options));

program
  .command('subscribe <document>')
  .description('Run a GraphQL subscription (e.g. promotionAlerts) against a running server; print each event as a line of JSON until Ctrl-C.')
  .option('--url <url>', 'the graphql-ws endpoint', DEFAULT_SUBSCRIBE_URL)
  .option('--key <key>', 'an API key (default: $KYBERNET_API_KEY)')
  .option('--variables <json>', 'the variables, as a JSON object')
  .action(async (document: string, options: SubscribeOptions) => {
    process.exitCode = await subscribe(document, options);
  });

program
  .command('demo')
  .description('Run the learning loop on a seeded market that changes regime (drift, retraining, automatic promotion), then serve (embedded defaults).')
  .action(async () => serve({ worker: true, demo: true }));

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
