/**
 * Who runs the embedded Postgres of a data directory: `$KYBERNET_DATA_DIR/embedded-postgres.json`,
 * written by the kybernet process that started the server and removed when it stops it. Another
 * command on the same data directory (`kybernet keys create` beside `kybernet serve`) reads it to use
 * that server instead of starting a second one on the same files. A file whose owner is gone, or
 * whose server is no longer that owner's child, is stale and ignored.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPid, processIsAlive } from './postmaster';

export interface EmbeddedOwner {
  /** The kybernet process that started the server and will stop it. */
  pid: number;
  /** What that process is (serve, demo, worker, keys create, …), for messages. */
  command: string;
  postgresPid: number;
  port: number;
}

const FILE = 'embedded-postgres.json';

export function recordOwner(dataDir: string, owner: EmbeddedOwner): void {
  writeFileSync(join(dataDir, FILE), `${JSON.stringify(owner, null, 2)}\n`);
}

/** The owner while it is alive and its server is still its child; undefined otherwise. */
export function liveOwner(dataDir: string): EmbeddedOwner | undefined {
  let owner: EmbeddedOwner;
  try {
    owner = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as EmbeddedOwner;
  } catch {
    return undefined;
  }
  if (owner.pid === process.pid || !processIsAlive(owner.pid)) return undefined;
  return parentPid(owner.postgresPid) === owner.pid ? owner : undefined;
}

/** Removes the file if it still names this process (a later owner's file is left alone). */
export function releaseOwner(dataDir: string): void {
  try {
    const owner = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as EmbeddedOwner;
    if (owner.pid === process.pid) rmSync(join(dataDir, FILE), { force: true });
  } catch {
    // No file, or not ours to read: nothing to release.
  }
}
