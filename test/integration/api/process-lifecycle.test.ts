/**
 * `kybernet` as a process, the way a newcomer meets it: serve on the embedded Postgres, a CLI command
 * beside it, Ctrl-C, a start again after a clean stop, after SIGKILL of kybernet and after SIGKILL of
 * its Postgres; a taken HTTP port and a taken Postgres port; SIGTERM with clients connected; a second
 * signal. Each process is real (node running src/server/cli.ts), and so are Postgres, HTTP and graphql-ws.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPostmaster } from '../../../src/db/postmaster';
import { createTestDatabase, type TestDatabase } from '../../helpers/database';
import { wsClient } from '../../helpers/graphql';
import { runCli, spawnServe, stopAll, type KybernetProcess, type ProcessOptions } from '../../helpers/processes';

jest.setTimeout(180_000);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A data directory the system user postgres can enter (it runs the embedded server when we are root). */
function dataDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kybernet-process-'));
  chmodSync(dir, 0o755);
  return dir;
}

async function typename(url: string, key: string): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  return response.json();
}

const bootstrapKeyOf = (serve: KybernetProcess) => /^\s+(kyb_\S+)$/m.exec(serve.output())?.[1];
const version = (JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;

afterAll(() => stopAll());

/**
 * As ourselves and, when we are root, as the unprivileged user nobody too: as root the embedded
 * server runs as the system user postgres, as anyone else as that user itself.
 */
function nobody(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}
const users: [string, { uid: number; gid: number } | undefined][] = [[process.getuid?.() === 0 ? 'root' : 'this user', undefined]];
const unprivileged = nobody();
if (unprivileged) users.push(['nobody', unprivileged]);
else console.log('process lifecycle: not root (or no user nobody), so the embedded Postgres is tried as this user only');

describe.each(users)('on the embedded Postgres, as %s', (_name, user) => {
  let dataDir: string;
  let options: ProcessOptions;

  beforeAll(async () => {
    dataDir = dataDirectory();
    if (user) chownSync(dataDir, user.uid, user.gid);
    options = { dataDir, user, env: { KYBERNET_EMBEDDED_PG_PORT: String(await freePort()), HOME: dataDir } };
  });
  afterAll(async () => {
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves, and a CLI command beside it uses the running server’s database; Ctrl-C stops both cleanly', async () => {
    const serve = await spawnServe(options);
    const admin = bootstrapKeyOf(serve)!;
    expect(admin).toBeDefined();

    const created = await runCli(['keys', 'create', '--role', 'viewer', '--name', 'beside the server'], options);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`using the embedded Postgres of kybernet serve (pid ${serve.pid})`);
    expect(created.stderr).not.toContain('starting embedded Postgres');
    expect(await typename(serve.url, created.stdout.trim())).toEqual({ data: { __typename: 'Query' } });

    const listed = await runCli(['keys', 'list'], options);
    expect(listed.stdout).toMatch(/viewer\s+kyb_\S+…\s+beside the server/);
    const models = await runCli(['models', 'list'], options);
    expect(models).toMatchObject({ code: 0, stdout: 'no registered models yet (createRegisteredModel, or npm run demo)\n' });
    expect(await runCli(['--version'], options)).toMatchObject({ code: 0, stdout: `${version}\n` });

    serve.signal('SIGINT');
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(serve.output()).toContain('SIGINT: shutting down');
    expect(serve.output()).not.toMatch(/Connection terminated|terminating connection/);
    expect(existsSync(join(dataDir, 'embedded-postgres.json'))).toBe(false);
    expect(readPostmaster(join(dataDir, 'pg')).kind).toBe('none');
  });

  it('starts again on the same data after a clean stop', async () => {
    const serve = await spawnServe(options);
    expect(serve.output()).not.toContain('first start');
    await serve.stop();
    expect(await serve.exited).toEqual({ code: 0, signal: null });
  });

  it('starts again after kybernet was killed (its Postgres, left running, is stopped and started as the new process’s own)', async () => {
    const killed = await spawnServe(options);
    await killed.kill('SIGKILL');
    const orphan = readPostmaster(join(dataDir, 'pg'));
    expect(orphan.kind).toBe('running');

    const serve = await spawnServe(options);
    expect(serve.output()).toContain(
      `stopping the embedded Postgres (pid ${orphan.kind === 'running' ? orphan.pid : '?'}) that a stopped kybernet left running`,
    );
    const created = await runCli(['keys', 'create', '--role', 'viewer'], options);
    expect(created.stderr).toContain(`using the embedded Postgres of kybernet serve (pid ${serve.pid})`);
    await serve.stop();
    expect(await serve.exited).toEqual({ code: 0, signal: null });
  });

  it('exits naming the cause when its Postgres is killed, and starts again over the stale pid file', async () => {
    const serve = await spawnServe(options);
    const server = readPostmaster(join(dataDir, 'pg'));
    if (server.kind !== 'running') throw new Error('no embedded Postgres running');
    process.kill(server.pid, 'SIGKILL');
    expect((await serve.exited).code).toBe(1);
    expect(serve.output()).toContain(
      `the embedded Postgres (pid ${server.pid}) was killed by SIGKILL; kybernet cannot go on without its database and exits`,
    );

    const again = await spawnServe(options);
    expect(again.output()).toContain(`removing the stale postmaster.pid of a stopped server (pid ${server.pid})`);
    const created = await runCli(['keys', 'create', '--role', 'viewer'], options);
    expect(await typename(again.url, created.stdout.trim())).toEqual({ data: { __typename: 'Query' } });
    await again.stop();
  });

  it('refuses a second serve on a taken HTTP port before it starts anything', async () => {
    const port = await freePort();
    const serve = await spawnServe({ ...options, port });
    const second = await runCli(['serve'], { ...options, port });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`kybernet: port ${port} is in use (another kybernet serve?); set PORT\n`);
    expect(second.stdout).toBe('');
    await serve.stop();
  });
});

it('names a Postgres port taken by another program, and KYBERNET_EMBEDDED_PG_PORT', async () => {
  const dataDir = dataDirectory();
  const port = await freePort();
  const squatter: Server = await new Promise((resolve) => {
    const server = createServer().listen(port, '127.0.0.1', () => resolve(server));
  });
  try {
    const migrate = await runCli(['migrate'], { dataDir, env: { KYBERNET_EMBEDDED_PG_PORT: String(port) } });
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain(
      `kybernet: port ${port} (the embedded Postgres) is in use by another program; set KYBERNET_EMBEDDED_PG_PORT to a free port, or DATABASE_URL to your own Postgres server`,
    );
    expect(migrate.stderr).not.toContain('undefined');
  } finally {
    squatter.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

describe('with DATABASE_URL', () => {
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = dataDirectory();
  });
  afterAll(async () => {
    await stopAll();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops on SIGTERM with a keep-alive HTTP client and a graphql-ws subscriber connected, and exits 0', async () => {
    const serve = await spawnServe({ databaseUrl: db.url, dataDir, env: { KYBERNET_SHUTDOWN_TIMEOUT_MS: '5000' } });
    const key = bootstrapKeyOf(serve)!;
    // A keep-alive connection left open after its request.
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ query: '{ __typename }' });
      const req = httpRequest(
        serve.url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } },
        (response) => {
          response.resume();
          response.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    // A subscriber that never unsubscribes.
    const client = wsClient(serve.wsUrl, key);
    const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    await new Promise<void>((resolve) => {
      client.on('connected', () => resolve());
      client.subscribe({ query: 'subscription { promotionAlerts { type } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    });

    serve.signal('SIGTERM');
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(await closed).toBe(1001);
    expect(serve.output()).not.toContain('did not finish');
    agent.destroy();
    await client.dispose();
  });

  it('exits at once, non-zero, on a second signal (one that is not the first delivered twice)', async () => {
    const serve = await spawnServe({ databaseUrl: db.url, dataDir });
    const key = (await runCli(['keys', 'create', '--role', 'viewer'], { databaseUrl: db.url, dataDir })).stdout.trim();
    // A request whose body never ends keeps the stop waiting for in-flight requests (up to their grace of 5 s).
    const hanging = httpRequest(serve.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': 1000, authorization: `Bearer ${key}` },
    });
    hanging.on('error', () => undefined);
    hanging.write('{"query":');
    await new Promise((resolve) => setTimeout(resolve, 200));
    serve.signal('SIGTERM');
    await serve.waitForOutput(/^SIGTERM: shutting down/);
    // The same signal within 500 ms is the same one delivered twice (a process group's and a forwarded one): past that, a second.
    await new Promise((resolve) => setTimeout(resolve, 700));
    serve.signal('SIGTERM');
    expect(await serve.exited).toEqual({ code: 143, signal: null });
    expect(serve.output()).toContain('SIGTERM again: exiting at once');
    hanging.destroy();
  });
});
