#!/usr/bin/env node
/**
 * Builds the browser pages (web/, see web/vite.config.mts) into dist/web with Vite — only when their
 * inputs changed: the files under web/ and package-lock.json (the bundled libraries) are hashed, and
 * a build whose stamp (dist/web/.inputs-sha256) matches is kept. `--force` builds anyway.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist/web/.inputs-sha256');

function filesUnder(folder) {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(folder, entry.name)) : [join(folder, entry.name)]))
    .sort();
}

const hash = createHash('sha256');
for (const file of [...filesUnder(join(root, 'web')), join(root, 'package-lock.json'), fileURLToPath(import.meta.url)]) {
  hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
}
const inputs = hash.digest('hex');

if (!process.argv.includes('--force') && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputs) {
  console.log('build-web: dist/web is up to date');
  process.exit(0);
}
console.log('build-web: building the GraphQL IDE into dist/web (vite)');
execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'web/vite.config.mts')], { cwd: root, stdio: 'inherit' });
writeFileSync(stamp, `${inputs}\n`);
