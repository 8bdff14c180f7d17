/**
 * Real Kybernet processes for multi-process tests: `kybernet serve` and `kybernet worker` run from
 * source (node -r @swc-node/register src/server/cli.ts) as child processes on a given database and
 * data dir — e.g. a test app's (`t.db.url`, `t.dataDir`), so that they share its Postgres, queue,
 * event log and artifacts. Each helper resolves once the process says it is ready.
 *
 *   const worker = await spawnWorker({ databaseUrl: t.db.url, dataDir: t.dataDir });
 *   const demo = await spawnDemo({ databaseUrl, dataDir });               // `kybernet demo`, once it serves
 *   const api = await spawnServe({ databaseUrl: t.db.url, dataDir: t.dataDir, args: ['--no-worker'] });
 *   request(api.url, t.keys.viewer, JobDocument, { id });     // keys live in the shared database
 *   await worker.kill('SIGKILL');                            // or stop() for a graceful SIGTERM
 *
 * Schedules stay off unless `env` says KYBERNET_SCHEDULER: 'true'. Call `stopAll()` in afterAll so that
 * no process outlives its test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const READY_TIMEOUT_MS = 60_000;

export interface ProcessOptions {
  /** The database; absent, the process runs on the embedded Postgres under dataDir (KYBERNET_EMBEDDED_PG_PORT in env). */
  databaseUrl?: string;
  dataDir: string;
  /** serve only: the HTTP port (0, the default, takes a free one). */
  port?: number;
  /** Extra arguments after the command, e.g. ['--no-worker'] or ['--concurrency', '2']. */
  args?: string[];
  env?: Record<string, string>;
  /** Run as this system user (uid, gid) instead of ours. */
  user?: { uid: number; gid: number };
}

export interface KybernetProcess {
  pid: number;
  /** serve only: the GraphQL endpoint over HTTP and over graphql-ws. */
  url: string;
  wsUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when a line of output matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (SIGKILL by default) and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** A graceful stop: SIGTERM, then the exit. */
  stop(): Promise<void>;
  /** Sends `signal` without waiting for anything. */
  signal(signal: NodeJS.Signals): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<KybernetProcess>();

function spawnCli(args: string[], options: ProcessOptions): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', 'src/server/cli.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      KYBERNET_SCHEDULER: 'false',
      ...options.env,
      DATABASE_URL: options.databaseUrl ?? '',
      KYBERNET_DATA_DIR: options.dataDir,
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ?? {}),
  });
}

/** A one-shot command (`keys create …`, `models list`, `--version`) run to its end. */
export function runCli(args: string[], options: ProcessOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveRun) => child.once('close', (code) => resolveRun({ code, stdout, stderr })));
}

function start(command: 'serve' | 'worker' | 'demo', options: ProcessOptions, ready: RegExp): Promise<KybernetProcess> {
  const child = spawnCli([command, ...(options.args ?? [])], options);
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      for (const watcher of watchers) watcher(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  const waitForOutput = (pattern: RegExp, timeoutMs = READY_TIMEOUT_MS) =>
    new Promise<string>((resolveLine, reject) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return resolveLine(seen);
      const timer = setTimeout(() => {
        watchers.delete(watch);
        reject(new Error(`kybernet ${command} printed nothing matching ${pattern} in ${timeoutMs} ms:\n${lines.join('\n')}`));
      }, timeoutMs);
      const watch = (line: string) => {
        if (!pattern.test(line)) return;
        clearTimeout(timer);
        watchers.delete(watch);
        resolveLine(line);
      };
      watchers.add(watch);
      void exited.then(({ code, signal }) => {
        if (!watchers.has(watch)) return;
        clearTimeout(timer);
        watchers.delete(watch);
        reject(new Error(`kybernet ${command} exited (${signal ?? code}) before printing ${pattern}:\n${lines.join('\n')}`));
      });
    });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    live.delete(handle);
  };
  const handle: KybernetProcess = {
    pid: child.pid!,
    url: '',
    wsUrl: '',
    output: () => lines.join('\n'),
    waitForOutput,
    kill,
    stop: () => kill('SIGTERM'),
    signal: (signal) => void child.kill(signal),
    exited,
  };
  live.add(handle);
  return waitForOutput(ready).then(
    (line) => {
      const url = /(https?:\/\/\S+)/.exec(line)?.[1] ?? '';
      return Object.assign(handle, { url, wsUrl: url.replace(/^http/, 'ws') });
    },
    async (error) => {
      await kill();
      throw error;
    },
  );
}

/** `kybernet serve` (by default it works jobs too; pass args ['--no-worker'] for an API-only replica). */
export function spawnServe(options: ProcessOptions): Promise<KybernetProcess> {
  return start('serve', options, /^Kybernet API on http/);
}

/** `kybernet worker`. */
export function spawnWorker(options: ProcessOptions): Promise<KybernetProcess> {
  return start('worker', options, /^Kybernet worker \S+ working jobs/);
}

/** `kybernet demo`: resolves once the story is told and the API serves (its URL is the one the demo prints). */
export async function spawnDemo(options: ProcessOptions): Promise<KybernetProcess> {
  const demo = await start('demo', options, /^Press Ctrl-C to stop/);
  const url = /serving GraphQL on (http\S+)/.exec(demo.output())?.[1] ?? '';
  return Object.assign(demo, { url, wsUrl: url.replace(/^http/, 'ws') });
}

/** Kills every process these helpers started that is still running. */
export async function stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.all([...live].map((process) => process.kill(signal)));
}
