/**
 * CPU time spent by the server side of a benchmark, read from Linux's /proc: this process's main
 * thread (where the API runs; a benchmark's clients run in worker threads) and the Postgres backends
 * serving its database. Unlike a rate, CPU per operation hardly moves when the machine is busy with
 * other work, so it compares runs made on a noisy machine. Where /proc or the backends' entries cannot
 * be read (not Linux, a remote database), the readings are null.
 */
import { readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';

export interface CpuReading {
  mainThreadSeconds: number | null;
  /** Per backend pid: a backend that ends between two readings is not counted, one that starts counts from zero. */
  postgresSeconds: Map<number, number> | null;
}

/** utime + stime of /proc/<path>/stat, in seconds (clock ticks are 100 Hz on Linux). */
function statSeconds(path: string): number | null {
  try {
    const stat = readFileSync(`/proc/${path}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export async function readCpu(dataSource: DataSource): Promise<CpuReading> {
  const backends: { pid: number }[] = await dataSource.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  const seconds = backends.map(({ pid }) => [pid, statSeconds(String(pid))] as const);
  return {
    mainThreadSeconds: statSeconds(`self/task/${process.pid}`),
    postgresSeconds: seconds.length && seconds.every(([, s]) => s !== null) ? new Map(seconds as [number, number][]) : null,
  };
}

/** Milliseconds of CPU per operation between two readings, per side ('n/a' where unreadable). */
export function cpuMsPer(
  before: CpuReading,
  after: CpuReading,
  operations: number,
): { main_thread_cpu_ms: number | string; postgres_cpu_ms: number | string } {
  const per = (seconds: number | null) => (seconds === null ? 'n/a' : Math.round((seconds * 1000 * 1000) / operations) / 1000);
  const main =
    before.mainThreadSeconds === null || after.mainThreadSeconds === null ? null : after.mainThreadSeconds - before.mainThreadSeconds;
  let postgres: number | null = null;
  if (before.postgresSeconds && after.postgresSeconds) {
    postgres = 0;
    for (const [pid, seconds] of after.postgresSeconds) postgres += seconds - (before.postgresSeconds.get(pid) ?? 0);
  }
  return { main_thread_cpu_ms: per(main), postgres_cpu_ms: per(postgres) };
}
