/**
 * Environment parsing. Every setting Kybernet reads from the environment is declared here, with its
 * default, so that `kybernet --help`, the README and the code agree.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ArtifactStoreConfig } from '../storage/artifact-store';

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const envSchema = z.object({
  DATABASE_URL: optionalText,
  KYBERNET_DATA_DIR: z.string().default('./data'),
  /** Port of the embedded Postgres started when DATABASE_URL is unset. */
  KYBERNET_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /**
   * Database connections each process keeps open. Concurrent trade closes and predictions are bound by
   * it (32 concurrent execution+outcome pairs measured 321 pairs/s with 10, 450 with 20), and every
   * replica and worker holds its own: keep replicas × this under the server's max_connections.
   */
  KYBERNET_DB_POOL_SIZE: z.coerce.number().int().min(2).max(500).default(20),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  S3_BUCKET: optionalText,
  S3_ENDPOINT: optionalText,
  S3_REGION: optionalText,
  S3_PREFIX: optionalText,
  /** Comma-separated npm package names whose default export is a ModelFamily (or an array of them). */
  KYBERNET_PLUGINS: optionalText,
  /** Whether an API process also works jobs from the queue (`kybernet worker` always does). */
  KYBERNET_INLINE_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Threads each training job may use. */
  KYBERNET_TRAIN_THREADS: z.coerce.number().int().min(1).default(2),
  /** Longest a predict request waits for others to share its session run. */
  KYBERNET_BATCH_WINDOW_MS: z.coerce.number().min(0).default(0),
  KYBERNET_BATCH_MAX_ROWS: z.coerce.number().int().min(1).default(512),
  /** Whether this process fires the policy's schedules (every replica may; each firing enqueues once). */
  KYBERNET_SCHEDULER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** How often a worker renews the heartbeat of each job it runs. */
  KYBERNET_JOB_HEARTBEAT_SECONDS: z.coerce.number().positive().default(5),
  /**
   * A RUNNING job whose heartbeat is older than this has lost its worker: it is retried or failed.
   * Keep it above the longest pause of a worker's main thread (loading a large dataset), when it cannot beat.
   */
  KYBERNET_JOB_STALE_SECONDS: z.coerce.number().positive().default(60),
  /** How often each process looks for such jobs. */
  KYBERNET_JOB_REAPER_SECONDS: z.coerce.number().positive().default(10),
  /**
   * Longest a stop on SIGINT/SIGTERM may take (serve, worker, demo): in-flight requests and running
   * jobs get part of it (jobs still running then are queued again), and a step still hanging at the
   * end is named and the process exits 1.
   */
  KYBERNET_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(10_000),
  /**
   * How long an idle keep-alive HTTP connection stays open. Above the idle time of clients and load
   * balancers (commonly 60 s), so that the server is not the side that closes: a close that crosses a
   * request the client has just sent on the connection reaches it as ECONNRESET (Node's default of 5 s
   * did so 22 times in a 10-minute soak at 200 requests/s).
   */
  KYBERNET_HTTP_KEEP_ALIVE_SECONDS: z.coerce.number().int().min(1).max(3600).default(65),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * The largest request body each role may send over HTTP (refused with 413 beyond it). The key is
   * checked from the headers before a byte of the body is read, so a request without a valid key
   * costs nothing whatever its size. Traders send batches; operators and admins import models and datasets.
   */
  KYBERNET_MAX_BODY_BYTES_VIEWER: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  KYBERNET_MAX_BODY_BYTES_TRADER: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024),
  KYBERNET_MAX_BODY_BYTES_OPERATOR: z.coerce
    .number()
    .int()
    .min(1024)
    .default(100 * 1024 * 1024),
  /** How deep and how large a JSON body may be (checked while it streams in, before it is parsed). */
  KYBERNET_JSON_MAX_DEPTH: z.coerce.number().int().min(8).default(64),
  KYBERNET_JSON_MAX_ELEMENTS: z.coerce.number().int().min(1000).default(2_000_000),
  /**
   * The shape a GraphQL document may have (HTTP and graphql-ws alike; introspection's own nesting does
   * not count toward depth and cost): nesting depth, aliases, lexical tokens (large inputs go in
   * variables), and a static cost (graphql-armor's: objects 2, scalars 1, ×1.5 per level).
   */
  KYBERNET_MAX_QUERY_DEPTH: z.coerce.number().int().min(2).default(12),
  KYBERNET_MAX_QUERY_ALIASES: z.coerce.number().int().min(1).default(50),
  KYBERNET_MAX_QUERY_TOKENS: z.coerce.number().int().min(100).default(50_000),
  KYBERNET_MAX_QUERY_COST: z.coerce.number().int().min(100).default(10_000),
  /** Requests (and graphql-ws operations) per second per API key, in each process; beyond it 429 with Retry-After. */
  KYBERNET_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).default(10_000),
  /** graphql-ws subscriptions open at once per API key, in each process. */
  KYBERNET_MAX_SUBSCRIPTIONS_PER_KEY: z.coerce.number().int().min(1).default(100),
  /** Whether error responses carry stack traces and internal messages (never in production; for debugging). */
  KYBERNET_DEBUG_ERRORS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env;
  dataDir: string;
  store: ArtifactStoreConfig;
  plugins: string[];
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment: ${issue.path.join('.')} ${issue.message}`);
  }
  const env = parsed.data;
  if (env.KYBERNET_JOB_STALE_SECONDS < 2 * env.KYBERNET_JOB_HEARTBEAT_SECONDS) {
    throw new Error(
      `invalid environment: KYBERNET_JOB_STALE_SECONDS expects at least twice KYBERNET_JOB_HEARTBEAT_SECONDS (${env.KYBERNET_JOB_HEARTBEAT_SECONDS}), but got ${env.KYBERNET_JOB_STALE_SECONDS}`,
    );
  }
  const dataDir = resolve(env.KYBERNET_DATA_DIR);
  const store: ArtifactStoreConfig = env.S3_BUCKET
    ? {
        kind: 's3',
        bucket: env.S3_BUCKET,
        endpoint: env.S3_ENDPOINT,
        // An S3-compatible server needs some region for signing; AWS itself takes it from the SDK chain.
        region: env.S3_REGION ?? (env.S3_ENDPOINT ? 'us-east-1' : undefined),
        prefix: env.S3_PREFIX,
      }
    : { kind: 'fs', root: resolve(dataDir, 'artifacts') };
  const plugins = (env.KYBERNET_PLUGINS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return { env, dataDir, store, plugins };
}
