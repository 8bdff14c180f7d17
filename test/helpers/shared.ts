/**
 * The one way tests reach ../shared (fixtures and data sets), read in place, never copied.
 * KYBERNET_SHARED overrides the location. Where the folder is missing a test using it is skipped
 * with a printed reason — unless KYBERNET_REQUIRE_SHARED=1 (as in CI), where it fails instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const sharedRoot = resolve(process.env.KYBERNET_SHARED ?? resolve(__dirname, '../../../shared'));

export function sharedAvailable(): boolean {
  return existsSync(resolve(sharedRoot, 'fixtures')) && existsSync(resolve(sharedRoot, 'data'));
}

/** `describe` when ../shared is present; otherwise a skipped block with the reason printed (or a failure in CI). */
export function describeWithShared(name: string, body: () => void): void {
  if (sharedAvailable()) {
    describe(name, body);
    return;
  }
  const reason = `shared reference data not found at ${sharedRoot} (set KYBERNET_SHARED)`;
  if (process.env.KYBERNET_REQUIRE_SHARED === '1') {
    describe(name, () => {
      it('needs the shared reference data', () => {
        throw new Error(`${reason}; KYBERNET_REQUIRE_SHARED=1 forbids skipping`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${reason}`);
  describe.skip(name, body);
}

export function sharedPath(...parts: string[]): string {
  return resolve(sharedRoot, ...parts);
}

export function readSharedText(...parts: string[]): string {
  return readFileSync(sharedPath(...parts), 'utf8');
}

export function readSharedJson<T>(...parts: string[]): T {
  return JSON.parse(readSharedText(...parts)) as T;
}
