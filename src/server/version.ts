/** Kybernet's version: the `version` of its package.json, found from here up (source and dist/ lie at different depths). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function kybernetVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kybernet' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
