#!/usr/bin/env node
/**
 * Builds what `npm run demo` and `kybernet` run from dist/, each part only when its inputs changed
 * (their files hashed; a part whose stamp matches is kept, so a build after no change takes a moment):
 *   server  src/ and migrations/ compiled by tsc (tsconfig.build.json) into dist/src, dist/migrations, and the
 *           sequence families' PyTorch modules (the .py files under src/) copied beside their compiled TypeScript
 *   web     the browser pages (web/, see web/vite.config.mts) bundled by Vite into dist/web
 * package-lock.json (the libraries) and this script are inputs of both.
 *   node scripts/build.mjs [server|web ...] [--force]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const parts = {
  server: {
    inputs: ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json'],
    stamp: 'dist/.server-inputs-sha256',
    what: 'the server (tsc)',
    build: () => {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
        cwd: root,
        stdio: 'inherit',
      });
      for (const file of filesUnder(join(root, 'src')).filter((path) => path.endsWith('.py'))) {
        const target = join(root, 'dist', relative(root, file));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(file, target);
      }
    },
  },
  web: {
    inputs: ['web'],
    stamp: 'dist/web/.inputs-sha256',
    what: 'the GraphQL IDE into dist/web (vite)',
    build: () =>
      execFileSync(
        process.execPath,
        [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'web/vite.config.mts')],
        { cwd: root, stdio: 'inherit' },
      ),
  },
};

function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .flatMap((name) => filesUnder(join(path, name)))
    .sort();
}

function inputsHash(part) {
  const hash = createHash('sha256');
  const files = [
    ...part.inputs.flatMap((input) => filesUnder(join(root, input))),
    join(root, 'package-lock.json'),
    fileURLToPath(import.meta.url),
  ];
  for (const file of files) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const force = process.argv.includes('--force');
const named = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
for (const name of named.length ? named : Object.keys(parts)) {
  const part = parts[name];
  if (!part) {
    console.error(`build: no part "${name}" (parts: ${Object.keys(parts).join(', ')})`);
    process.exit(2);
  }
  const stamp = join(root, part.stamp);
  const inputs = inputsHash(part);
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputs) {
    console.log(`build: ${name} is up to date`);
    continue;
  }
  console.log(`build: building ${part.what}`);
  part.build();
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${inputs}\n`);
}
