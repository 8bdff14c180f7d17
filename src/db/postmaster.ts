/**
 * What a Postgres data directory says about the server that last ran on it: `postmaster.pid` (its
 * first line the server's pid, its fourth the port) read against the live processes of this machine,
 * so that a server still running is told from a stale file that a killed server left behind.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningPostmaster {
  pid: number;
  port: number;
}

export type PostmasterState = { kind: 'none' } | { kind: 'stale'; pid: number } | ({ kind: 'running' } & RunningPostmaster);

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user (the system user postgres, when we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parent pid of a live process (Linux /proc), or undefined where that cannot be read. */
export function parentPid(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live postgres server process (a reused pid of any other program is not). */
function isPostgres(pid: number): boolean {
  if (!processIsAlive(pid)) return false;
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return /(^|\/)postgres$/.test(command);
  } catch {
    // No /proc (not Linux): trust the live pid, as Postgres itself does.
    return true;
  }
}

export function readPostmaster(databaseDir: string): PostmasterState {
  const file = join(databaseDir, 'postmaster.pid');
  if (!existsSync(file)) return { kind: 'none' };
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgres(pid)) return { kind: 'stale', pid };
  return { kind: 'running', pid, port };
}

/**
 * Removes the pid file of a server that no longer runs, which Postgres would otherwise refuse to start over when its pid has been reused.
 */
export function removeStalePostmaster(databaseDir: string): void {
  rmSync(join(databaseDir, 'postmaster.pid'), { force: true });
}
