/**
 * Start-up shared by every command: read the environment, reach Postgres (DATABASE_URL, else the
 * embedded server under $KYBERNET_DATA_DIR/pg) and bring the schema up to date.
 */
import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from '../config/env';
import { openDatabase } from '../db/data-source';
import { startEmbeddedPostgres } from '../db/embedded';

export interface Booted {
  config: Config;
  dataSource: DataSource;
  databaseUrl: string;
  embedded: boolean;
  shutdown(): Promise<void>;
}

export async function boot(options: { applicationName: string; log?: (message: string) => void }): Promise<Booted> {
  const log = options.log ?? ((message: string) => console.error(message));
  const config = loadConfig();
  let databaseUrl = config.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    log(`starting embedded Postgres under ${config.dataDir}/pg (set DATABASE_URL to use your own server)`);
    const embedded = await startEmbeddedPostgres(config.dataDir, config.env.KYBERNET_EMBEDDED_PG_PORT);
    databaseUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const dataSource = await openDatabase(databaseUrl, { applicationName: options.applicationName });
  return {
    config,
    dataSource,
    databaseUrl,
    embedded: !!stopEmbedded,
    async shutdown() {
      await dataSource.destroy();
      await stopEmbedded?.();
    },
  };
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: shutting down`);
    stop()
      .catch((error) => console.error(error))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
