import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../../src/db/embedded';

// As root the embedded server runs as the system user "postgres"; as anyone else it runs as that user, and the check does not apply.
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.log('embedded Postgres reachability: not running as root, so Postgres would run as this user; nothing to check');

(asRoot ? it : it.skip)('refuses a data directory the postgres user cannot enter, naming it, before running initdb', async () => {
  const closed = mkdtempSync(join(tmpdir(), 'kybernet-closed-')); // mode 0700
  try {
    await expect(startEmbeddedPostgres(join(closed, 'data'), 54398)).rejects.toThrow(
      `the embedded Postgres runs as the system user "postgres", which cannot enter ${closed} (on the way to ${join(closed, 'data', 'pg')}); allow it (chmod o+x ${closed})`,
    );
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }
});
