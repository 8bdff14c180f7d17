/**
 * A Postgres server run as a child process of ours, supervised: started in its own process group (so
 * a Ctrl-C in the terminal reaches kybernet only, and the server stops when kybernet has closed its
 * connections, not before), ready when it says so, its failures to start translated into sentences
 * (a taken port, a data directory in use), stopped within a bound (fast shutdown, then immediate).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PostgresProcessOptions {
  binary: string;
  databaseDir: string;
  port: number;
  /** The system user to run as (when we are root, which Postgres refuses to be). */
  user?: { uid: number; gid: number };
  log?: (line: string) => void;
  /** Called when the server exits without having been asked to stop. */
  onUnexpectedExit?: (description: string) => void;
}

export interface PostgresProcess {
  pid: number;
  /** Fast shutdown (SIGINT: connections closed, a checkpoint written); immediate (SIGQUIT) after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** The lines kept from the server's log to explain a failed start. */
const KEPT_LINES = 20;

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** The sentence for a start that failed, from what the server logged. */
function startFailure(options: PostgresProcessOptions, lines: string[], exit: string): Error {
  const text = lines.join('\n');
  if (/could not bind .*Address already in use/i.test(text)) {
    return new Error(
      `port ${options.port} (the embedded Postgres) is in use by another program; set KYBERNET_EMBEDDED_PG_PORT to a free port, or DATABASE_URL to your own Postgres server`,
    );
  }
  const lock = /lock file "postmaster\.pid" already exists[\s\S]*?PID (\d+)/i.exec(text);
  if (lock)
    return new Error(
      `the data directory ${options.databaseDir} is in use by another Postgres server (pid ${lock[1]}); stop it, or set KYBERNET_DATA_DIR to another directory`,
    );
  const reasons = lines.filter((line) => /\b(FATAL|PANIC|ERROR):/.test(line));
  return new Error(
    `the embedded Postgres ${exit} before it was ready: ${(reasons.length ? reasons : lines.slice(-3)).join(' | ') || 'it logged nothing'}`,
  );
}

export function startPostgresProcess(options: PostgresProcessOptions): Promise<PostgresProcess> {
  const log = options.log ?? (() => {});
  const child: ChildProcess = spawn(
    options.binary,
    // Listen on 127.0.0.1 only (the URL we hand out): on 'localhost' a port taken on IPv4 alone would go unnoticed.
    ['-D', options.databaseDir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1'],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      // English messages, which the readiness and failure checks read.
      env: { ...process.env, LC_MESSAGES: 'C' },
      ...(options.user ?? {}),
    },
  );
  const lines: string[] = [];
  let ready = false;
  let stopping = false;
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(describeExit(code, signal))));

  return new Promise<PostgresProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(new Error(`the embedded Postgres did not become ready within ${START_TIMEOUT_MS / 1000} s: ${lines.slice(-3).join(' | ')}`));
    }, START_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        log(line);
        lines.push(line);
        if (lines.length > KEPT_LINES) lines.shift();
        if (!ready && line.includes('database system is ready to accept connections')) {
          ready = true;
          clearTimeout(timer);
          resolve({ pid: child.pid!, stop: stopServer });
        }
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run the embedded Postgres (${options.binary}): ${error.message}`));
    });
    void exited.then((description) => {
      if (!ready) {
        clearTimeout(timer);
        reject(startFailure(options, lines, description));
      } else if (!stopping) {
        options.onUnexpectedExit?.(`the embedded Postgres (pid ${child.pid}) ${description}`);
      }
    });
  });

  async function stopServer(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    stopping = true;
    child.kill('SIGINT');
    const bound = (ms: number) => new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), ms).unref());
    if ((await Promise.race([exited, bound(timeoutMs)])) !== 'late') return;
    log(`the embedded Postgres did not stop within ${timeoutMs / 1000} s; stopping it at once (SIGQUIT)`);
    child.kill('SIGQUIT');
    await exited;
  }
}
