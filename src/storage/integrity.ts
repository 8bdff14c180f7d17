/**
 * SHA-256 of artifact bytes: computed when a file is written (the caller records it in the database)
 * and checked against that record on every read, whichever store holds the file.
 */
import { createHash } from 'node:crypto';
import { ArtifactIntegrityError, InvalidInputError } from '../lib/errors';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Returns `sha256` in lower case when it is 64 hex digits; otherwise throws InvalidInputError. */
export function validateSha256(sha256: string, field = 'expectedSha256'): string {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw new InvalidInputError(`expects ${field} to be a SHA-256 of 64 hex digits, but got ${JSON.stringify(sha256)}`, { field });
  }
  return sha256.toLowerCase();
}

/**
 * Returns `bytes` when they hash to `expectedSha256`; otherwise refuses them with an
 * ArtifactIntegrityError that names the file, where it is stored, and both hashes.
 */
export function verifySha256(bytes: Uint8Array, expectedSha256: string, key: string, location: string): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== expectedSha256) {
    throw new ArtifactIntegrityError(
      `refusing artifact file "${key}" in ${location}: expects SHA-256 ${expectedSha256} (recorded when it was written), ` +
        `but the stored ${bytes.byteLength} bytes hash to ${actual}; the file was changed or damaged after it was written`,
      { key, location, expectedSha256, actualSha256: actual, size: bytes.byteLength },
    );
  }
  return bytes;
}
