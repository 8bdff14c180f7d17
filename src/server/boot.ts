/**
 * Start-up shared by every command: read the environment, reach Postgres (DATABASE_URL, else the
 * embedded server under $KYBERNET_DATA_DIR/pg: the one another kybernet process on the same data
 * directory already runs, or one of this process's own) and bring the schema up to date.
 */
import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from '../config/env';
import { openDatabase } from '../db/data-source';
import { openEmbeddedPostgres } from '../db/embedded';
import type { ShutdownStep } from './shutdown';

export interface Booted {
  config: Config;
  dataSource: DataSource;
  databaseUrl: string;
  /** This process started the embedded Postgres (and stops it in shutdown). */
  embedded: boolean;
  /** Closes the pool, then stops the embedded Postgres if this process started it; each a named step when `step` is given. */
  shutdown(step?: ShutdownStep): Promise<void>;
}

const unnamed: ShutdownStep = (_name, run) => run();

/** `command` names the process in messages and in Postgres (application_name: kybernet-<command>). */
export async function boot(options: { command: string; log?: (message: string) => void }): Promise<Booted> {
  const log = options.log ?? ((message: string) => console.error(message));
  const config = loadConfig();
  let databaseUrl = config.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    const embedded = await openEmbeddedPostgres(config.dataDir, config.env.KYBERNET_EMBEDDED_PG_PORT, options.command, {
      log,
      onUnexpectedExit: (description) => {
        log(`${description}; kybernet cannot go on without its database and exits`);
        process.exit(1);
      },
    });
    databaseUrl = embedded.url;
    if (!embedded.shared) stopEmbedded = embedded.stop;
  }
  let dataSource: DataSource;
  try {
    dataSource = await openDatabase(databaseUrl, {
      poolSize: config.env.KYBERNET_DB_POOL_SIZE,
      applicationName: `kybernet-${options.command.replace(/ /g, '-')}`,
    });
  } catch (error) {
    await stopEmbedded?.();
    throw error;
  }
  return {
    config,
    dataSource,
    databaseUrl,
    embedded: !!stopEmbedded,
    async shutdown(step = unnamed) {
      await step('the database pool', () => dataSource.destroy());
      if (stopEmbedded) await step('the embedded Postgres', stopEmbedded);
    },
  };
}
